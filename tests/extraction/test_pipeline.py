"""The pipeline object: built once from its parts, it uses those parts and reads no settings itself.

`models.registry.build_pipeline` is the default construction from settings (CLI flags, service
settings); the settings reach the parts as parameters, never through the environment."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gongkai.extraction.confidence import load_calibrator
from gongkai.extraction.document import Document
from gongkai.extraction.labelling import LabelledDocument
from gongkai.extraction.pipeline import ExtractionError, Pipeline
from gongkai.models.registry import build_pipeline, extract, get_labeller
from gongkai.models.rules import RuleLabeller
from tests.conftest import SEEDS, need_shared

ROOT = Path(__file__).resolve().parents[2]


class CountingLabeller:
    """The rule labeller under another name: shows which labeller the pipeline ran."""

    name, version = "counting", "7"

    def __init__(self):
        self.calls = 0

    def label(self, document: Document) -> LabelledDocument:
        self.calls += 1
        return RuleLabeller().label(document)


def _seed() -> bytes:
    need_shared()
    return sorted(SEEDS.glob("*.txt"))[2].read_bytes()


def test_the_pipeline_runs_the_parts_it_was_built_from():
    data = _seed()
    lab = CountingLabeller()
    pipeline = Pipeline(labeller=lab, calibrator=None)
    result = pipeline.extract(data, "seed.txt")
    assert lab.calls == 1
    assert result.fingerprint == pipeline.fingerprint and result.fingerprint.endswith("+counting-7")
    raw = extract(data, "seed.txt", labeller="rules", calibration="off")
    assert result.fields == raw.fields and result.confidence == raw.confidence
    shipped = load_calibrator("")
    if shipped is not None:  # the calibrator is the pipeline's part: the same labelling, calibrated
        calibrated = Pipeline(labeller=lab, calibrator=shipped).extract(data, "seed.txt")
        assert calibrated.confidence == extract(data, "seed.txt", labeller="rules").confidence


def test_calibration_is_a_parameter_not_the_environment(monkeypatch):
    data = _seed()
    shipped = extract(data, "seed.txt", labeller="rules")
    monkeypatch.setenv("GONGKAI_CALIBRATION", "off")
    assert extract(data, "seed.txt", labeller="rules").confidence == shipped.confidence
    assert build_pipeline("rules", calibration="off").calibrator is None


def test_registry_names_the_labellers_and_refuses_unknown_ones():
    assert isinstance(get_labeller("rules"), RuleLabeller)
    with pytest.raises(ExtractionError, match="unknown labeller"):
        build_pipeline("crystal-ball")
    with pytest.raises(ExtractionError, match="hybrid or pure"):
        get_labeller("model", model_mode="sideways")


def test_cli_flags_and_their_variables_reach_the_pipeline(tmp_path):
    """`--calibration off` and GONGKAI_CALIBRATION=off (read by the CLI, not by extraction)."""
    data = _seed()
    src = tmp_path / "seed.txt"
    src.write_bytes(data)
    raw = extract(data, "seed.txt", labeller="rules", calibration="off").confidence

    def cli(*args, **env):
        out = subprocess.run([sys.executable, "-m", "gongkai", "extract", str(src), "--labeller", "rules", "-q", *args],
                             capture_output=True, text=True, cwd=ROOT, env={**os.environ, **env})
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)["confidence"]

    assert cli("--calibration", "off") == round(raw, 4)
    assert cli(GONGKAI_CALIBRATION="off") == round(raw, 4)
