"""Every command the README's "Command line" section names, run as a user would: a subprocess of the
installed CLI (`python -m gongkai`), from a scratch working directory. `gongkai train labelled` is
run by test_retrain_loop.py."""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook
from service_helpers import free_port

from gongkai.extraction.fields import ALL_FIELDS
from gongkai.service.layout import field_label
from tests.conftest import SEEDS, need_shared

ROOT = Path(__file__).resolve().parents[2]


def gongkai(cwd: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "GONGKAI_DATA_DIR": str(cwd / "data"), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "gongkai", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=timeout)


@pytest.fixture
def work(tmp_path) -> Path:
    need_shared()
    return tmp_path


def test_version(work):
    proc = gongkai(work, "--version")
    assert proc.returncode == 0 and proc.stdout.startswith("gongkai ")


def test_single_file_json_and_csv(work):
    seed = SEEDS / "004_97fbb38be466e179.txt"
    js = gongkai(work, "extract", str(seed), "--json")
    assert js.returncode == 0, js.stderr
    assert list(json.loads(js.stdout)["fields"]) == ALL_FIELDS
    out = gongkai(work, "extract", str(seed), "--csv", "--out", "ignored.xlsx")
    assert out.returncode == 0 and "warning: --out is for a folder" in out.stderr
    assert not (work / "ignored.xlsx").exists()
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert list(rows[0]) == ["field", "label", "value", "raw", "status", "confidence", "corrected_from", "implied",
                             "human_verified", "org", "org_canonical", "province", "city", "county", "region_code",
                             "year", "published"]
    assert [r["field"] for r in rows] == ALL_FIELDS and rows[0]["label"] == "规章 本年制发件数"
    ocr = gongkai(work, "extract", str(seed), "--ocr-text", "--labeller", "rules")
    assert ocr.returncode == 0 and json.loads(ocr.stdout)["meta"]["source_kind"] == "ocr_text"


def test_a_folder_into_xlsx_and_csv(work):
    folder = work / "reports"
    folder.mkdir()
    for seed in sorted(SEEDS.glob("*.txt"))[:2]:
        shutil.copy(seed, folder / seed.name)
    (folder / "notes.txt").write_text("今天天气很好。\n" * 5, encoding="utf-8")
    proc = gongkai(work, "extract", "reports/", "--out", "data.xlsx")
    assert proc.returncode == 0, proc.stderr
    wb = load_workbook(work / "data.xlsx", read_only=True)
    assert wb.sheetnames == ["reports", "status", "labels"]
    reports = list(wb["reports"].values)
    assert len(reports) == 4 and reports[0][-len(ALL_FIELDS):] == tuple(ALL_FIELDS)
    assert sorted(r[reports[0].index("status")] for r in reports[1:]) == ["done", "done", "failed"]
    labels = dict(list(wb["labels"].values)[1:])
    assert labels["t3.granted.total"] == field_label("t3.granted.total") and "予以公开" in labels["t3.granted.total"]
    assert {r[-1] for r in list(wb["status"].values)[1:] if r[4] == "done"} <= {"number", "blank", "slash", "missing", "text"}
    proc = gongkai(work, "extract", "reports", "--out", "data.csv", "--labeller", "rules")
    assert proc.returncode == 0, proc.stderr
    assert (work / "data.csv").read_text("utf-8-sig").splitlines()[0].split(",")[:2] == ["job_id", "file"]
    assert gongkai(work, "extract", "reports").returncode != 0  # a folder needs --out


def test_schema(work):
    proc = gongkai(work, "schema")
    assert proc.returncode == 0 and "fields" in json.loads(proc.stdout)["properties"]


def test_synth_all_kinds(work, cjk_font):
    proc = gongkai(work, "synth", "--n", "1", "--kinds", "text,html,pdf,scan", "--seed", "1", "--out", "syn")
    assert proc.returncode == 0, proc.stderr
    for pattern in ("text-*.txt", "html-*.html", "pdf-*.pdf", "scan-*.pdf"):
        assert list((work / "syn").glob(pattern)), pattern


def test_eval_writes_a_report(work):
    proc = gongkai(work, "eval", "-d", "seeds", "--limit", "2", "--ablations", "rules/full", "--workers", "1",
                   "--no-progress", "--report", "out/eval")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (work / "out" / "eval" / "report.md").exists()


def test_serve_with_offline_docs(work):
    import httpx
    port = free_port()
    env = {**os.environ, "GONGKAI_DATA_DIR": str(work / "data"), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "gongkai", "serve", "--port", str(port)], cwd=work, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, "the server did not start"
            time.sleep(0.3)
        docs = httpx.get(base + "/docs").text
        assert "cdn." not in docs and "/static-docs/swagger-ui-bundle.js" in docs
        js = httpx.get(base + "/static-docs/swagger-ui-bundle.js")
        assert js.status_code == 200 and len(js.content) > 100_000
        assert httpx.get(base + "/openapi.json").json()["info"]["title"] == "gongkai"
    finally:
        proc.terminate()
        proc.wait(10)
