"""The one job function both worker kinds run: load blob → `extraction.pipeline.extract` → persist.

Every extraction runs in a child process (forked from a preloaded fork server) with a timeout, an
address-space limit and the engine's limits set to the service's (one set of numbers), so a hanging,
crashing or memory-bombing input fails its job — never the worker. A child that finished its job
cleanly serves the next one (warm: no fork, no first-call loading — a text report then costs what it
costs in-process); one whose job timed out, crashed or ran out of memory is ended. The child dies with
the process that started it (a lifeline pipe), so a killed server or worker leaves no extraction
burning the CPU.

A claimed job holds a lease (`Settings.lease_s`) that its worker's heartbeat renews while the child
works; a worker that dies stops renewing, and the sweeper (`sweep`) re-queues the job once the lease
has expired, or fails it after `max_attempts` starts. Each claim is one attempt number: a worker
renews and finishes only the attempt it claimed, so a job re-taken by another worker (or a duplicate
delivery of its message) is never finished twice. Extraction is deterministic, so a re-run gives the
same result.
"""
from __future__ import annotations

import importlib
import json
import logging
import multiprocessing as mp
import os
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection

from gongkai.extraction import progress
from gongkai.extraction.ingest import limits as engine_limits
from gongkai.extraction.pipeline import ExtractionError
from gongkai.extraction.result import ExtractionResult
from gongkai.service.config import Settings
from gongkai.service.store import BlobStore, Database, Job, JobStatus, utcnow

__all__ = ["JobFailure", "isolated_extract", "run_job"]
log = logging.getLogger("gongkai.jobs")
_CTX: dict[str, mp.context.BaseContext] = {}


class JobFailure(Exception):
    """The extraction could not finish (timeout, crash, memory, bug): the job fails with this reason."""


def _load(extractor: str):
    module, _, func = extractor.partition(":")
    return getattr(importlib.import_module(module), func or "extract")


def _die_with_parent(lifeline: Connection) -> None:
    """Exit this child as soon as the process that started it is gone.

    `lifeline` is the read end of a pipe whose only write end the service holds: when the service
    dies (kill -9 included) the kernel closes it and the read end turns readable (EOF). The child's
    parent is the fork server, which lives on while any child holds its own pipe — so neither the
    parent-death signal nor the fork server's exit would stop an orphaned extraction."""
    def watch() -> None:
        try:
            lifeline.poll(None)
        finally:
            os._exit(1)

    threading.Thread(target=watch, name="gongkai-lifeline", daemon=True).start()


#: a child serves job after job until one of these retires it (or a job fails, times out or loses its lease
#: in it): its warm caches are most of a text report's time (a warm text child holds ≈ 170 MB), but the
#: heap a scan leaves (≈ 590 MB after a 6-page one, OCR sessions included) is not kept idle — the next
#: scan pays ≈ 0.5 s of model loading, a few per cent of its time
CHILD_MAX_JOBS = 500
CHILD_MAX_RSS_MB = 512
#: idle children kept per configuration beyond the service's workers (a burst of synchronous calls may
#: start more; those exit when their job is done)
_SPARE_CHILDREN = 1


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _serve(conn: Connection, lifeline: Connection, memory_mb: int, max_jobs: int, max_rss_mb: float) -> None:
    """An extraction child's life: jobs in over `conn`, one reply each ("ok" | "extraction_error" |
    "error", payload, keep), until the parent closes `conn`, a job fails in a way that may have left the
    process unsound (out of memory, a bug), or the process has served `max_jobs` or grown past
    `max_rss_mb` (`CHILD_MAX_*`, read when the child starts)."""
    _die_with_parent(lifeline)
    if memory_mb > 0:
        import resource
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    served = 0
    while True:
        try:
            extractor, data, name, labeller, limits, options = conn.recv()
        except EOFError:
            os._exit(0)
        engine_limits.use_limits(limits)
        sound = True
        try:
            with progress.on_page(lambda done, total: conn.send(("progress", done, total))):
                result = _load(extractor)(data, name, labeller=labeller, **options)
            reply = ("ok", result.model_dump_json())
        except ExtractionError as exc:
            reply = ("extraction_error", str(exc) or exc.__class__.__name__)
        except MemoryError:
            reply, sound = ("error", f"extraction ran out of memory (limit {memory_mb} MB)"), False
        except BaseException as exc:  # noqa: BLE001 - report, never crash silently
            reply, sound = ("error", f"extraction failed: {exc.__class__.__name__}: {exc}"[:2000]), False
        del data
        result = None
        served += 1
        keep = sound and served < max_jobs and _rss_mb() < max_rss_mb
        try:
            conn.send((*reply, keep))
        finally:
            if not keep:
                conn.close()
                os._exit(0)  # skip interpreter teardown of the inherited heap: it cost more than the extraction


