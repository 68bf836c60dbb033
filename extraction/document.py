"""The ingestion output: one stream of text segments, whatever the source was.

Every reader (plain text, HTML, PDF text layer, OCR) produces a `Document`; every later stage reads
only this. A segment is one cell-like unit of text — a tab/pipe/space-separated cell of a text line,
an HTML table cell, a PDF word group or an OCR box — and segments sharing `(page, line)` form one
visual line, in reading order.
"""
from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, Field


class SourceKind(str, Enum):
    text = "text"  # digital plain text / markdown / crawler export
    ocr_text = "ocr_text"  # text that came out of someone's OCR: readings are uncertain
    html = "html"
    pdf_text = "pdf_text"  # PDF text layer
    pdf_scan = "pdf_scan"  # PDF pages that had to be OCRed
    image = "image"


DIGITAL_KINDS = frozenset({SourceKind.text, SourceKind.html, SourceKind.pdf_text})


class Box(BaseModel):
    """Page coordinates (points for PDF text, pixels for images), origin top-left."""

    x0: float
    y0: float
    x1: float
    y1: float


class Alternative(BaseModel):
    """Another reading of a segment's text with its probability (OCR top-k)."""

    text: str
    prob: float


class Segment(BaseModel):
    text: str
    page: int = 1
    line: int = 0
    box: Box | None = None
    span: tuple[int, int] | None = Field(None, description="character offsets in the decoded source text")
    char_conf: list[float] | None = Field(None, description="per-character recognition confidence (OCR)")
    alternatives: list[Alternative] = Field(default_factory=list)
    table: int | None = Field(None, description="index of the source table (HTML / ruled PDF), if any")
    row: int | None = None
    col: int | None = None

    @property
    def confidence(self) -> float:
        return min(self.char_conf) if self.char_conf else 1.0


class Document(BaseModel):
    source_kind: SourceKind
    name: str = ""
    pages: int = 1
    segments: list[Segment]
    title_hint: str | None = Field(None, description="e.g. an HTML <title> or crawler 标题: line")

    @property
    def digital(self) -> bool:
        return self.source_kind in DIGITAL_KINDS

    def lines(self) -> list[list[int]]:
        """Segment indices grouped by visual line, in reading order."""
        out: list[list[int]] = []
        last: tuple[int, int] | None = None
        for i, seg in enumerate(self.segments):
            key = (seg.page, seg.line)
            if key != last:
                out.append([])
                last = key
            out[-1].append(i)
        return out
