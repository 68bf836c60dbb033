"""From the review store to the model that serves: `gongkai train labelled` on 3 reviewed reports (a text,
an HTML and a scan) retrains (a tiny run), promotes a versioned model outside the source tree, and
the next extraction's fingerprint names the new version. Needs the `train` extra (torch)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from review_material import material

from gongkai.models.registry import extract
from gongkai.models.promoted import SHIPPED_WEIGHTS
from gongkai.service.review.labelled import write_labelled


def _cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gongkai", *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=900)


@pytest.fixture(scope="module")
def mat(tmp_path_factory):
    return material(tmp_path_factory.mktemp("review_material"))


def test_reviewed_reports_retrain_promote_and_serve(mat, tmp_path):
    data_dir = tmp_path / "data"
    store = data_dir / "labelled"
    for job, path in (("job-text", mat.text), ("job-html", mat.html), ("job-scan", mat.scan_png)):
        data = path.read_bytes()
        write_labelled(store, job, path.name, data, extract(data, path.name, labeller="rules"))
    env = {"GONGKAI_DATA_DIR": str(data_dir)}
    before = json.loads(_cli(env, "extract", str(mat.text), "--json", "-q").stdout)["fingerprint"]
    assert "tc-test-2" not in before
    shipped = sorted((p.name, p.stat().st_mtime) for p in SHIPPED_WEIGHTS.iterdir())
    proc = _cli(env, "train", "labelled", "--version", "tc-test-2", "--out", str(tmp_path / "run"),
                "--steps", "2", "--synth-n", "4", "--bench-n", "2", "--tolerance", "1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    assert res["labelled_reports"] == 3 and res["promoted"] is True
    assert res["model_dir"] == str(data_dir / "models" / "tc-test-2")
    assert (data_dir / "models" / "CURRENT").read_text().strip() == "tc-test-2"
    assert sorted((p.name, p.stat().st_mtime) for p in SHIPPED_WEIGHTS.iterdir()) == shipped  # untouched
    after = json.loads(_cli(env, "extract", str(mat.text), "--json", "-q").stdout)["fingerprint"]
    assert "tc-test-2" in after
    # a version is promoted once
    again = _cli(env, "train", "labelled", "--version", "tc-test-2", "--out", str(tmp_path / "run2"),
                 "--steps", "1", "--synth-n", "2", "--bench-n", "2", "--tolerance", "1")
    assert again.returncode == 1 and "already promoted" in again.stderr


def test_an_empty_review_store_is_a_hard_error(tmp_path):
    proc = _cli({"GONGKAI_DATA_DIR": str(tmp_path)}, "train", "labelled", "--version", "tc-x")
    assert proc.returncode == 1 and "no labelled reports" in proc.stderr
    assert not (tmp_path / "models").exists()


def test_promotion_is_picked_up_by_the_next_extraction_in_a_running_process(tmp_path, monkeypatch):
    """No restart: a long-lived process (a worker, a notebook) loads the newly promoted model on its
    next extraction; removing CURRENT goes back to the shipped model."""
    import shutil

    from gongkai.models.registry import get_labeller
    from gongkai.models.promoted import promote

    monkeypatch.setenv("GONGKAI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("GONGKAI_MODEL_DIR", raising=False)
    shipped = get_labeller("model").version
    copy = tmp_path / "weights"
    shutil.copytree(SHIPPED_WEIGHTS, copy)
    cfg = json.loads((copy / "token_classifier.json").read_text("utf-8"))
    cfg["version"] = "tc-copy-1"
    (copy / "token_classifier.json").write_text(json.dumps(cfg), "utf-8")
    target = promote(copy, "tc-copy-1")
    assert target == tmp_path / "data" / "models" / "tc-copy-1"
    assert get_labeller("model").version.startswith("tc-copy-1")
    with pytest.raises(FileExistsError):
        promote(copy, "tc-copy-1")
    (tmp_path / "data" / "models" / "CURRENT").unlink()
    assert get_labeller("model").version == shipped
