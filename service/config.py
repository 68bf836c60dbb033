"""Service settings, read from GONGKAI_* environment variables (one table in docs/service/README.md)."""
from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir
from pydantic import BaseModel, Field

__all__ = ["Settings", "ENV_TABLE"]

# (variable, attribute, default shown in docs, meaning) — the README table is generated from this.
ENV_TABLE = [
    ("GONGKAI_DATA_DIR", "data_dir", "platformdirs user data dir /gongkai",
     "SQLite file, content-addressed uploads (`blobs/`), labelled reports (`labelled/`)"),
    ("GONGKAI_DATABASE_URL", "database_url", "sqlite:///$GONGKAI_DATA_DIR/gongkai.db",
     "SQLAlchemy URL; e.g. postgresql+psycopg://user:pw@host/db"),
    ("GONGKAI_BROKER_URL", "broker_url", "(unset: in-process workers)",
     "Redis URL; when set, jobs go to Celery and `gongkai worker` runs them"),
    ("GONGKAI_API_KEY", "api_key", "(unset)",
     "required in the `X-API-Key` header (or `gongkai_api_key` cookie); mandatory off loopback"),
    ("GONGKAI_WORKERS", "workers", "2", "parallel extractions per process (in-process pool or Celery worker)"),
    ("GONGKAI_LABELLER", "labeller", "model", "labeller passed to `extraction.pipeline.extract` (model | rules)"),
    ("GONGKAI_MAX_UPLOAD_MB", "max_upload_mb", "50", "largest accepted file (413 above)"),
    ("GONGKAI_MAX_FILES", "max_files", "100", "files per batch upload"),
    ("GONGKAI_MAX_PAGES", "max_pages", "200", "PDF page limit (422 above)"),
    ("GONGKAI_MAX_PIXELS", "max_pixels", "150000000", "image pixel limit (422 above)"),
    ("GONGKAI_JOB_TIMEOUT", "job_timeout_s", "600", "seconds one extraction may run before its job fails"),
    ("GONGKAI_MAX_MEMORY_MB", "max_memory_mb", "4096", "address-space limit of the extraction process (0 = none)"),
    ("GONGKAI_SYNC_MAX_MB", "sync_max_mb", "5", "largest input for synchronous POST /v1/extract"),
    ("GONGKAI_SYNC_MAX_PAGES", "sync_max_pages", "10", "most PDF pages for synchronous POST /v1/extract"),
    ("GONGKAI_MAX_ATTEMPTS", "max_attempts", "3", "times a job is retried after a worker died under it"),
    ("GONGKAI_EXTRACTOR", "extractor", "extraction.pipeline:extract",
     "the extract function (`module:function`); tests swap in a fake"),
    ("GONGKAI_LOG_LEVEL", "log_level", "INFO", "structured (JSON lines) log level"),
]


class Settings(BaseModel):
    """Everything the service can be told. `Settings.from_env()` reads the GONGKAI_* variables."""

    data_dir: Path = Field(default_factory=lambda: Path(user_data_dir("gongkai")))  # = models.promoted.default_data_dir
    database_url: str | None = None
    broker_url: str | None = None
    api_key: str | None = None
    workers: int = 2
    labeller: str = "model"
    max_upload_mb: float = 50
    max_files: int = 100
    max_pages: int = 200
    max_pixels: int = 150_000_000
    job_timeout_s: float = 600
    max_memory_mb: int = 4096
    sync_max_mb: float = 5
    sync_max_pages: int = 10
    max_attempts: int = 3
    extractor: str = "extraction.pipeline:extract"
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        values = {}
        for var, attr, _, _ in ENV_TABLE:
            if os.environ.get(var):
                values[attr] = os.environ[var]
        values.update(overrides)
        return cls(**values)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'gongkai.db'}"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def labelled_dir(self) -> Path:
        return self.data_dir / "labelled"

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def sync_max_bytes(self) -> int:
        return int(self.sync_max_mb * 1024 * 1024)

    def to_env(self) -> dict[str, str]:
        """The variables that reproduce these settings in another process (a Celery worker, a child)."""
        out = {}
        for var, attr, _, _ in ENV_TABLE:
            value = getattr(self, attr)
            if value is not None:
                out[var] = str(value)
        return out
