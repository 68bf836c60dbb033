"""The service with the real `models.registry.extract` (no fake): a text seed and a web page end to end,
and (slow) the throughput figure: text reports per second through the HTTP API."""
from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from service_helpers import ROOT, free_port, seed_paths, settings_for, start_server, wait_jobs
from fastapi.testclient import TestClient

from gongkai.service.api import create_app

REAL = ROOT.parent / "shared" / "data" / "real"


def test_real_pipeline_through_the_api(tmp_path):
    s = settings_for(tmp_path / "d", extractor="gongkai.models.registry:extract", job_timeout_s=120)
    seed = seed_paths("*.txt")[1]
    gold = json.loads(seed.with_suffix("").with_suffix(".gold.json").read_text("utf-8"))
    with TestClient(create_app(s)) as c:
        ids = [c.post("/v1/extractions", files=[("files", (p.name, p.read_bytes()))]).json()["jobs"][0]["id"]
               for p in (seed, REAL / "putian_chengguanju_2024.html")]
        jobs = wait_jobs(lambda i: c.get(f"/v1/extractions/{i}").json(), ids, timeout=120)
        a, b = (jobs[i] for i in ids)
        assert a["status"] == "done" and a["org"] == gold["meta"]["org"] and a["year"] == gold["meta"]["year"]
        values = {k: v["value"] for k, v in a["result"]["fields"].items()}
        assert sum(values.get(k) == v for k, v in gold["fields"].items()) >= 0.95 * len(gold["fields"])
        assert b["status"] == "done" and b["result"]["meta"]["source_kind"] == "html"
        r = c.post("/v1/extract", files={"file": ("menu.txt", "今日菜单：米饭，青菜。".encode())})
        assert r.status_code == 422


@pytest.mark.slow
def test_throughput_text_reports_per_second(tmp_path):
    """`pytest -m slow -s tests/service/test_service_real.py` prints the figure quoted in docs/service."""
    port = free_port()
    proc = start_server(tmp_path / "data", port, GONGKAI_EXTRACTOR="gongkai.models.registry:extract",
                        GONGKAI_WORKERS="2")
    texts = [p.read_bytes() for p in seed_paths("*.txt")]
    n = 60
    bodies = [texts[i % len(texts)] + f"\n<!-- copy {i} -->\n".encode() for i in range(n)]  # distinct bytes
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as c:
            t0 = time.monotonic()
            with ThreadPoolExecutor(8) as pool:
                ids = list(pool.map(lambda b: c.post("/v1/extractions", files=[("files", ("r.txt", b))])
                                    .json()["jobs"][0]["id"], bodies))
            for _ in range(6000):  # one cheap request per poll, so polling does not eat the 2 cores
                if c.get("/v1/extractions", params={"status": "done", "limit": 1}).json()["total"] == n:
                    break
                time.sleep(0.1)
            elapsed = time.monotonic() - t0
            jobs = {i: c.get(f"/v1/extractions/{i}", params={"include_result": False}).json() for i in ids}
            metrics = dict(line.rsplit(" ", 1) for line in c.get("/metrics").text.splitlines()
                           if line.startswith("gongkai_job_duration_seconds_"))
    finally:
        proc.terminate()
        proc.wait(10)
    assert all(j["status"] == "done" for j in jobs.values())
    mean = float(metrics["gongkai_job_duration_seconds_sum"]) / float(metrics["gongkai_job_duration_seconds_count"])
    print(f"\nthroughput: {n} text reports in {elapsed:.1f} s = {n / elapsed:.2f} reports/s "
          f"(mean extraction time per job {mean:.2f} s, 2 workers)")


def test_the_pipeline_settings_reach_the_extraction_child(tmp_path, monkeypatch):
    """GONGKAI_CALIBRATION / GONGKAI_MODEL_MODE / GONGKAI_OCR_CELLS are service settings passed to the
    extractor in the child process (extraction itself reads no environment)."""
    from gongkai.models.registry import extract
    from gongkai.service.config import Settings
    from gongkai.service.jobs import isolated_extract

    monkeypatch.setenv("GONGKAI_CALIBRATION", "off")
    monkeypatch.setenv("GONGKAI_MODEL_MODE", "pure")
    monkeypatch.setenv("GONGKAI_OCR_CELLS", "0")
    env = Settings.from_env(data_dir=tmp_path)
    assert env.pipeline_options == {"model_mode": "pure", "calibration": "off", "ocr_cells": False}
    monkeypatch.delenv("GONGKAI_CALIBRATION")
    monkeypatch.delenv("GONGKAI_MODEL_MODE")
    seed = seed_paths("*.txt")[2]
    raw = extract(seed, labeller="rules", calibration="off")
    assert raw.confidence != extract(seed, labeller="rules").confidence  # the setting shows
    s = settings_for(tmp_path / "d", extractor="gongkai.models.registry:extract", labeller="rules",
                     calibration="off", job_timeout_s=120)
    res = isolated_extract(seed.read_bytes(), seed.name, s)
    assert res.confidence == raw.confidence and res.fields == raw.fields
