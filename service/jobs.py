"""The one job function both worker kinds run: load blob → `extraction.pipeline.extract` → persist.

Every extraction runs in a child process (forked from a preloaded fork server) with a timeout and an
address-space limit, so a hanging, crashing or memory-bombing input fails its job — never the worker.
Extraction is deterministic, so a job re-run after a crash gives the same result.
"""
from __future__ import annotations

import importlib
import json
import logging
import multiprocessing as mp
import os
import time
from collections.abc import Callable
from multiprocessing.connection import Connection

from extraction import progress
from extraction.pipeline import ExtractionError
from extraction.result import ExtractionResult
from service.config import Settings
from service.store import BlobStore, Database, Job, JobStatus, utcnow

__all__ = ["JobFailure", "isolated_extract", "run_job"]
log = logging.getLogger("gongkai.jobs")
_CTX: dict[str, mp.context.BaseContext] = {}


class JobFailure(Exception):
    """The extraction could not finish (timeout, crash, memory, bug): the job fails with this reason."""


def _load(extractor: str):
    module, _, func = extractor.partition(":")
    return getattr(importlib.import_module(module), func or "extract")


def _child(conn: Connection, extractor: str, data: bytes, name: str, labeller: str, mem_mb: int) -> None:
    if mem_mb > 0:
        import resource
        limit = mem_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        with progress.on_page(lambda done, total: conn.send(("page", done, total))):
            result = _load(extractor)(data, name, labeller=labeller)
        conn.send(("ok", result.model_dump_json()))
    except ExtractionError as exc:
        conn.send(("extraction_error", str(exc) or exc.__class__.__name__))
    except MemoryError:
        conn.send(("error", f"extraction ran out of memory (limit {mem_mb} MB)"))
    except BaseException as exc:  # noqa: BLE001 - report, never crash silently
        conn.send(("error", f"extraction failed: {exc.__class__.__name__}: {exc}"[:2000]))
    finally:
        conn.close()
        os._exit(0)  # skip interpreter teardown of the inherited heap: it cost more than the extraction


def _context(extractor: str) -> mp.context.BaseContext:
    if extractor not in _CTX:
        ctx = mp.get_context("forkserver")
        # everything a child would otherwise import again: when the server runs as `python -m service.api`
        # each child re-runs the main module, so its imports (FastAPI…) must already be in the fork server
        ctx.set_forkserver_preload(["__main__", "service.api", "service.jobs", extractor.partition(":")[0]])
        _CTX[extractor] = ctx
    return _CTX[extractor]


def isolated_extract(data: bytes, name: str, settings: Settings, timeout_s: float | None = None,
                     on_page: Callable[[int, int], None] | None = None) -> ExtractionResult:
    """Run the configured extractor on `data` in a child process; `on_page(done, total)` hears of each
    page the child has read (see `extraction.progress`).

    Raises `ExtractionError` when the input is not a report, `JobFailure` for everything else."""
    timeout_s = timeout_s or settings.job_timeout_s
    ctx = _context(settings.extractor)
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, settings.extractor, data, name, settings.labeller,
                                             settings.max_memory_mb), daemon=True)
    proc.start()
    send.close()
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            if not recv.poll(max(0.0, deadline - time.monotonic())):
                raise JobFailure(f"extraction timed out after {timeout_s:g} s")
            kind, *payload = recv.recv()
            if kind != "page":
                payload = payload[0]
                break
            if on_page is not None:
                on_page(*payload)
    except EOFError:
        proc.join(5)
        raise JobFailure(f"extraction process died (exit code {proc.exitcode})") from None
    finally:
        recv.close()
        if proc.is_alive():
            proc.kill()
        proc.join(5)
    if kind == "ok":
        return ExtractionResult.model_validate_json(payload)
    if kind == "extraction_error":
        raise ExtractionError(payload)
    raise JobFailure(payload)


def run_job(job_id: str, settings: Settings, db: Database | None = None) -> str | None:
    """Claim, extract and persist one job. Returns its final status, or None if another worker has it."""
    db = db or Database(settings.db_url)
    if not db.claim(job_id, lease_s=settings.job_timeout_s + 60, max_attempts=settings.max_attempts):
        db.fail_exhausted(settings.max_attempts)
        return None
    job = db.get(job_id)
    t0 = time.monotonic()
    log.info("job started", extra={"job_id": job_id, "file": job.filename, "attempt": job.attempts})
    try:
        data = BlobStore(settings.blob_dir).get(job.sha256)
        result = isolated_extract(data, job.filename, settings,
                                  on_page=lambda done, _total: _pages_done(db, job_id, done))
    except ExtractionError as exc:
        return _finish(db, job_id, t0, reason=f"not extractable: {exc}")
    except JobFailure as exc:
        return _finish(db, job_id, t0, reason=str(exc))
    except Exception as exc:  # noqa: BLE001 - e.g. the blob vanished
        return _finish(db, job_id, t0, reason=f"{exc.__class__.__name__}: {exc}")
    return _finish(db, job_id, t0, result=result)


def _pages_done(db: Database, job_id: str, done: int) -> None:
    """Progress is best effort: a busy database delays it, it never fails the job."""
    try:
        with db.session() as s:
            job = s.get(Job, job_id)
            if job is not None and job.status == JobStatus.running:
                job.pages_done = done
                s.commit()
    except Exception:  # noqa: BLE001
        log.warning("could not record page progress", extra={"job_id": job_id, "pages_done": done})


def _finish(db: Database, job_id: str, t0: float, result: ExtractionResult | None = None,
            reason: str | None = None) -> str:
    from service import crossyear  # noqa: PLC0415 - avoids an import cycle

    duration = time.monotonic() - t0
    with crossyear.LOCK, db.session() as s:
        job = s.get(Job, job_id)
        job.finished_at = utcnow()
        job.duration_s = duration
        job.lease_until = None
        if result is None:
            job.status, job.reason = JobStatus.failed, reason
        else:
            job.status, job.reason = JobStatus.done, None
            job.pages_done = job.pages_total
            job.result_json = result.model_dump_json()
            job.org, job.year = result.meta.org, result.meta.year
            job.org_canonical = result.meta.org_canonical
            job.confidence, job.needs_review = result.confidence, result.needs_review
            crossyear.refresh_in(s, job)  # done and its cross-year findings commit together
        s.commit()
        status = job.status
    log.info("job finished", extra={"job_id": job_id, "status": status, "duration_s": round(duration, 3),
                                    "reason": reason})
    return status


def result_of(job: Job) -> ExtractionResult | None:
    return ExtractionResult.model_validate_json(job.result_json) if job.result_json else None


def crossyear_of(job: Job) -> list[dict]:
    return json.loads(job.crossyear_json) if job.crossyear_json else []
