"""The API's request and response models (the OpenAPI schema is generated from these)."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from extraction.result import ExtractionResult
from service.crossyear import Finding

__all__ = ["Problem", "JobRef", "Rejection", "SubmitResponse", "Progress", "JobView", "JobPage", "ReviewRequest",
           "ReviewResponse", "Health"]

Status = Literal["queued", "running", "done", "failed"]


class Problem(BaseModel):
    detail: str


class JobRef(BaseModel):
    id: str
    filename: str
    status: Status
    duplicate: bool = Field(description="the same bytes were submitted before: this is that job")
    url: str


class Rejection(BaseModel):
    filename: str
    status_code: int
    detail: str


class SubmitResponse(BaseModel):
    jobs: list[JobRef]
    rejected: list[Rejection] = Field(default_factory=list, description="files of a batch that were refused")


class Progress(BaseModel):
    pages_done: int
    pages_total: int


class JobView(BaseModel):
    id: str
    filename: str
    kind: str
    size: int
    sha256: str
    status: Status
    reason: str | None = None
    progress: Progress
    attempts: int
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_s: float | None = None
    org: str | None = None
    year: int | None = None
    confidence: float | None = None
    needs_review: bool | None = None
    reviewed: bool = False
    crossyear: list[Finding] = Field(default_factory=list, description="findings against the org's other years")
    result: ExtractionResult | None = None


class JobPage(BaseModel):
    items: list[JobView]
    total: int
    limit: int
    offset: int


class ReviewRequest(BaseModel):
    fields: dict[str, int | float | None] = Field(description="field id -> the value the reviewer read")
    org: str | None = None
    year: int | None = None


class ReviewResponse(BaseModel):
    job: JobView
    labelled_dir: str
    gold_file: str


class Health(BaseModel):
    status: str
    checks: dict[str, str] = Field(default_factory=dict)