def _context(extractor: str) -> mp.context.BaseContext:
    if extractor not in _CTX:
        ctx = mp.get_context("forkserver")
        # everything a child would otherwise import again: when the server runs as `python -m gongkai.service.api`
        # each child re-runs the main module, so its imports (FastAPI…) must already be in the fork server;
        # `service.preload` then loads what the engine loads on its first extraction, once for all children
        ctx.set_forkserver_preload(["__main__", "gongkai.service.api", "gongkai.service.jobs", extractor.partition(":")[0],
                                    "gongkai.service.preload"])
        _CTX[extractor] = ctx
    return _CTX[extractor]


class _Child:
    """One extraction process (forked from the fork server) and the two pipes that tie it to us: `conn`
    carries jobs and replies; `alive` is its lifeline — when this process dies, the child does."""

    def __init__(self, ctx: mp.context.BaseContext, memory_mb: int):
        self.conn, theirs = ctx.Pipe()
        lifeline, self.alive = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=_serve, args=(theirs, lifeline, memory_mb, CHILD_MAX_JOBS, CHILD_MAX_RSS_MB),
                                daemon=True)
        self.proc.start()
        theirs.close()
        lifeline.close()

    def end(self) -> None:
        self.conn.close()
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)
        self.alive.close()


class _Children:
    """Idle extraction children for one configuration (extractor, memory limit). A job takes one (or
    starts one), gives it back if the child says it is still fit, and ends it otherwise — so a timeout,
    a lost lease or a crash costs one process and the next job starts a fresh one."""

    def __init__(self, extractor: str, memory_mb: int, spare: int):
        self.extractor, self.memory_mb, self.spare = extractor, memory_mb, spare
        self._idle: list[_Child] = []
        self._lock = threading.Lock()

    def take(self) -> _Child:
        with self._lock:
            while self._idle:
                child = self._idle.pop()
                if child.proc.is_alive():
                    return child
                child.end()
        return _Child(_context(self.extractor), self.memory_mb)

    def give_back(self, child: _Child) -> None:
        with self._lock:
            if len(self._idle) < self.spare:
                self._idle.append(child)
                return
        child.end()


_POOLS: dict[tuple[str, int], _Children] = {}
_POOLS_LOCK = threading.Lock()


def _children(settings: Settings) -> _Children:
    key = (settings.extractor, settings.limits.memory_mb)
    with _POOLS_LOCK:
        if key not in _POOLS:
            _POOLS[key] = _Children(*key, spare=max(1, settings.workers) + _SPARE_CHILDREN)
        return _POOLS[key]


