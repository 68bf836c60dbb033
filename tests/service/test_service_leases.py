"""Nothing is lost and nothing runs twice: leases renewed by a heartbeat, a sweeper for expired ones,
claims by attempt number, kill -9 of a Celery worker or of the server mid-job, and no orphaned child."""
from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from service_helpers import free_port, start_server, settings_for, wait_jobs
from test_service_celery import redis_url, start_worker  # noqa: F401 - the fixture is used by name

from gongkai.service.api import create_app
from gongkai.service.jobs import _finish, run_job
from gongkai.service.store import BlobStore, Database, Job, JobStatus
from gongkai.service.workers import Sweeper


def _job(db: Database, blobs: BlobStore, body: bytes) -> str:
    sha = blobs.put(body)
    with db.session() as s:
        job = Job(dedup_key=sha, sha256=sha, filename="r.txt", kind="txt", size=len(body))
        s.add(job)
        s.commit()
        return job.id


def test_lease_expiry_requeues_then_fails_after_max_attempts(tmp_path):
    settings = settings_for(tmp_path, max_attempts=2)
    db, blobs = Database(settings.db_url), BlobStore(settings.blob_dir)
    jid = _job(db, blobs, b"a report")
    sent: list[str] = []
    sweeper = Sweeper(settings, db, sent.append)
    assert db.claim(jid, lease_s=60, max_attempts=2) == 1
    assert db.claim(jid, lease_s=60, max_attempts=2) is None  # held: a second claim (duplicate delivery) fails
    assert sweeper.sweep_once() == [] and sent == []  # the lease is alive
    assert db.renew(jid, attempt=1, lease_s=-1)  # the heartbeat stops: as if it had expired
    assert db.renew(jid, attempt=7, lease_s=60) is False  # not that attempt's job
    assert sweeper.sweep_once() == [jid] and sent == [jid]
    assert db.get(jid).status == JobStatus.queued
    assert db.claim(jid, lease_s=-1, max_attempts=2) == 2  # the re-run; its worker dies at once
    assert sweeper.sweep_once() == []
    job = db.get(jid)
    assert job.status == JobStatus.failed and "lost 2 times" in job.reason and "lease expired" in job.reason


def test_a_stale_attempt_finishes_nothing(tmp_path):
    settings = settings_for(tmp_path)
    db, blobs = Database(settings.db_url), BlobStore(settings.blob_dir)
    jid = _job(db, blobs, b"a report")
    assert db.claim(jid, lease_s=-1, max_attempts=3) == 1  # worker 1 claims, then freezes past its lease
    assert db.claim(jid, lease_s=60, max_attempts=3) == 2  # worker 2 takes the job over
    assert _finish(db, jid, 1, time.monotonic(), reason="worker 1 woke up late") is None
    assert db.get(jid).status == JobStatus.running and db.get(jid).reason is None
    assert _finish(db, jid, 2, time.monotonic(), reason="worker 2's verdict") == JobStatus.failed
    assert db.get(jid).reason == "worker 2's verdict"


