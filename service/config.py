"""Service settings, read from GONGKAI_* environment variables (one table in docs/service/README.md)."""
from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir
from pydantic import BaseModel, Field

from gongkai.extraction.ingest.limits import DEFAULT_LIMITS as _L
from gongkai.extraction.ingest.limits import Limits

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
    ("GONGKAI_LABELLER", "labeller", "model", "labeller of the pipeline (`models.registry.build_pipeline`; model | rules)"),
    ("GONGKAI_MODEL_MODE", "model_mode", "(unset: the weights' own, hybrid)",
     "the model labeller fused with the rules (hybrid) or the network alone (pure)"),
    ("GONGKAI_CALIBRATION", "calibration", "(unset: models/calibration.json)",
     "confidence calibrator: `off` for raw scores, or the path of another calibrator file"),
    ("GONGKAI_OCR_CELLS", "ocr_cells", "1", "1: OCR reads a scan's known table cells from their own crops; 0: detects over the whole page"),
    ("GONGKAI_ALLOWED_HOSTS", "allowed_hosts", "localhost,127.0.0.1,[::1]",
     "Host header names served (400 otherwise; `*` = any); needed when listening on a wildcard address"),
    ("GONGKAI_MAX_UPLOAD_MB", "max_upload_mb", str(_L.max_bytes // (1024 * 1024)), "largest accepted file (413 above)"),
    ("GONGKAI_MAX_FILES", "max_files", "100", "files per batch upload"),
    ("GONGKAI_MAX_PAGES", "max_pages", str(_L.max_pages), "PDF / TIFF page limit (422 above; intake and engine)"),
    ("GONGKAI_MAX_PIXELS", "max_pixels", str(_L.max_pixels), "image / rendered page / crop pixel limit (422 above)"),
    ("GONGKAI_MAX_TEXT_CHARS", "max_text_chars", str(_L.max_text_chars),
     "characters of text one input may have (422 above; checked before parsing)"),
    ("GONGKAI_JOB_TIMEOUT", "job_timeout_s", f"{_L.timeout_s:g}", "seconds one extraction may run before its job fails"),
    ("GONGKAI_MAX_MEMORY_MB", "max_memory_mb", str(_L.memory_mb),
     "address-space limit of the extraction process (0 = none)"),
    ("GONGKAI_SYNC_MAX_MB", "sync_max_mb", "5", "largest input for synchronous POST /v1/extract"),
    ("GONGKAI_SYNC_MAX_PAGES", "sync_max_pages", "10", "most PDF pages for synchronous POST /v1/extract"),
    ("GONGKAI_SYNC_CONCURRENCY", "sync_concurrency", "2", "synchronous extractions at once (429 beyond)"),
    ("GONGKAI_MAX_ATTEMPTS", "max_attempts", "3", "times a job is started before it fails (a worker died under it)"),
    ("GONGKAI_LEASE_S", "lease_s", "30",
     "a running job's lease, renewed by its worker's heartbeat; past it the sweeper re-queues the job"),
    ("GONGKAI_EXTRACTOR", "extractor", "gongkai.models.registry:extract",
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
    model_mode: str | None = None
    calibration: str = ""
    ocr_cells: bool = True
    allowed_hosts: str = "localhost,127.0.0.1,[::1]"
    max_upload_mb: float = _L.max_bytes / (1024 * 1024)
    max_files: int = 100
    max_pages: int = Field(_L.max_pages, ge=1)
    max_pixels: int = Field(_L.max_pixels, ge=1)
    max_text_chars: int = Field(_L.max_text_chars, ge=1)
    job_timeout_s: float = Field(_L.timeout_s, gt=0)
    max_memory_mb: int = _L.memory_mb
    sync_max_mb: float = 5
    sync_max_pages: int = 10
    sync_concurrency: int = Field(2, ge=1)
    max_attempts: int = Field(3, ge=1)
    lease_s: float = Field(30, gt=0)
    extractor: str = "gongkai.models.registry:extract"
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
    def limits(self) -> Limits:
        """The engine's limits with these settings' numbers: intake and engine enforce the same ones."""
        return Limits(max_pages=self.max_pages, max_pixels=self.max_pixels, max_bytes=self.max_upload_bytes,
                      max_text_chars=self.max_text_chars, dpi=_L.dpi, page_timeout_s=_L.page_timeout_s,
                      timeout_s=self.job_timeout_s, memory_mb=self.max_memory_mb)

    @property
    def pipeline_options(self) -> dict:
        """The pipeline's settings other than the labeller, as the extractor's keywords
        (`models.registry.extract`)."""
        return {"model_mode": self.model_mode, "calibration": self.calibration, "ocr_cells": self.ocr_cells}

    @property
    def host_names(self) -> list[str]:
        return [h.strip() for h in self.allowed_hosts.split(",") if h.strip()]

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
