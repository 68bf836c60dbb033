"""`gongkai eval` end to end on two seeds: metrics.json and the report, and --compare as a gate."""
from __future__ import annotations

import json
import shutil

from typer.testing import CliRunner

from gongkai.eval.cli import app
from tests.conftest import SEEDS, need_shared


def test_eval_writes_report_and_gates_on_regression(tmp_path):
    need_shared()
    data = tmp_path / "two-seeds"
    data.mkdir()
    for p in sorted(SEEDS.iterdir())[:4]:
        shutil.copy(p, data)
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"field_accuracy": 1.5, "datasets": {"two-seeds": {"field_accuracy": 1.5}}}))
    out = tmp_path / "report"
    res = CliRunner().invoke(app, ["--dataset", str(data), "--report", str(out), "--ablations", "rules/full,rules/off",
                                   "--no-progress", "--no-cache", "--compare", str(old)])
    assert res.exit_code == 1, res.output  # everything "regressed" against an impossible 150 %
    m = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert m["documents"] == 2 and m["field_accuracy"] == 1.0
    assert set(m["ablations"]) == {"rules/full", "rules/off"} and "two-seeds" in m["datasets"]
    assert m["ece"]["cell"] is not None and m["compare"]["regressions"]
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## Accuracy by dataset" in report and "two-seeds" in report
    assert (out / "report.html").exists()