def test_duplicate_deliveries_run_a_job_once(tmp_path):
    trace = tmp_path / "trace"
    settings = settings_for(tmp_path)
    db, blobs = Database(settings.db_url), BlobStore(settings.blob_dir)
    jid = _job(db, blobs, f"report FAKE:SLEEP=1 FAKE:TRACE={trace}".encode())
    out: list = []
    threads = [threading.Thread(target=lambda: out.append(run_job(jid, settings, db))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(out, key=str) == [None, None, "done"]
    assert run_job(jid, settings, db) is None  # a late redelivery of a finished job
    assert len(trace.read_text().splitlines()) == 1 and db.get(jid).attempts == 1


def test_heartbeat_keeps_a_long_job_past_its_lease(tmp_path):
    """A job that runs for several leases is renewed, never swept: it ends done on its first attempt."""
    settings = settings_for(tmp_path, lease_s=0.6, job_timeout_s=20)
    db, blobs = Database(settings.db_url), BlobStore(settings.blob_dir)
    jid = _job(db, blobs, b"long report FAKE:SLEEP=3")
    sweeper = Sweeper(settings, db, lambda _id: None)
    sweeper.start()
    try:
        assert run_job(jid, settings, db) == "done"
    finally:
        sweeper.stop()
    assert db.get(jid).attempts == 1


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _wait_gone(pids: set[int], guard_s: float = 15.0) -> set[int]:
    deadline = time.monotonic() + guard_s
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.2)
    return {p for p in pids if _alive(p)}


def _wait_children(pid: int, n: int) -> None:
    """Until the fork server under `pid` has forked `n` extraction children."""
    for _ in range(600):
        if len(_descendants(pid)) >= n + 2:  # + the fork server and the resource tracker
            return
        time.sleep(0.1)
    raise AssertionError("the extraction children never started")


def _wait_running(get, ids, n: int) -> None:
    for _ in range(300):
        if sum(get(i)["status"] == "running" for i in ids) >= n:
            return
        time.sleep(0.1)
    raise AssertionError("jobs never started")


def test_kill_9_of_a_celery_worker_mid_job_loses_nothing(tmp_path, redis_url):  # noqa: F811
    trace = tmp_path / "trace"
    settings = settings_for(tmp_path / "data", broker_url=redis_url, lease_s=3, workers=2, job_timeout_s=30)
    log = open(tmp_path / "worker.log", "wb")
    bodies = [f"report {i} ORG=局{i} FAKE:SLEEP=3 FAKE:TRACE={trace}".encode() for i in range(4)]
    with TestClient(create_app(settings)) as c:
        get = lambda i: c.get(f"/v1/extractions/{i}").json()  # noqa: E731
        ids = [c.post("/v1/extractions", files=[("files", (f"r{i}.txt", b))]).json()["jobs"][0]["id"]
               for i, b in enumerate(bodies)]
        worker = start_worker(settings, log)
        try:
            _wait_running(get, ids, 2)
            _wait_children(worker.pid, 2)
            children = _descendants(worker.pid)
            interrupted = [i for i in ids if get(i)["status"] == "running"]
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(10)
            assert len(interrupted) == 2
            assert _wait_gone(children) == set(), "extraction children outlived their worker"
            worker = start_worker(settings, log)
            jobs = wait_jobs(get, ids, timeout=90)
        finally:
            worker.terminate()
            worker.wait(20)
    assert [jobs[i]["status"] for i in ids] == ["done"] * 4, (tmp_path / "worker.log").read_text()[-3000:]
    assert {i: jobs[i]["attempts"] for i in interrupted} == {i: 2 for i in interrupted}
    finished = trace.read_text().splitlines()
    assert len(finished) == 4 and len(set(finished)) == 4  # every job's extraction ended exactly once


def test_kill_9_of_the_server_leaves_no_child_and_loses_nothing(tmp_path):
    trace = tmp_path / "trace"
    data_dir = tmp_path / "data"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"GONGKAI_WORKERS": "2", "GONGKAI_LEASE_S": "3", "GONGKAI_JOB_TIMEOUT": "30"}
    bodies = [f"report {i} ORG=局{i} FAKE:SLEEP=4 FAKE:TRACE={trace}".encode() for i in range(3)]
    proc = start_server(data_dir, port, **env)
    try:
        with httpx.Client(base_url=base, timeout=30) as c:
            get = lambda i: c.get(f"/v1/extractions/{i}").json()  # noqa: E731
            ids = [c.post("/v1/extractions", files=[("files", (f"r{i}.txt", b))]).json()["jobs"][0]["id"]
                   for i, b in enumerate(bodies)]
            _wait_running(get, ids, 2)
            _wait_children(proc.pid, 2)
            children = _descendants(proc.pid)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    assert _wait_gone(children) == set(), "extraction children outlived their server"
    proc = start_server(data_dir, port, **env)
    try:
        with httpx.Client(base_url=base, timeout=30) as c:
            jobs = wait_jobs(lambda i: c.get(f"/v1/extractions/{i}").json(), ids, timeout=90)
    finally:
        proc.terminate()
        proc.wait(10)
    assert [jobs[i]["status"] for i in ids] == ["done"] * 3
    finished = trace.read_text().splitlines()
    assert len(finished) == 3 and len(set(finished)) == 3
