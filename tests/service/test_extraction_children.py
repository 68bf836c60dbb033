"""Extraction children are reused job after job while they stay fit, and ended when a job leaves them in
doubt: a crash, a bug, memory exhausted, a timeout. (`service.jobs`; the fake extractor names the process
that ran it when the file says FAKE:PID.)"""
from __future__ import annotations

import os
import time

import pytest
from service_helpers import settings_for

from gongkai.extraction.pipeline import ExtractionError
from gongkai.service import jobs
from gongkai.service.jobs import JobFailure, isolated_extract


def _pid(settings, marker: bytes = b"") -> int:
    org = isolated_extract(b"report FAKE:PID " + marker, "r.txt", settings).meta.org
    assert org.startswith("pid")
    return int(org[3:])


def _gone(pid: int, wait_s: float = 5.0) -> bool:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_a_child_that_finished_cleanly_serves_the_next_job(tmp_path):
    s = settings_for(tmp_path)
    first = _pid(s)
    assert _pid(s) == first and _pid(s) == first
    assert first != os.getpid()


def test_a_refused_input_keeps_the_child(tmp_path):
    s = settings_for(tmp_path)
    before = _pid(s)
    with pytest.raises(ExtractionError, match="not a report"):
        isolated_extract(b"FAKE:FAIL", "r.txt", s)
    assert _pid(s) == before


@pytest.mark.parametrize("marker, reason", [(b"FAKE:BUG", "RuntimeError"), (b"FAKE:CRASH", "died"),
                                            (b"FAKE:MEM", "memory")])
def test_a_job_that_failed_in_its_child_ends_it(tmp_path, marker, reason):
    s = settings_for(tmp_path)
    before = _pid(s)
    with pytest.raises(JobFailure, match=reason):
        isolated_extract(marker, "r.txt", s)
    after = _pid(s)
    assert after != before and _gone(before)


def test_a_timed_out_child_is_killed_and_the_next_job_gets_a_fresh_one(tmp_path):
    s = settings_for(tmp_path, job_timeout_s=1)
    before = _pid(s)
    with pytest.raises(JobFailure, match="timed out"):
        isolated_extract(b"FAKE:HANG", "r.txt", s)
    assert _pid(s) != before and _gone(before)


def test_a_child_retires_after_its_share_of_jobs(tmp_path, monkeypatch):
    """The cap is read when a child starts: this one serves two jobs, then exits by itself."""
    s = settings_for(tmp_path, max_memory_mb=1000)  # a configuration of its own: a fresh set of children
    monkeypatch.setattr(jobs, "CHILD_MAX_JOBS", 2)
    a, b, c = _pid(s), _pid(s), _pid(s)
    assert a == b != c and _gone(a)


def test_children_run_side_by_side_without_sharing(tmp_path):
    """Two jobs at once take two children; afterwards both are idle and reused."""
    from concurrent.futures import ThreadPoolExecutor

    s = settings_for(tmp_path, max_memory_mb=900)
    with ThreadPoolExecutor(2) as ex:
        pids = set(ex.map(lambda _: _pid(s, b"FAKE:SLEEP=0.5"), range(2)))
    assert len(pids) == 2
    with ThreadPoolExecutor(2) as ex:
        again = set(ex.map(lambda _: _pid(s, b"FAKE:SLEEP=0.5"), range(2)))
    assert again == pids
