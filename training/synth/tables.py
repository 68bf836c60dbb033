"""Tables 2, 3 and 4 as grids of labelled cells with the row/column spans of the official form.

Every renderer starts here: text layouts flatten the grid, HTML prints it as `<table>` markup
with rowspan/colspan, the PDF renderer draws it with ruled borders. Printed wording comes from
`extraction.template`; only its typography (bracket and punctuation widths, enumerator style)
varies per sample, as it does between agencies.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from gongkai.extraction import template as T
from gongkai.extraction.labelling import Tag
from gongkai.training.synth.content import ReportContent
from gongkai.training.synth.pieces import Cell, Piece, lab

__all__ = ["GridCell", "Grid", "Typo", "draw_typo", "build_t2", "build_t3", "build_t4", "fmt_value"]

_FW = str.maketrans({"(": "（", ")": "）", ",": "，", ":": "：", ";": "；"})


@dataclass(frozen=True)
class Typo:
    """Per-agency typography: full-width punctuation, enumerator style, typo'd wording."""

    fullwidth: bool = True
    sub_enum: str = "{}."  # "1." / "1. " / "1、"
    paren_space: str = ""  # "(一) 予以公开"
    typo_rows: bool = False  # the real-world label typo "其他法律行政止公开"

    def punct(self, s: str) -> str:
        return s.translate(_FW) if self.fullwidth else s


def draw_typo(rng: random.Random) -> Typo:
    return Typo(fullwidth=rng.random() < 0.8, sub_enum=rng.choice(("{}.", "{}.", "{}. ", "{}、")),
                paren_space=rng.choice(("", "", " ")), typo_rows=rng.random() < 0.05)


@dataclass(slots=True)
class GridCell:
    r: int
    c: int
    cell: Cell
    rs: int = 1
    cs: int = 1


@dataclass
class Grid:
    name: str
    ncols: int
    cells: list[GridCell] = field(default_factory=list)
    header_rows: int = 0
    nrows: int = 0

    def add(self, r: int, c: int, cell: Cell, rs: int = 1, cs: int = 1) -> None:
        cell.rs, cell.cs = rs, cs
        self.cells.append(GridCell(r, c, cell, rs, cs))
        if r + rs > self.nrows:
            self.nrows = r + rs

    def rows(self) -> list[list[GridCell]]:
        out: list[list[GridCell]] = [[] for _ in range(self.nrows)]
        for gc in self.cells:
            out[gc.r].append(gc)
        for row in out:
            row.sort(key=lambda g: g.c)
        return out

    def covered(self) -> dict[tuple[int, int], GridCell]:
        """Every (row, col) position -> the cell covering it."""
        pos = {}
        for gc in self.cells:
            for r in range(gc.r, gc.r + gc.rs):
                for c in range(gc.c, gc.c + gc.cs):
                    pos[(r, c)] = gc
        return pos


def fmt_value(content: ReportContent, fid: str) -> str:
    v = content.fields[fid]
    if fid in T.DECIMAL_FIELDS:
        d = content.fee_decimals
        return f"{v:.{d}f}" if d else str(int(v))
    return str(v)


_VALUE = lab(Tag.VALUE)
_T3_FIELDS = {r.key: [T.t3_field(r.key, c) for c in T.T3_COLUMNS] for r in T.T3_ROW_TEMPLATES}


def _value(content: ReportContent, fid: str) -> Cell:
    v = content.fields[fid]
    text = str(v) if fid not in T.DECIMAL_FIELDS else fmt_value(content, fid)
    return Cell([Piece(text, _VALUE, fid)], "value")


def _label(text: str, label: str, enum: str = "", kind: str = "label") -> Cell:
    pieces = [Piece(enum, label, role="enum")] if enum else []
    pieces.append(Piece(text, label))
    return Cell(pieces, kind)


def _paren(typo: Typo, enum: str) -> str:
    return typo.punct(enum) + typo.paren_space


def build_t2(content: ReportContent, typo: Typo) -> Grid:
    g = Grid("t2", 4, header_rows=0)
    r = 0
    article_rows = {art: list(keys) for art, keys in T.T2_BLOCKS}
    rows = {row.key: row for row in T.T2_ROWS}
    for art, keys in article_rows.items():
        g.add(r, 0, _label(typo.punct(art), lab(Tag.T2_ARTICLE), kind="header"), cs=4)
        r += 1
        g.add(r, 0, _label(T.T2_ANCHORS[1], lab(Tag.T2_ARTICLE), kind="header"))
        cols = [f.rsplit(".", 1)[1] for f in T.T2_ROW_FIELDS[keys[0]]]
        if len(cols) == 3:
            for i, col in enumerate(cols):
                g.add(r, 1 + i, _label(T.T2_COLUMN_LABELS[col], lab(Tag.T2_COL, col), kind="header"))
        else:
            g.add(r, 1, _label(typo.punct(T.T2_COLUMN_LABELS[cols[0]]), lab(Tag.T2_COL, cols[0]),
                               kind="header"), cs=3)
        r += 1
        for k in keys:
            g.add(r, 0, _label(rows[k].label, lab(Tag.T2_ROW, k)))
            fids = T.T2_ROW_FIELDS[k]
            if len(fids) == 3:
                for i, fid in enumerate(fids):
                    g.add(r, 1 + i, _value(content, fid))
            else:
                g.add(r, 1, _value(content, fids[0]), cs=3)
            r += 1
    return g


