"""Celery app for users who outgrow one machine: `gongkai worker` runs `service.jobs.run_job` from Redis.

The worker reads its settings from the GONGKAI_* environment, like the API; both must point at the
same database and data dir (or the same shared disk for blobs).

Nothing is lost when a worker dies: messages are acknowledged only after the job ran (acks-late, and
re-delivered when the worker is lost), the job's lease stops being renewed, and a sweeper (in the API
and in every worker) re-queues it once the lease expired. Duplicate deliveries are harmless: a job is
claimed by attempt number, so a second delivery of a running or finished job does nothing.
"""
from __future__ import annotations

import os
from functools import lru_cache

from celery import Celery

from gongkai.service.config import Settings
from gongkai.service.jobs import run_job
from gongkai.service.store import Database

__all__ = ["make_celery", "run_worker"]


@lru_cache(maxsize=4)
def _db(url: str) -> Database:
    return Database(url)


def make_celery(settings: Settings) -> Celery:
    app = Celery("gongkai", broker=settings.broker_url)
    app.conf.update(
        task_default_queue="gongkai",
        task_acks_late=True,  # a worker killed mid-job leaves its message to be redelivered
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        # an unacknowledged message comes back after this (Redis); the lease sweeper is the fast path
        broker_transport_options={"visibility_timeout": max(60.0, 2 * settings.job_timeout_s)},
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,
        worker_hijack_root_logger=False,
    )

    @app.task(name="gongkai.run_job")
    def _run(job_id: str) -> str | None:
        current = Settings.from_env()
        return run_job(job_id, current, _db(current.db_url))

    return app


def run_worker(settings: Settings, extra_args: list[str] | None = None) -> None:
    """Block running a Celery worker (thread pool of `settings.workers`; extraction is in child processes)."""
    if not settings.broker_url:
        raise SystemExit("gongkai worker needs GONGKAI_BROKER_URL (e.g. redis://localhost:6379/0)")
    os.environ.update(settings.to_env())
    from gongkai.service.logs import setup_logging  # noqa: PLC0415
    setup_logging(settings.log_level)
    db = _db(settings.db_url)
    app = make_celery(settings)
    for job_id in db.next_queued(limit=10_000):  # work queued while no worker was up, or lost by the broker
        app.send_task("gongkai.run_job", args=[job_id])
    from gongkai.service.workers import Sweeper  # noqa: PLC0415
    Sweeper(settings, db, lambda job_id: app.send_task("gongkai.run_job", args=[job_id])).start()
    app.worker_main(["worker", "--pool=threads", f"--concurrency={max(1, settings.workers)}",
                     f"--loglevel={settings.log_level}", "-Q", "gongkai", *(extra_args or [])])
