"""Labelled text pieces: the unit every text layout, noise op and HTML renderer works on.

A sample's text is built as a sequence of `Piece`s and joined once by `assemble`, so the
character offsets of every label span are exact by construction — no layout or noise op ever
searches the final string. `Cell` groups pieces printed as one table cell (or one paragraph),
`Line` groups cells printed on one visual line.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from gongkai.extraction.labelling import Tag, label_name

__all__ = ["Piece", "Cell", "Line", "Span", "assemble", "lab", "plain"]


class Piece(NamedTuple):
    """`text` printed with span label `label` (a `label_name`); `field` only for VALUE pieces;
    `role` marks pieces noise ops may treat specially ("enum" = an enumerator like （一）)."""

    text: str
    label: str | None = None
    field: str | None = None
    role: str = ""


Span = tuple  # (start, end, label) or (start, end, "VALUE", field)


def lab(tag: Tag, key: str | None = None) -> str:
    return label_name(tag, key)


def plain(text: str) -> Piece:
    return Piece(text)


@dataclass(slots=True)
class Cell:
    """One printed cell. `cs`/`rs` are its column/row span in the source grid; `kind` is one of
    label / value / header / text / blank."""

    pieces: list[Piece]
    kind: str = "text"
    cs: int = 1
    rs: int = 1
    x: int | None = None  # column position for space-aligned layouts

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.pieces)


@dataclass(slots=True)
class Line:
    """One printed line of cells; `kind` says what produced it (para, heading, table, chrome …),
    `table` names the table ("t2"/"t3"/"t4") for table lines and `row` the grid row."""

    cells: list[Cell] = field(default_factory=list)
    kind: str = "para"
    table: str | None = None
    row: int | None = None
    sep: str | None = None  # overrides the layout's cell separator ("" = cells squashed together)


def assemble(pieces: list[Piece]) -> tuple[str, list[list]]:
    """Join pieces into the sample text and its label spans `[start, end, label(, field)]`.

    Contiguous pieces with the same label (and field) merge into one span; unlabelled pieces
    leave gaps (label O)."""
    parts: list[str] = []
    spans: list[list] = []
    pos = 0
    for p in pieces:
        n = len(p.text)
        if not n:
            continue
        parts.append(p.text)
        if p.label is not None:
            last = spans[-1] if spans else None
            if last is not None and last[1] == pos and last[2] == p.label and (
                    len(last) == 4 and last[3] == p.field or len(last) == 3 and p.field is None):
                last[1] = pos + n
            else:
                spans.append([pos, pos + n, p.label, p.field] if p.field else [pos, pos + n, p.label])
        pos += n
    return "".join(parts), spans
