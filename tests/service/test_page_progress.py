"""Per-page progress: what ingest reports page by page reaches the caller of an isolated extraction,
and a running job's `progress.pages_done` moves before the job ends."""
from __future__ import annotations

import time

from service_helpers import make_pdf, settings_for, wait_jobs

from gongkai.extraction.progress import on_page, page_read
from gongkai.service.jobs import isolated_extract


def test_listeners_hear_pages_in_their_own_context():
    heard = []
    page_read(1, 2)  # nobody listening: nothing happens
    with on_page(lambda done, total: heard.append((done, total))):
        page_read(1, 2)
        page_read(2, 2)
    page_read(1, 9)
    assert heard == [(1, 2), (2, 2)]


def test_isolated_extraction_passes_pages_on(tmp_path):
    heard = []
    result = isolated_extract(b"FAKE:PAGES=3 report", "r.txt", settings_for(tmp_path), on_page=lambda d, t: heard.append((d, t)))
    assert result.fields and heard == [(1, 3), (2, 3), (3, 3)]


def test_a_running_jobs_progress_moves(client):
    data = make_pdf(pages=4, marker="FAKE:PAGES=4 FAKE:SLEEP=0.6")
    jid = client.post("/v1/extractions", files=[("files", ("scan.pdf", data))]).json()["jobs"][0]["id"]
    seen = set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job = client.get(f"/v1/extractions/{jid}", params={"include_result": False}).json()
        seen.add(job["progress"]["pages_done"])
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert job["status"] == "done" and job["progress"] == {"pages_done": 4, "pages_total": 4}
    assert seen & {1, 2, 3}, f"progress jumped straight to the end: {sorted(seen)}"
