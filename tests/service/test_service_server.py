"""The real server (uvicorn in a subprocess): concurrent mixed uploads, and a kill -9 in the middle of work."""
from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from service_helpers import free_port, make_pdf, make_png, seed_gold, start_server, wait_jobs

import fake_pipeline


def test_twenty_concurrent_uploads_of_mixed_kinds(tmp_path):
    port = free_port()
    proc = start_server(tmp_path / "data", port, GONGKAI_WORKERS="2", GONGKAI_JOB_TIMEOUT="20")
    base = f"http://127.0.0.1:{port}"
    html = "<html><body><p>{}</p><table><tr><td>1</td></tr></table></body></html>"
    uploads = (
        [(f"seed{i}.txt", seed_gold(i), "done") for i in range(5)]
        + [(f"page{i}.html", html.format(i).encode(), "done") for i in range(3)]
        + [(f"scan{i}.pdf", make_pdf(i + 1, marker=f"scan {i}"), "done") for i in range(3)]
        + [(f"photo{i}.png", make_png(320 + i, 200), "done") for i in range(2)]
        + [("seed0-again.txt", seed_gold(0), "done"),  # same bytes as seed0.txt: same job
           ("archive.zip", b"PK\x03\x04" + b"\x00" * 64, 415),
           ("empty.txt", b"", 422),
           ("locked.pdf", make_pdf(1, encrypted=True), 422),
           ("truncated.pdf", make_pdf(4, truncated=True), "failed"),
           ("notareport.txt", b"menu FAKE:FAIL", "failed"),
           ("crasher.txt", b"FAKE:CRASH", "failed")]
    )
    assert len(uploads) == 20

    def post(item):
        name, data, _ = item
        with httpx.Client(base_url=base, timeout=30) as c:
            return c.post("/v1/extractions", files=[("files", (name, data))])

    try:
        with ThreadPoolExecutor(max_workers=20) as pool:
            responses = list(pool.map(post, uploads))
        ids = {}
        for (name, _, expect), r in zip(uploads, responses):
            if isinstance(expect, int):
                assert r.status_code == expect, (name, r.text)
            else:
                assert r.status_code == 202, (name, r.text)
                ids[name] = r.json()["jobs"][0]["id"]
        assert ids["seed0-again.txt"] == ids["seed0.txt"]
        with httpx.Client(base_url=base, timeout=30) as c:
            jobs = wait_jobs(lambda i: c.get(f"/v1/extractions/{i}").json(), set(ids.values()), timeout=90)
            for name, _, expect in uploads:
                if name in ids:
                    j = jobs[ids[name]]
                    assert j["status"] == expect, (name, j["status"], j["reason"])
                    assert (j["reason"] is None) == (expect == "done")
            listed = c.get("/v1/extractions", params={"limit": 500}).json()
            assert listed["total"] == len(set(ids.values())) == 16
            metrics = c.get("/metrics").text
            assert 'gongkai_jobs{status="done"} 13' in metrics and 'gongkai_jobs{status="failed"} 3' in metrics
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(10)


def test_jobs_survive_a_kill_during_work(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    port = free_port()
    proc = start_server(data_dir, port, GONGKAI_WORKERS="1")
    base = f"http://127.0.0.1:{port}"
    bodies = [f"report {i} ORG=局{i} YEAR=2023 FAKE:SLEEP=0.6".encode() for i in range(6)]
    try:
        with httpx.Client(base_url=base, timeout=30) as c:
            ids = [c.post("/v1/extractions", files=[("files", (f"r{i}.txt", b))]).json()["jobs"][0]["id"]
                   for i, b in enumerate(bodies)]
            for _ in range(200):  # bounded: wait until one is done and one is running
                st = [c.get(f"/v1/extractions/{i}").json()["status"] for i in ids]
                if "done" in st and "running" in st:
                    break
                import time
                time.sleep(0.05)
            assert "queued" in st
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    proc = start_server(data_dir, port, GONGKAI_WORKERS="2")
    try:
        with httpx.Client(base_url=base, timeout=30) as c:
            jobs = wait_jobs(lambda i: c.get(f"/v1/extractions/{i}").json(), ids, timeout=60)
            assert c.get("/v1/extractions").json()["total"] == 6
        for i, body in zip(ids, bodies):
            assert jobs[i]["status"] == "done", jobs[i]["reason"]
            monkeypatch.setattr(fake_pipeline.time, "sleep", lambda s: None)
            expected = fake_pipeline.extract(body, "r.txt")
            assert jobs[i]["result"]["fingerprint"] == expected.fingerprint
            assert jobs[i]["org"] == expected.meta.org
        assert max(j["attempts"] for j in jobs.values()) == 2  # the interrupted one ran again
    finally:
        proc.terminate()
        proc.wait(10)