def _t3_row_values(g: Grid, r: int, content: ReportContent, row: str) -> None:
    fields = content.fields
    for i, fid in enumerate(_T3_FIELDS[row]):
        g.add(r, 3 + i, Cell([Piece(str(fields[fid]), _VALUE, fid)], "value"))


def build_t3(content: ReportContent, typo: Typo) -> Grid:
    """10 columns: three label columns (group / sub-group / row) and the seven applicant columns."""
    g = Grid("t3", 10, header_rows=3)
    hdr = lambda s: _label(typo.punct(s), lab(Tag.T3_HEADER), kind="header")  # noqa: E731
    g.add(0, 0, hdr("(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)"), rs=3, cs=3)
    g.add(0, 3, hdr(T.T3_HEADER_WORDS[0]), cs=7)
    g.add(1, 3, _label("自然人", lab(Tag.T3_COL, "natural_person"), kind="header"), rs=2)
    g.add(1, 4, hdr(T.T3_HEADER_WORDS[1]), cs=5)
    g.add(1, 9, _label("总计", lab(Tag.T3_COL, "total"), kind="header"), rs=2)
    for i, col in enumerate(T.T3_COLUMNS[1:6]):
        g.add(2, 4 + i, _label(T.T3_COLUMN_LABELS[col], lab(Tag.T3_COL, col), kind="header"))
    tmpl = {t.key: t for t in T.T3_ROW_TEMPLATES}
    r = 3

    def top(key: str) -> None:
        nonlocal r
        t = tmpl[key]
        g.add(r, 0, _label(t.label, lab(Tag.T3_ROW, key), t.enumerator + "、"), cs=3)
        _t3_row_values(g, r, content, key)
        r += 1

    top("new_received")
    top("carried_over")
    res = T.T3_GROUPS["results"]
    n_result_rows = 22 - (2 if content.merged_other is not None else 0)
    g.add(r, 0, _label(res.label, lab(Tag.T3_GROUP, "results"), res.enumerator + "、"), rs=n_result_rows)
    for key in ("granted", "partial"):
        t = tmpl[key]
        g.add(r, 1, _label(typo.punct(t.label), lab(Tag.T3_ROW, key), _paren(typo, t.enumerator)), cs=2)
        _t3_row_values(g, r, content, key)
        r += 1
    for grp in ("denied", "unable", "not_processed", "other"):
        gt = T.T3_GROUPS[grp]
        subs = [t for t in T.T3_ROW_TEMPLATES if t.group == grp]
        if grp == "other" and content.merged_other is not None:
            g.add(r, 1, _label(gt.label, lab(Tag.T3_GROUP, grp), _paren(typo, gt.enumerator)), cs=2)
            for i, col in enumerate(T.T3_COLUMNS):
                g.add(r, 3 + i, Cell([Piece(str(content.merged_other[col]), lab(Tag.VALUE))], "value"))
            r += 1
            continue
        g.add(r, 1, _label(gt.label, lab(Tag.T3_GROUP, grp), _paren(typo, gt.enumerator)), rs=len(subs))
        for t in subs:
            text = t.aliases[0] if typo.typo_rows and t.aliases else t.label
            g.add(r, 2, _label(typo.punct(text), lab(Tag.T3_ROW, t.key), typo.sub_enum.format(t.enumerator)))
            _t3_row_values(g, r, content, t.key)
            r += 1
    t = tmpl["total"]
    g.add(r, 1, _label(t.label, lab(Tag.T3_ROW, "total"), _paren(typo, t.enumerator)), cs=2)
    _t3_row_values(g, r, content, "total")
    r += 1
    top("carried_forward")
    return g


def build_t4(content: ReportContent, typo: Typo) -> Grid:
    g = Grid("t4", 15, header_rows=3)
    g.add(0, 0, _label(T.T4_GROUP_LABELS["review"], lab(Tag.T4_GROUP, "review"), kind="header"), cs=5)
    g.add(0, 5, _label(T.T4_HEADER_WORDS[0], lab(Tag.T4_HEADER), kind="header"), cs=10)
    outs = list(T.T4_OUTCOME_LABELS)
    for i, o in enumerate(outs):
        g.add(1, i, _label(T.T4_OUTCOME_LABELS[o], lab(Tag.T4_COL, o), kind="header"), rs=2)
    g.add(1, 5, _label(T.T4_GROUP_LABELS["litigation_direct"], lab(Tag.T4_GROUP, "litigation_direct"),
                       kind="header"), cs=5)
    g.add(1, 10, _label(T.T4_GROUP_LABELS["litigation_after_review"],
                        lab(Tag.T4_GROUP, "litigation_after_review"), kind="header"), cs=5)
    for j in range(2):
        for i, o in enumerate(outs):
            g.add(2, 5 + 5 * j + i, _label(T.T4_OUTCOME_LABELS[o], lab(Tag.T4_COL, o), kind="header"))
    for i, fid in enumerate(T.T4_FIELDS_IN_ORDER):
        g.add(3, i, _value(content, fid))
    return g
