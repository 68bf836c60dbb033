"""The published output: what `gongkai extract --json` prints and the service stores.

One pydantic model, so the JSON Schema (`gongkai schema`) is generated, never hand-written.
"""
from __future__ import annotations

from datetime import date
from enum import Enum

from pydantic import BaseModel, Field

from gongkai.extraction.document import Box, SourceKind


class CellStatus(str, Enum):
    number = "number"  # a number was printed (or recovered where the reading lost it)
    blank = "blank"  # the cell is printed empty
    slash = "slash"  # the cell holds "/", "-" or "—"
    text = "text"  # the cell holds words, not a number
    missing = "missing"  # the report does not print this cell (table absent, rows merged)


class Provenance(BaseModel):
    page: int | None = None
    line: int | None = None
    box: Box | None = None
    span: tuple[int, int] | None = Field(None, description="character offsets in the decoded source text")


class Candidate(BaseModel):
    value: int | float | None
    probability: float


class FieldResult(BaseModel):
    value: int | float | None = None
    raw: str = ""
    status: CellStatus = CellStatus.missing
    confidence: float = 0.0
    provenance: Provenance | None = None
    corrected_from: str | None = Field(None, description="the raw reading the reconciler replaced")
    implied: int | None = Field(
        None, description="value the 勾稽关系 force on a cell that is not printed (merged rows, '/', blanks)")
    candidates: list[Candidate] = Field(default_factory=list, description="set when the value is ambiguous")
    human_verified: bool = False


class ViolationKind(str, Enum):
    source_error = "source_error"  # the report's printed numbers break its own arithmetic
    unresolved = "unresolved"  # extraction doubt the constraints could not settle


class Violation(BaseModel):
    constraint: str
    lhs: list[str]
    rhs: list[str]
    lhs_value: float
    rhs_value: float
    difference: float
    kind: ViolationKind
    cells: list[str] = Field(description="smallest set of cells whose change explains the violation")
    alternatives: list[list[str]] = Field(default_factory=list,
                                          description="other equally small explanations, if any")


class Correction(BaseModel):
    field: str
    before: str = Field(description="the raw reading ('' when the reading lost the cell)")
    after: int | float | None
    constraints: list[str] = Field(description="the 勾稽 constraints that forced the change")
    reason: str


class MergedRow(BaseModel):
    """A printed row that stands for several canonical rows (e.g. （六）其他处理 as one line)."""

    label: str
    rows: list[str]
    values: dict[str, int | float | None] = Field(description="column -> printed value")


class Region(BaseModel):
    """Where the issuing agency sits, from the administrative-division table (see extraction.meta)."""

    province: str | None = None
    city: str | None = None
    county: str | None = None
    code: str | None = Field(None, description="6-digit division code of the deepest level resolved")


class NarrativeFigure(BaseModel):
    """A table figure the report states in its own words ("予以公开22件"), checked against the table."""

    key: str = Field(description="what is stated: new_received, granted, review, …")
    fields: list[str] = Field(description="the table fields whose sum the figure states")
    value: int
    phrase: str = Field(description="the words as printed, number included")
    provenance: Provenance | None = None
    table_value: int | float | None = Field(None, description="the sum of `fields` as extracted; None if unknown")
    agrees: bool | None = Field(None, description="False: the text contradicts the table (a finding)")


class ReviewReason(BaseModel):
    """Why a document needs a person (extraction/review_policy.py decides): which check, which cells."""

    code: str = Field(description="meta_org_missing | meta_org_suspect | meta_year_missing | table_missing | "
                                  "unresolved_violation | ambiguous_cells | uncertain_cells | low_document_confidence")
    message: str
    cells: list[str] = Field(default_factory=list, description="the field ids to look at")
    constraint: str | None = Field(None, description="the 勾稽 constraint concerned, if any")


class Meta(BaseModel):
    org: str | None = Field(None, description="the issuing agency as printed")
    org_canonical: str | None = Field(
        None, description="seat completed, variants normalised: the key the cross-year checks join on")
    region: Region | None = None
    year: int | None = Field(None, description="the year reported on (not the publication date)")
    published: date | None = Field(None, description="the date signed at the end of the report, when printed")
    title: str | None = None
    source_kind: SourceKind


class ExtractionResult(BaseModel):
    meta: Meta
    fields: dict[str, FieldResult]
    violations: list[Violation] = Field(default_factory=list)
    corrections: list[Correction] = Field(default_factory=list)
    merged_rows: list[MergedRow] = Field(default_factory=list)
    narrative: list[NarrativeFigure] = Field(
        default_factory=list, description="figures the report's prose states, used as evidence and checked")
    warnings: list[str] = Field(default_factory=list)
    confidence: float = 0.0
    needs_review: bool = True
    review_reasons: list[ReviewReason] = Field(default_factory=list,
                                               description="why needs_review is set (empty when it is not)")
    fingerprint: str = ""

    def values(self) -> dict[str, int | float | None]:
        return {k: f.value for k, f in self.fields.items()}
