"""Persistence: the jobs table (SQLAlchemy: SQLite by default, PostgreSQL by URL) and the blob store.

Uploaded files are stored once, content-addressed by SHA-256, under `$GONGKAI_DATA_DIR/blobs/`.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import (Boolean, DateTime, Float, Integer, String, Text, create_engine, event, inspect, select,
                        text, update)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

__all__ = ["Job", "JobStatus", "BlobStore", "Database", "utcnow", "job_filters"]


class JobStatus:
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"
    ALL = (queued, running, done, failed)


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Job(Base):
    """One file submitted for extraction. `dedup_key` makes a resubmission of the same bytes the same job."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: uuid.uuid4().hex)
    dedup_key: Mapped[str] = mapped_column(String(100), unique=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(10))  # sniffed: pdf png jpeg tiff html txt
    size: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), index=True, default=JobStatus.queued)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    pages_total: Mapped[int] = mapped_column(Integer, default=1)
    pages_done: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    duration_s: Mapped[float | None] = mapped_column(Float, default=None)
    org: Mapped[str | None] = mapped_column(String(255), index=True, default=None)
    # the agency's canonical name (extraction.meta): what the cross-year checks join on
    org_canonical: Mapped[str | None] = mapped_column(String(255), index=True, default=None)
    year: Mapped[int | None] = mapped_column(Integer, index=True, default=None)
    confidence: Mapped[float | None] = mapped_column(Float, default=None)
    needs_review: Mapped[bool | None] = mapped_column(Boolean, default=None)
    reviewed: Mapped[bool] = mapped_column(Boolean, default=False)
    result_json: Mapped[str | None] = mapped_column(Text, default=None)
    crossyear_json: Mapped[str | None] = mapped_column(Text, default=None)


class Database:
    """Engine + session factory; creates the schema on first use."""

    def __init__(self, url: str):
        kwargs: dict = {"pool_pre_ping": True}
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        self.engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            @event.listens_for(self.engine, "connect")
            def _pragmas(conn, _record):  # WAL: readers never block the worker's writes
                cur = conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA busy_timeout=30000")
                cur.close()
        Base.metadata.create_all(self.engine)
        _add_missing_columns(self.engine)
        self.session = sessionmaker(self.engine, expire_on_commit=False)

    def get(self, job_id: str) -> Job | None:
        with self.session() as s:
            return s.get(Job, job_id)

    def claim(self, job_id: str, lease_s: float, max_attempts: int) -> int | None:
        """Atomically move a queued (or abandoned running) job to running with a fresh lease.

        Returns the attempt number now held (the token for `renew` and the finish), or None if the
        job is not claimable: someone else holds it, it is finished, or its attempts are used up."""
        now = utcnow()
        with self.session() as s:
            res = s.execute(
                update(Job)
                .where(Job.id == job_id, Job.attempts < max_attempts,
                       (Job.status == JobStatus.queued)
                       | ((Job.status == JobStatus.running) & (Job.lease_until < now)))
                .values(status=JobStatus.running, started_at=now, attempts=Job.attempts + 1, pages_done=0,
                        lease_until=now + timedelta(seconds=lease_s), reason=None)
            )
            s.commit()
            if res.rowcount != 1:
                return None
            return s.scalar(select(Job.attempts).where(Job.id == job_id))

    def renew(self, job_id: str, attempt: int, lease_s: float, pages_done: int | None = None,
              pages_total: int | None = None) -> bool:
        """The heartbeat: extend the lease of attempt `attempt` (and record its progress); False when
        that attempt is no longer the job's current one."""
        values: dict = {"lease_until": utcnow() + timedelta(seconds=lease_s)}
        if pages_done is not None:
            values["pages_done"] = pages_done
        if pages_total is not None:
            values["pages_total"] = pages_total
        with self.session() as s:
            res = s.execute(update(Job).where(Job.id == job_id, Job.status == JobStatus.running,
                                              Job.attempts == attempt).values(**values))
            s.commit()
            return res.rowcount == 1

    def sweep(self, max_attempts: int) -> list[str]:
        """Running jobs whose lease expired (their worker died): re-queued, or failed with the reason
        once they have been started `max_attempts` times. Returns the ids re-queued (to send again)."""
        now = utcnow()
        with self.session() as s:
            expired = (Job.status == JobStatus.running) & (Job.lease_until < now)
            s.execute(update(Job).where(expired, Job.attempts >= max_attempts).values(
                status=JobStatus.failed, finished_at=now, lease_until=None,
                reason=f"the worker was lost {max_attempts} times while extracting this file (lease expired)"))
            ids = list(s.scalars(select(Job.id).where(expired)))
            if ids:
                s.execute(update(Job).where(Job.id.in_(ids), expired)
                          .values(status=JobStatus.queued, lease_until=None))
            s.commit()
            return ids

    def next_queued(self, limit: int = 8) -> list[str]:
        with self.session() as s:
            return list(s.scalars(select(Job.id).where(Job.status == JobStatus.queued)
                                  .order_by(Job.created_at).limit(limit)))

    def requeue_running(self) -> int:
        """After a restart of the only executor: running jobs were interrupted; queue them again."""
        with self.session() as s:
            res = s.execute(update(Job).where(Job.status == JobStatus.running)
                            .values(status=JobStatus.queued, lease_until=None))
            s.commit()
            return res.rowcount

    def fail_exhausted(self, max_attempts: int) -> None:
        """Jobs whose worker died `max_attempts` times are failed instead of retried forever."""
        with self.session() as s:
            s.execute(update(Job).where(Job.status == JobStatus.queued, Job.attempts >= max_attempts)
                      .values(status=JobStatus.failed, finished_at=utcnow(),
                              reason=f"the worker was lost {max_attempts} times while extracting this file"))
            s.commit()


def _add_missing_columns(engine) -> None:
    """A database made by an older version gains the columns added since (nullable, so rows keep their
    data); `create_all` creates missing tables only."""
    have = {c["name"] for c in inspect(engine).get_columns(Job.__tablename__)}
    missing = [c for c in Job.__table__.columns if c.name not in have]
    if not missing:
        return
    with engine.begin() as conn:
        for col in missing:
            kind = col.type.compile(dialect=engine.dialect)
            conn.execute(text(f"ALTER TABLE {Job.__tablename__} ADD COLUMN {col.name} {kind}"))


class BlobStore:
    """Files stored once by SHA-256: blobs/ab/abcdef…; writes are atomic (temp file + rename)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def digest(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    def path(self, sha: str) -> Path:
        return self.root / sha[:2] / sha

    def put(self, data: bytes) -> str:
        sha = self.digest(data)
        target = self.path(sha)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        return sha

    def get(self, sha: str) -> bytes:
        return self.path(sha).read_bytes()


def job_filters(stmt, status: str | None, org: str | None, year: int | None, needs_review: bool | None):
    """The job list's filters (status, org contains, year, needs_review) on a select of jobs; the list
    and the dataset export filter alike."""
    if status:
        stmt = stmt.where(Job.status == status)
    if org:
        stmt = stmt.where(Job.org.contains(org))
    if year is not None:
        stmt = stmt.where(Job.year == year)
    if needs_review is not None:
        stmt = stmt.where(Job.needs_review.is_(needs_review))
    return stmt
