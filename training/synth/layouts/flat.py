"""Text layouts that print the grid row by row: tab-separated, pipe rows, one cell per line,
web scrape, crawler export, markdown, and squashed cells.

Each layout is two steps: `lines()` flattens the report's blocks into `Line`s of `Cell`s (where
the OCR noise model then works), and `serialize()` joins them into labelled pieces with the
layout's separators. Both keep every piece's label, so offsets stay exact.
"""
from __future__ import annotations

import random

from gongkai.extraction.labelling import Tag
from gongkai.training.synth.pieces import Cell, Line, Piece, lab
from gongkai.training.synth.report import Block, Report
from gongkai.training.synth import chrome

__all__ = ["FLAT_LAYOUTS", "grid_lines", "block_lines"]

NL = Piece("\n")


def grid_lines(grid, positions: bool) -> list[Line]:
    """One Line per grid row: origin cells only, or (positions=True) one cell per column with
    empty cells where a span covers the position, as Word's text export and pdf-to-text tools print."""
    out = []
    cover = grid.covered() if positions else None
    for r, row in enumerate(grid.rows()):
        if positions:
            cells = []
            for c in range(grid.ncols):
                gc = cover.get((r, c))
                cells.append(gc.cell if gc is not None and gc.r == r and gc.c == c else Cell([], "blank"))
        else:
            cells = [gc.cell for gc in row]
        out.append(Line(cells, "table", grid.name, r))
    return out


def block_lines(blocks: list[Block], positions: bool) -> list[Line]:
    out: list[Line] = []
    for b in blocks:
        if b.kind == "table":
            out += grid_lines(b.grid, positions)
        else:
            out.append(Line([Cell(list(b.pieces), b.kind)], b.kind))
    return out


def _join(line: Line, sep: str) -> list[Piece]:
    out: list[Piece] = []
    prev = None
    for cell in line.cells:
        if prev is not None:
            if line.sep is not None and prev.kind == "value" and cell.kind == "value":
                out.append(Piece(line.sep))
            elif line.sep == "" and prev.kind != "blank":
                out.append(Piece(" "))
            elif line.sep != "":
                out.append(Piece(sep))
        out += cell.pieces
        prev = cell
    return out


class FlatLayout:
    name = "flat"
    positions = True
    chrome_page = False

    def lines(self, report: Report, rng: random.Random) -> list[Line]:
        return block_lines(report.blocks, self.positions)

    def serialize(self, lines: list[Line], rng: random.Random, info: dict) -> list[Piece]:
        raise NotImplementedError


class TSV(FlatLayout):
    """Cells separated by tabs, covered span positions left empty (Word/WPS copy-paste)."""

    name = "tsv"

    def serialize(self, lines, rng, info):
        blank = rng.random() < 0.5
        pad = rng.random() < 0.3  # trailing tabs as some converters leave them
        out: list[Piece] = []
        for ln in lines:
            out += _join(ln, "\t")
            if pad and ln.kind == "table":
                out.append(Piece("\t" * rng.randint(1, 3)))
            out.append(NL)
            if blank and ln.kind in ("heading", "para", "title"):
                out.append(NL)
        return out


class Squashed(TSV):
    """Value cells printed with no separator at all (a row reads 1090000109)."""

    name = "squashed"

    def lines(self, report, rng):
        out = block_lines(report.blocks, positions=False)
        for ln in out:
            if ln.kind == "table" and any(c.kind == "value" for c in ln.cells):
                ln.sep = ""
        return out


class _PipeBase(FlatLayout):
    """Pipe-delimited tables; prose lines pass through. Extra pipes at a row's end stand for the
    column spans, as agencies' editors leave them."""

    positions = False

    def serialize(self, lines, rng, info):
        out: list[Piece] = []
        for ln in lines:
            if ln.kind != "table":
                out += _join(ln, " ") + [NL]
                continue
            out += self.table_row(ln, " " + "|" * sum(c.cs - 1 for c in ln.cells))
        return out

    def table_row(self, ln: Line, span_pipes: str) -> list[Piece]:
        raise NotImplementedError


class Pipe(_PipeBase):
    """`a | b | c |` rows (seed 002)."""

    name = "pipe"

    def table_row(self, ln, span_pipes):
        return _join(ln, " | ") + [Piece(" |" + (span_pipes if span_pipes.strip() else "")), NL]


class PipeLines(_PipeBase):
    """A `|` line opens each row, then one `cell |` per line (seed 001)."""

    name = "pipe_lines"

    def table_row(self, ln, span_pipes):
        out = [Piece("|\n")]
        for i, cell in enumerate(ln.cells):
            last = i == len(ln.cells) - 1
            out += cell.pieces + [Piece(" |" + (span_pipes if last and span_pipes.strip() else "")), NL]
        return out


class CellLines(FlatLayout):
    """One cell per line with blank lines between (browser copy of a web page, seed 003)."""

    name = "cell_lines"
    positions = False

    def serialize(self, lines, rng, info):
        out: list[Piece] = []
        gap = Piece("\n\n") if rng.random() < 0.8 else NL
        for ln in lines:
            for cell in ln.cells:
                if cell.pieces and cell.text.strip():
                    out += cell.pieces + [gap]
        return out


class Web(CellLines):
    """A saved web page: site chrome, breadcrumbs, 索引号 block, 字号/打印 widgets, then the report."""

    name = "web"
    chrome_page = True


class Crawler(FlatLayout):
    """Crawler text export: 标题:/发布时间: header, one cell per line, and a run of identical
    consecutive lines printed once (an all-zero row becomes one `0`)."""

    name = "crawler"
    positions = False

    def lines(self, report, rng):
        head = [Line([Cell([Piece(s, lab(Tag.NOISE))], "chrome")], "chrome") for s in
                chrome.crawler_header(report.content, rng)]
        title = next(b for b in report.blocks if b.kind == "title")
        head[0] = Line([Cell([Piece("标题: ", lab(Tag.NOISE))] + [p for p in title.pieces if p.text.strip()],
                             "chrome")], "chrome")
        body = block_lines([b for b in report.blocks if b.kind != "title"], False)
        return head + body

    def serialize(self, lines, rng, info):
        out: list[Piece] = []
        prev = None
        collapsed = info.setdefault("collapsed", [])
        for ln in lines:
            for cell in ln.cells:
                text = cell.text
                if not text.strip():
                    continue
                if text == prev:
                    collapsed += [p.field for p in cell.pieces if p.field]
                    continue
                prev = text
                out += cell.pieces + [NL]
        return out


class Markdown(FlatLayout):
    """Markdown conversion: `#` headings, pipe tables with a `---` rule under the first row."""

    name = "markdown"

    def serialize(self, lines, rng, info):
        out: list[Piece] = []
        first_row = True
        for ln in lines:
            if ln.kind == "table":
                out.append(Piece("| "))
                out += _join(ln, " | ")
                out += [Piece(" |"), NL]
                if first_row:
                    out += [Piece("|" + " --- |" * len(ln.cells)), NL]
                first_row = False
                continue
            if not first_row:
                out.append(NL)
            first_row = True
            prefix = {"title": "# ", "heading": "## "}.get(ln.kind, "")
            out += [Piece(prefix)] + _join(ln, " ") + [NL, NL]
        return out


FLAT_LAYOUTS = {cls.name: cls for cls in (TSV, Squashed, Pipe, PipeLines, CellLines, Web, Crawler, Markdown)}
