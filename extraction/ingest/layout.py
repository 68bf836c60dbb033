"""Page layout: glyphs (PDF text-layer characters or OCR characters) and ruled tables → lines of
`Segment`s in reading order.

Inside a recovered table every cell becomes one segment (its glyphs joined, wrapped lines
included) on the line of the first grid row it occupies; a grid row is one line. Outside tables
glyphs form visual lines, split into segments wherever a clear horizontal gap opens.
"""
from __future__ import annotations

import re

from dataclasses import dataclass, field
from statistics import median

from gongkai.extraction.document import Box, Segment
from gongkai.extraction.ingest.grid import Cell, Table
from gongkai.extraction.textnorm import PAGE_NUMBER_RE

__all__ = ["Glyph", "PageLayout", "TableRef", "layout_page"]


@dataclass
class Glyph:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    conf: float = 1.0
    src: int = -1  # OCR: index of the recognised line it came from
    t0: int = -1  # OCR: first CTC timestep of the character
    t1: int = -1  # OCR: last CTC timestep

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def h(self) -> float:
        return self.y1 - self.y0


@dataclass
class TableRef:
    """Where a page's table lands in the document: its index and the row offset (for a table
    continued from the previous page)."""

    index: int
    row_offset: int = 0


@dataclass
class Piece:
    """One segment-to-be, with the glyphs it was built from."""

    glyphs: list[Glyph]
    text: str
    top: float
    cell: Cell | None = None
    table: TableRef | None = None


@dataclass
class PageLayout:
    lines: list[list[Piece]] = field(default_factory=list)


def _join(glyphs: list[Glyph]) -> str:
    """Glyphs of one visual line, left to right; a space only between Latin/digit words."""
    out: list[str] = []
    prev: Glyph | None = None
    for g in glyphs:
        if prev is not None and out:
            gap = g.x0 - prev.x1
            em = max(prev.h, g.h, 1e-6)
            same_ocr_line = prev.src >= 0 and prev.src == g.src  # the recogniser spells its spaces
            if not same_ocr_line and gap > 0.3 * em and prev.text[-1:].isascii() and g.text[:1].isascii() \
                    and prev.text[-1:].isalnum() and g.text[:1].isalnum():
                out.append(" ")
        out.append(g.text)
        prev = g
    return "".join(out)


def _visual_lines(glyphs: list[Glyph]) -> list[list[Glyph]]:
    """Cluster glyphs into visual lines by vertical overlap, top to bottom, each left to right."""
    lines: list[list[Glyph]] = []
    spans: list[tuple[float, float]] = []
    for g in sorted(glyphs, key=lambda g: (g.cy, g.x0)):
        placed = False
        for i in range(len(lines) - 1, max(-1, len(lines) - 4), -1):
            y0, y1 = spans[i]
            ov = min(y1, g.y1) - max(y0, g.y0)
            if ov > 0.5 * min(y1 - y0, g.h):
                lines[i].append(g)
                spans[i] = (min(y0, g.y0), max(y1, g.y1))
                placed = True
                break
        if not placed:
            lines.append([g])
            spans.append((g.y0, g.y1))
    for ln in lines:
        ln.sort(key=lambda g: g.x0)
    order = sorted(range(len(lines)), key=lambda i: spans[i][0])
    return [lines[i] for i in order]


def _split_gaps(line: list[Glyph], gap_em: float) -> list[list[Glyph]]:
    em = median([g.h for g in line]) or 1.0
    parts = [[line[0]]]
    for g in line[1:]:
        if g.x0 - parts[-1][-1].x1 > gap_em * em:
            parts.append([g])
        else:
            parts[-1].append(g)
    return parts


