"""Celery + Redis: the API queues to a real Redis server started here, `run_worker` runs the same job code."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest
from service_helpers import FAKE, HERE, ROOT, free_port, make_pdf, seed_gold, settings_for, wait_jobs
from fastapi.testclient import TestClient

from gongkai.service.api import create_app

REDIS = shutil.which("redis-server")


@pytest.fixture
def redis_url(tmp_path):
    if REDIS is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing; `make test` installs it (apt-get install redis-server)")
        pytest.skip("redis-server not installed: `apt-get install redis-server` to run the Celery test")
    port = free_port()
    proc = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


def start_worker(settings, log):
    env = {**os.environ, **settings.to_env(), "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)])}
    code = "from service.config import Settings; from service.celery_app import run_worker; run_worker(Settings.from_env())"
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=log, stderr=log)


def test_celery_worker_runs_jobs_queued_through_redis(tmp_path, redis_url):
    settings = settings_for(tmp_path / "data", broker_url=redis_url, extractor=FAKE)
    log = open(tmp_path / "worker.log", "wb")
    with TestClient(create_app(settings)) as c:
        assert c.get("/readyz").json()["checks"]["broker"] == "ok"
        # queued before any worker runs: nothing is lost while no worker is up
        early = c.post("/v1/extractions", files=[("files", ("early.txt", seed_gold(0)))]).json()["jobs"][0]["id"]
        worker = start_worker(settings, log)
        try:
            r = c.post("/v1/extractions", files=[("files", ("s1.txt", seed_gold(1))), ("files", ("p.pdf", make_pdf(2))),
                                                  ("files", ("bad.txt", b"FAKE:FAIL"))])
            ids = [j["id"] for j in r.json()["jobs"]] + [early]
            jobs = wait_jobs(lambda i: c.get(f"/v1/extractions/{i}").json(), ids, timeout=60)
        finally:
            worker.terminate()
            worker.wait(20)
    statuses = [jobs[i]["status"] for i in ids]
    assert statuses == ["done", "done", "failed", "done"], (tmp_path / "worker.log").read_text()[-3000:]
    assert "not a report" in jobs[ids[2]]["reason"]
    assert jobs[early]["org"] == "浉河区人民政府办公室"
    assert all(j["attempts"] == 1 for j in jobs.values())
