"""The labelling seam: a `Labeller` turns a `Document` into labelled character spans.

The stage types live here, at the bottom with the rest of extraction, because the assembler, the
meta and narrative readers and the OCR evidence all read them: the labellers that produce them (the
rule labeller `models.rules`, the token classifier `models.token_classifier`, their fusion
`models.hybrid`) sit above, in models/, and either can be swapped in (`--labeller rules|model`).

The label set is shared by the rule labeller, the token classifier and the synthetic corpus. A label
is a tag, optionally keyed (`T3_ROW=granted`); characters carry BIO labels over these
(`B-T3_ROW=granted`). Keys come from `extraction.template`, so the set follows the template.
"""
from __future__ import annotations

from enum import Enum
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, Field

from gongkai.extraction import template as T
from gongkai.extraction.document import Document


class Tag(str, Enum):
    SECTION = "SECTION"  # key: "1".."6"
    TITLE = "TITLE"  # report title words other than org / year
    ORG = "ORG"
    YEAR = "YEAR"
    T2_ARTICLE = "T2_ARTICLE"  # 第二十条第(x)项 / 信息内容
    T2_ROW = "T2_ROW"
    T2_COL = "T2_COL"
    T3_HEADER = "T3_HEADER"  # 申请人情况, 法人或其他组织, the printed 勾稽 note
    T3_GROUP = "T3_GROUP"
    T3_ROW = "T3_ROW"
    T3_COL = "T3_COL"
    T4_HEADER = "T4_HEADER"  # 行政诉讼
    T4_GROUP = "T4_GROUP"
    T4_COL = "T4_COL"
    VALUE = "VALUE"  # a number (or "/", "-") printed in a table cell
    NARRATIVE = "NARRATIVE"
    NOISE = "NOISE"  # page chrome, page numbers, OCR garbage


KEYED_TAGS: dict[Tag, tuple[str, ...]] = {
    Tag.SECTION: tuple(str(k) for k in T.SECTION_TITLES),
    Tag.T2_ROW: tuple(r.key for r in T.T2_ROWS),
    Tag.T2_COL: tuple(T.T2_COLUMN_LABELS),
    Tag.T3_GROUP: tuple(T.T3_GROUPS),
    Tag.T3_ROW: tuple(r.key for r in T.T3_ROW_TEMPLATES),
    Tag.T3_COL: tuple(T.T3_COLUMN_LABELS),
    Tag.T4_GROUP: tuple(T.T4_GROUP_LABELS),
    Tag.T4_COL: tuple(T.T4_OUTCOME_LABELS),
}


def label_name(tag: Tag, key: str | None = None) -> str:
    return f"{tag.value}={key}" if key else tag.value


def parse_label(name: str) -> tuple[Tag, str | None]:
    tag, _, key = name.partition("=")
    return Tag(tag), (key or None)


def all_labels() -> list[str]:
    """Every span label, keyed ones expanded, in a stable order."""
    out: list[str] = []
    for tag in Tag:
        keys = KEYED_TAGS.get(tag)
        out.extend(label_name(tag, k) for k in keys) if keys else out.append(label_name(tag))
    return out


def bio_labels() -> list[str]:
    """The token-classification label vocabulary: O, then B-/I- of every span label."""
    out = ["O"]
    for name in all_labels():
        out += [f"B-{name}", f"I-{name}"]
    return out



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
