"""The API's request and response models (the OpenAPI schema is generated from these)."""
from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, WithJsonSchema, field_validator

from gongkai.extraction.fields import ALL_FIELDS
from gongkai.extraction.template import DECIMAL_FIELDS

from gongkai.extraction.result import ExtractionResult
from gongkai.service.crossyear import Finding

__all__ = ["Problem", "JobRef", "Rejection", "SubmitResponse", "Progress", "JobView", "JobPage", "ReviewRequest",
           "ReviewResponse", "Health"]

Status = Literal["queued", "running", "done", "failed"]
# the database keeps naive UTC; the API says so (RFC 3339 date-times carry their offset)
UtcDatetime = Annotated[datetime, AfterValidator(lambda d: d if d.tzinfo else d.replace(tzinfo=timezone.utc))]


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
    created_at: UtcDatetime
    started_at: UtcDatetime | None = None
    finished_at: UtcDatetime | None = None
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


MAX_COUNT = 10**9  # no report counts more than this of anything; a larger number is a typing slip
FORMAT_YEARS = (2021, 2100)  # the 2021 format's reports: from the 2021 report on
MAX_ORG_CHARS = 200
_KNOWN_FIELDS = frozenset(ALL_FIELDS)
ReviewValue = Annotated[int, Field(strict=True, ge=0, le=MAX_COUNT)] | Annotated[
    float, Field(strict=True, allow_inf_nan=False, ge=0, le=MAX_COUNT)] | None
_COUNT = {"anyOf": [{"type": "integer", "minimum": 0, "maximum": MAX_COUNT}, {"type": "null"}]}
_AMOUNT = {"anyOf": [{"type": "number", "minimum": 0, "maximum": MAX_COUNT}, {"type": "null"}]}
# the published schema says per field id what it takes (the validator below enforces the same)
_FIELDS_SCHEMA = {"type": "object", "additionalProperties": False, "maxProperties": len(ALL_FIELDS),
                  "properties": {fid: _AMOUNT if fid in DECIMAL_FIELDS else _COUNT for fid in ALL_FIELDS}}


class ReviewRequest(BaseModel):
    """A reviewer's corrections. Every value is checked against the contract before anything is saved:
    a count is an integer 0…10^9, the fee amount (万元) a finite decimal 0…10^9, null a blank cell."""

    fields: Annotated[dict[str, ReviewValue], WithJsonSchema(_FIELDS_SCHEMA)] = Field(
        description="field id (one of the 200 contract ids) -> the value the reviewer read; null = blank",
        max_length=len(ALL_FIELDS))
    org: Annotated[str, Field(min_length=1, max_length=MAX_ORG_CHARS)] | None = None
    year: Annotated[int, Field(ge=FORMAT_YEARS[0], le=FORMAT_YEARS[1])] | None = Field(
        None, description=f"report year, {FORMAT_YEARS[0]}–{FORMAT_YEARS[1]} (the 2021 format)")

    @field_validator("fields", mode="before")
    @classmethod
    def _known_ids(cls, fields):
        if isinstance(fields, dict) and (unknown := sorted(set(fields) - _KNOWN_FIELDS)):
            raise ValueError(f"unknown field ids: {', '.join(map(str, unknown[:5]))}")
        return fields

    @field_validator("fields")
    @classmethod
    def _contract(cls, fields: dict) -> dict:
        for fid, value in fields.items():
            if isinstance(value, float):
                if not math.isfinite(value):  # pragma: no cover - allow_inf_nan refuses these first
                    raise ValueError(f"{fid}: not a finite number")
                if fid not in DECIMAL_FIELDS and not value.is_integer():
                    raise ValueError(f"{fid}: a count is a whole number, not {value}")
        return fields


class ReviewResponse(BaseModel):
    job: JobView
    labelled_dir: str
    gold_file: str


class Health(BaseModel):
    status: str
    checks: dict[str, str] = Field(default_factory=dict)
