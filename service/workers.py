"""Who runs jobs: an in-process thread pool (default) or Celery workers (when GONGKAI_BROKER_URL is set).

Both run `service.jobs.run_job`; both find queued work again after a restart, since the database,
not the queue, is the record of what is left to do.
"""
from __future__ import annotations

import logging
import threading

from service.config import Settings
from service.jobs import run_job
from service.store import Database

__all__ = ["Dispatcher", "InProcessPool", "CeleryDispatcher", "make_dispatcher"]
log = logging.getLogger("gongkai.workers")


class Dispatcher:
    def start(self) -> None: ...
    def submit(self, job_id: str) -> None: ...
    def stop(self) -> None: ...


class InProcessPool(Dispatcher):
    """`settings.workers` threads; each claims the oldest queued job and extracts it in a child process."""

    def __init__(self, settings: Settings, db: Database):
        self.settings, self.db = settings, db
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        requeued = self.db.requeue_running()  # we are the only executor: running jobs were interrupted
        self.db.fail_exhausted(self.settings.max_attempts)
        if requeued:
            log.info("requeued interrupted jobs", extra={"count": requeued})
        for i in range(max(1, self.settings.workers)):
            t = threading.Thread(target=self._loop, name=f"gongkai-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def submit(self, job_id: str) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
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
    """Sends each job id to the Celery queue; `gongkai worker` processes run them."""

    def __init__(self, settings: Settings, db: Database):
        from service.celery_app import make_celery  # noqa: PLC0415 - celery only when configured
        self.settings, self.db = settings, db
        self.app = make_celery(settings)

    def start(self) -> None:
        for job_id in self.db.next_queued(limit=10_000):  # resend: a lost message must not lose a job
            self.submit(job_id)

    def submit(self, job_id: str) -> None:
        self.app.send_task("gongkai.run_job", args=[job_id])


def make_dispatcher(settings: Settings, db: Database) -> Dispatcher:
    return CeleryDispatcher(settings, db) if settings.broker_url else InProcessPool(settings, db)