def isolated_extract(data: bytes, name: str, settings: Settings, timeout_s: float | None = None, *,
                     on_page: Callable[[int, int], None] | None = None,
                     heartbeat: Callable[[], bool] | None = None) -> ExtractionResult:
    """Run the configured extractor on `data` in a child process (a warm one from earlier jobs when
    there is one: `_Children`).

    `on_page(pages_done, pages_total)` hears of each page the child has read (`extraction.progress`); `heartbeat()` is asked at
    least every third of the lease while the child works (False — the job is no longer ours — stops
    the child). Raises `ExtractionError` when the input is not a report, `JobFailure` otherwise."""
    timeout_s = timeout_s or settings.job_timeout_s
    pool = _children(settings)
    child = pool.take()
    keep = False
    deadline = time.monotonic() + timeout_s
    beat = max(0.2, settings.lease_s / 3)
    try:
        child.conn.send((settings.extractor, data, name, settings.labeller, settings.limits, settings.pipeline_options))
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise JobFailure(f"extraction timed out after {timeout_s:g} s")
            if not child.conn.poll(min(beat, left)):
                if heartbeat is not None and not heartbeat():
                    raise JobFailure("the job's lease was lost (another worker has it)")
                continue
            message = child.conn.recv()
            if message[0] == "progress":
                if on_page is not None:
                    on_page(message[1], message[2])
                continue
            kind, payload, keep = message
            break
    except (EOFError, BrokenPipeError, ConnectionResetError):
        child.proc.join(5)
        raise JobFailure(f"extraction process died (exit code {child.proc.exitcode})") from None
    finally:
        if keep:
            pool.give_back(child)
        else:
            child.end()
    if kind == "ok":
        return ExtractionResult.model_validate_json(payload)
    if kind == "extraction_error":
        raise ExtractionError(payload)
    raise JobFailure(payload)


def run_job(job_id: str, settings: Settings, db: Database | None = None) -> str | None:
    """Claim, extract and persist one job. Returns its final status, or None if it is not ours to run
    (another worker holds it, it is finished, or a duplicate delivery of its message)."""
    db = db or Database(settings.db_url)
    attempt = db.claim(job_id, lease_s=settings.lease_s, max_attempts=settings.max_attempts)
    if attempt is None:
        db.fail_exhausted(settings.max_attempts)
        return None
    job = db.get(job_id)
    t0 = time.monotonic()
    log.info("job started", extra={"job_id": job_id, "file": job.filename, "attempt": attempt})
    try:
        with _Lease(db, job_id, attempt, settings.lease_s) as lease:
            data = BlobStore(settings.blob_dir).get(job.sha256)
            result = isolated_extract(data, job.filename, settings, on_page=lease.progress, heartbeat=lease.held)
    except ExtractionError as exc:
        return _finish(db, job_id, attempt, t0, reason=f"not extractable: {exc}")
    except JobFailure as exc:
        return _finish(db, job_id, attempt, t0, reason=str(exc))
    except Exception as exc:  # noqa: BLE001 - e.g. the blob vanished
        return _finish(db, job_id, attempt, t0, reason=f"{exc.__class__.__name__}: {exc}")
    return _finish(db, job_id, attempt, t0, result=result)


class _Lease:
    """One claimed attempt of a job: a heartbeat thread renews its lease every third of it, from the
    claim to the finish (the fork server's first start can take seconds), and progress is recorded."""

    def __init__(self, db: Database, job_id: str, attempt: int, lease_s: float):
        self.db, self.job_id, self.attempt, self.lease_s = db, job_id, attempt, lease_s
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"gongkai-lease-{job_id[:8]}", daemon=True)

    def __enter__(self) -> "_Lease":
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join(5)

    def _beat(self) -> None:
        while not self._stop.wait(max(0.1, self.lease_s / 3)):
            try:
                if not self.db.renew(self.job_id, self.attempt, self.lease_s):
                    self.lost = True
                    return
            except Exception:  # noqa: BLE001 - a database hiccup: the next beat retries
                log.exception("lease renewal failed", extra={"job_id": self.job_id})

    def held(self) -> bool:
        return not self.lost

    def progress(self, done: int, total: int) -> None:
        try:
            self.db.renew(self.job_id, self.attempt, self.lease_s, pages_done=done, pages_total=total)
        except Exception:  # noqa: BLE001
            log.exception("progress update failed", extra={"job_id": self.job_id})


def _finish(db: Database, job_id: str, attempt: int, t0: float, result: ExtractionResult | None = None,
            reason: str | None = None) -> str | None:
    from gongkai.service import crossyear  # noqa: PLC0415 - avoids an import cycle

    duration = time.monotonic() - t0
    with crossyear.LOCK, db.session() as s:
        job = s.get(Job, job_id)
        if job is None or job.status != JobStatus.running or job.attempts != attempt:
            log.warning("job result dropped: the attempt is no longer current",
                        extra={"job_id": job_id, "attempt": attempt})
            return None  # swept and re-taken by another worker, or failed: that attempt decides
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
