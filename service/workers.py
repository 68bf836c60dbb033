"""Who runs jobs: an in-process thread pool (default) or Celery workers (when GONGKAI_BROKER_URL is set).

Both run `service.jobs.run_job`; both find queued work again after a restart, since the database,
not the queue, is the record of what is left to do. Both run the same `Sweeper`: a job whose worker
stopped renewing its lease (killed, frozen, its machine gone) is re-queued and sent again, or failed
with the reason after `max_attempts` starts.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from gongkai.service.config import Settings
from gongkai.service.jobs import run_job
from gongkai.service.store import Database

__all__ = ["Dispatcher", "InProcessPool", "CeleryDispatcher", "Sweeper", "make_dispatcher"]
log = logging.getLogger("gongkai.workers")


class Dispatcher:
    def start(self) -> None: ...
    def submit(self, job_id: str) -> None: ...
    def stop(self) -> None: ...


class Sweeper:
    """A thread that, every third of the lease, re-queues the running jobs whose lease expired and
    hands each to `resend` (the queue of the mode we run in)."""

    def __init__(self, settings: Settings, db: Database, resend: Callable[[str], None]):
        self.settings, self.db, self.resend = settings, db, resend
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sweep_once(self) -> list[str]:
        ids = self.db.sweep(self.settings.max_attempts)
        for job_id in ids:
            log.warning("lease expired: job re-queued", extra={"job_id": job_id})
            self.resend(job_id)
        return ids

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="gongkai-sweeper", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.wait(max(0.2, self.settings.lease_s / 3)):
            try:
                self.sweep_once()
            except Exception:  # noqa: BLE001 - e.g. the database is briefly locked; the next round retries
                log.exception("sweeper error")


class InProcessPool(Dispatcher):
    """`settings.workers` threads; each claims the oldest queued job and extracts it in a child process."""

    def __init__(self, settings: Settings, db: Database):
        self.settings, self.db = settings, db
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.sweeper = Sweeper(settings, db, self.submit)

    def start(self) -> None:
        requeued = self.db.requeue_running()  # we are the only executor: running jobs were interrupted
        self.db.fail_exhausted(self.settings.max_attempts)
        if requeued:
            log.info("requeued interrupted jobs", extra={"count": requeued})
        for i in range(max(1, self.settings.workers)):
            t = threading.Thread(target=self._loop, name=f"gongkai-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        self.sweeper.start()

    def submit(self, job_id: str) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        self.sweeper.stop(timeout)
        for t in self._threads:
            t.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            ran = False
            try:
                for job_id in self.db.next_queued(limit=2 * len(self._threads) or 2):
                    if self._stop.is_set():
                        return
                    if run_job(job_id, self.settings, self.db) is not None:
                        ran = True
                        break
            except Exception:  # noqa: BLE001 - e.g. the database is briefly locked; try again
                log.exception("worker loop error")
            if not ran:
                self._wake.wait(1.0)
                self._wake.clear()


class CeleryDispatcher(Dispatcher):
    """Sends each job id to the Celery queue; `gongkai worker` processes run them. The API process
    sweeps too, so a job whose worker died is sent again even while no other worker sweeps."""

    def __init__(self, settings: Settings, db: Database):
        from gongkai.service.celery_app import make_celery  # noqa: PLC0415 - celery only when configured
        self.settings, self.db = settings, db
        self.app = make_celery(settings)
        self.sweeper = Sweeper(settings, db, self.submit)

    def start(self) -> None:
        for job_id in self.db.next_queued(limit=10_000):  # resend: a lost message must not lose a job
            self.submit(job_id)
        self.sweeper.start()

    def submit(self, job_id: str) -> None:
        self.app.send_task("gongkai.run_job", args=[job_id])

    def stop(self) -> None:
        self.sweeper.stop()


def make_dispatcher(settings: Settings, db: Database) -> Dispatcher:
    return CeleryDispatcher(settings, db) if settings.broker_url else InProcessPool(settings, db)
