"""The labelling seam: a `Labeller` turns a `Document` into labelled character spans.

The rule labeller (`models.rules`) and the token classifier (`models.token_classifier`) both
implement it; the assembler reads only `LabelledDocument`, so either can be swapped in
(`--labeller rules|model`).
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

from pydantic import BaseModel, Field

from gongkai.extraction.document import Document
from gongkai.models.labels import Tag


class Span(BaseModel):
    """A labelled character range `[start, end)` of one segment's text."""

    segment: int
    start: int
    end: int
    tag: Tag
    key: str | None = None
    score: float = Field(1.0, description="labeller's probability for this span's label")


class LabelledDocument(BaseModel):
    document: Document
    spans: list[Span] = Field(description="sorted by (segment, start)")
    labeller: str = "rules"

    def text(self, span: Span) -> str:
        return self.document.segments[span.segment].text[span.start:span.end]


@runtime_checkable
class Labeller(Protocol):
    name: str
    version: str

    def label(self, document: Document) -> LabelledDocument: ...