def layout_page(glyphs: list[Glyph], tables: list[tuple[Table, TableRef]], gap_em: float = 1.5
                ) -> PageLayout:
    """Group one page's glyphs into lines of pieces (see module doc)."""
    free: list[Glyph] = []
    in_cell: dict[tuple[int, int], list[Glyph]] = {}
    for g in glyphs:
        if not g.text.strip():
            continue
        for ti, (t, _) in enumerate(tables):
            x0, y0, x1, y1 = t.bbox
            if x0 <= g.cx < x1 and y0 <= g.cy < y1:
                cell = t.cell_at(g.cx, g.cy)
                if cell is not None:
                    in_cell.setdefault((ti, t.cells.index(cell)), []).append(g)
                    break
        else:
            free.append(g)

    free = _without_folio(free, tables)
    rows: list[tuple[float, list[Piece]]] = []
    for ti, (t, ref) in enumerate(tables):
        by_row: dict[int, list[Piece]] = {}
        for ci, cell in enumerate(t.cells):
            gs = in_cell.get((ti, ci))
            if not gs:
                continue
            text = "".join(_join(vl) for vl in _visual_lines(gs))
            by_row.setdefault(cell.r0, []).append(
                Piece(gs, text, t.ys[cell.r0], cell=cell, table=ref))
        for r, pieces in by_row.items():
            pieces.sort(key=lambda p: p.cell.c0 if p.cell else 0)
            rows.append((t.ys[r], pieces))
    for vl in _visual_lines(free):
        pieces = [Piece(part, _join(part), min(g.y0 for g in part)) for part in _split_gaps(vl, gap_em)]
        rows.append((min(p.top for p in pieces), pieces))
    rows.sort(key=lambda r: r[0])
    return PageLayout(lines=[p for _, p in rows])


BARE_FOLIO_RE = re.compile(r"^\s*\d{1,3}\s*$")  # under everything else on the page, a bare number is one too


def is_folio(text: str) -> bool:
    return bool(PAGE_NUMBER_RE.match(text) or BARE_FOLIO_RE.match(text))


def _without_folio(free: list[Glyph], tables: list[tuple[Table, TableRef]]) -> list[Glyph]:
    """Drop the page number printed under everything else: a bare `1` below a table reads as a cell."""
    lines = _visual_lines(free)
    if not lines:
        return free
    last = max(lines, key=lambda vl: min(g.y0 for g in vl))
    top = min(g.y0 for g in last)
    below_tables = all(top >= t.bbox[3] for t, _ in tables)
    below_text = all(top >= max(g.y1 for g in vl) - 1e-6 for vl in lines if vl is not last)
    if below_tables and below_text and is_folio(_join(last)):
        dropped = {id(g) for g in last}
        return [g for g in free if id(g) not in dropped]
    return free


def pieces_to_segments(layout: PageLayout, page: int, first_line: int = 0) -> list[Segment]:
    """Plain segments (no OCR extras) for a page layout; line numbers start at `first_line`."""
    out = []
    for li, pieces in enumerate(layout.lines):
        for p in pieces:
            out.append(piece_segment(p, page, first_line + li))
    return out


def piece_segment(p: Piece, page: int, line: int) -> Segment:
    box = Box(x0=min(g.x0 for g in p.glyphs), y0=min(g.y0 for g in p.glyphs),
              x1=max(g.x1 for g in p.glyphs), y1=max(g.y1 for g in p.glyphs))
    seg = Segment(text=p.text, page=page, line=line, box=box)
    if p.cell is not None and p.table is not None:
        seg.table = p.table.index
        seg.row = p.cell.r0 + p.table.row_offset
        seg.col = p.cell.c0
    return seg


@dataclass
class TableStitcher:
    """Numbers a document's tables, continuing a table across a page break.

    The first table of a page continues the previous page's last table when that one reached the
    page's bottom part, this one starts in the top part, and their column rules line up (most of
    the value columns' boundaries match, as fractions of the page width).
    """

    next_index: int = 0
    _last: tuple[int, int, list[float], bool] | None = None  # index, rows so far, xs, ends low

    def assign(self, tables: list[Table], page_w: float, page_h: float,
               text_above: bool = False) -> list[TableRef]:
        refs: list[TableRef] = []
        for k, t in enumerate(tables):
            xs = [x / page_w for x in t.xs]
            ref = None
            if k == 0 and self._last is not None and not text_above:
                idx, rows, pxs, ended_low = self._last
                starts_high = t.ys[0] / page_h < 0.3
                right = xs[-4:]
                match = sum(any(abs(a - b) < 0.012 for b in pxs) for a in right)
                if ended_low and starts_high and match >= len(right) - 1:
                    ref = TableRef(idx, rows)
            if ref is None:
                ref = TableRef(self.next_index, 0)
                self.next_index += 1
            refs.append(ref)
            self._last = (ref.index, ref.row_offset + t.n_rows, xs, t.ys[-1] / page_h > 0.7)
        if not tables:
            self._last = None
        return refs
