"""Crawler exports of government web pages as public crawls store them: three families.

- `collapsed`: one cell per line, and the exporter prints a run of identical consecutive lines
  once (an all-zero table-3 row is one `0`, an all-zero table 4 is one `0`, `15 / 0 / 15` is
  自然人 15, five 法人 columns 0, 总计 15). Header words of narrow cells come out two characters
  a line (商业 / 企业, 结果 / 纠正), enumerators stand on their own line (`1.` / `属于国家秘密`),
  labels are broken over lines (`三、本` / `年度办理结果`, and a group label interleaved with its
  first sub-row: `（三）` / `不予` / `1.` / `属于国家秘密` / `公开`), a row is sometimes printed
  twice, table 2 keeps template remnants (`规范性文件`, no 规章 row, `上一年项目本年收费金额`), and the
  narrative is chopped into short lines, numbers included (`202` / `3` / `年`).
- `spanline`: one HTML span per line, CRLF, nothing collapsed, but a cell holding two spans prints
  its number over two lines (`1` / `62` = 162) and enumerations (`1.`) stand on their own line.
- `squashed_page`: the crawler header, then the whole report on ONE line with every table cell
  concatenated without a separator (`…申请数量801000081` = 80,1,0,0,0,0,81), table headers glued
  to the first row and table 4's fifteen cells as one run of digits.

The collapsing is done on the physical lines the export prints, exactly as the exporter does it,
so every phenomenon that changes line boundaries changes what collapses. Fields whose cell the
collapse swallowed are listed in `info["collapsed"]`; fields printed over two spans in
`info["altered"]`; ids the page does not print at all (a table-2 row left out) in
`info["missing"]`.
"""
from __future__ import annotations

import random
import re

from gongkai.extraction import template as T
from gongkai.extraction.labelling import Tag
from gongkai.training.synth.layouts.flat import Crawler
from gongkai.training.synth.pieces import Cell, Line, Piece, lab
from gongkai.training.synth.report import Report

__all__ = ["Collapsed", "SpanLine", "SquashedPage", "CRAWLED_LAYOUTS"]

BR = Piece("\n")  # a line break inside a cell; serialize() turns it into the layout's newline
_VALUE = lab(Tag.VALUE)
_NARR = lab(Tag.NARRATIVE)


def _has(cell: Cell, label: str) -> bool:
    return any(p.label == label for p in cell.pieces)


def _label_of(cell: Cell, prefix: str) -> str | None:
    return next((p.label for p in cell.pieces if p.label and p.label.startswith(prefix)), None)


def _chunks(text: str, size: int) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


def _split_piece(p: Piece, cuts: list[int]) -> list[Piece]:
    """`p` printed over several lines, cut at character offsets `cuts` (labels kept)."""
    out, prev = [], 0
    for k in sorted(set(c for c in cuts if 0 < c < len(p.text))) + [len(p.text)]:
        if out:
            out.append(BR)
        out.append(p._replace(text=p.text[prev:k]))
        prev = k
    return out


class Collapsed(Crawler):
    """Crawler export with collapsed runs and the label/header breaks real exports show."""

    name = "collapsed"
    collapse = True
    newline = "\n"
    structural_noise = False
    # document-level style probabilities, near how often the real exports of this family show each
    # (enumerators alone on a line in 2 of 11, table-2 remnants in 3 of 11, chopped narrative in 2 of 11)
    p_header_split = 0.7
    p_enum_line = 0.2
    p_partial_split = 0.5
    p_broken_labels = 0.2
    p_row_twice = 0.1
    p_t2_remnants = 0.25
    p_short_narrative = 0.2
    p_number_spans = 0.0

    def lines(self, report: Report, rng: random.Random) -> list[Line]:
        lines = super().lines(report, rng)
        self.style = {k: rng.random() < getattr(self, "p_" + k) for k in (
            "header_split", "enum_line", "partial_split", "broken_labels", "row_twice", "t2_remnants",
            "short_narrative", "number_spans")}
        self.info: dict = {"missing": [], "altered": [], "ops": {}}
        out: list[Line] = []
        for ln in lines:
            if ln.kind == "table":
                out += self._table_line(ln, rng)
            elif ln.kind in ("para", "title") and ln.cells:
                out.append(self._para_line(ln, rng))
            else:
                out.append(ln)
        if self.style["row_twice"]:
            rows = [i for i, ln in enumerate(out) if ln.kind == "table" and ln.table in ("t2", "t3")
                    and ln.cells and ln.cells[0].kind == "label" and any(c.kind == "value" for c in ln.cells)
                    and not any(_label_of(c, "T3_GROUP") for c in ln.cells)]
            if rows:
                i = rng.choice(rows)
                out.insert(i + 1, Line([Cell(list(c.pieces), c.kind) for c in out[i].cells], "table",
                                       out[i].table, out[i].row))
                self._op("row_twice")
        return out

    def _op(self, name: str) -> None:
        self.info["ops"][name] = self.info["ops"].get(name, 0) + 1

    # ---- table lines -------------------------------------------------------------------------
    def _table_line(self, ln: Line, rng: random.Random) -> list[Line]:
        st = self.style
        if ln.table == "t2" and st["t2_remnants"]:
            if any(_has(c, lab(Tag.T2_ROW, "rules")) for c in ln.cells) and rng.random() < 0.35:
                self.info["missing"] += T.T2_ROW_FIELDS["rules"]
                self._op("t2_no_rules_row")
                return []
            for c in ln.cells:
                for i, p in enumerate(c.pieces):
                    if p.label == lab(Tag.T2_ROW, "normative") and rng.random() < 0.5:
                        c.pieces[i] = p._replace(text=p.text.replace("行政规范性文件", "规范性文件"))
                    elif p.label == lab(Tag.T2_COL, "amount") and rng.random() < 0.4:
                        c.pieces[i] = p._replace(text="上一年项目" + p.text)
        cells = []
        for c in ln.cells:
            if c.kind == "header" and st["header_split"]:
                c = self._split_header(c, rng)
            elif c.kind == "label":
                c = self._label(c, rng)
            elif c.kind == "value" and st["number_spans"]:
                c = self._number_spans(c, rng)
            cells.append(c)
        if st["broken_labels"] and ln.table == "t3" and len(cells) >= 2 and rng.random() < 0.5:
            g = next((k for k, c in enumerate(cells) if _label_of(c, "T3_GROUP")
                      and not _label_of(c, "T3_GROUP=results")), None)
            if g is not None and g + 1 < len(cells) and cells[g + 1].kind == "label":
                cells[g:g + 2] = [self._interleave(cells[g], cells[g + 1], rng)]
                self._op("interleaved_group_label")
        return [Line(cells, "table", ln.table, ln.row)]

    def _split_header(self, c: Cell, rng: random.Random) -> Cell:
        text = c.text
        if not any(p.label and p.label.startswith(("T3_COL", "T4_COL")) for p in c.pieces) or len(text) < 3:
            return c
        if rng.random() < 0.25:
            return c
        size = 1 if len(text) == 3 and rng.random() < 0.3 else 2
        pieces = []
        for p in c.pieces:
            pieces += _split_piece(p, list(range(size, len(p.text), size))) if p.text else []
        self._op("header_split")
        return Cell(pieces, c.kind, c.cs, c.rs, c.x)

    def _label(self, c: Cell, rng: random.Random) -> Cell:
        st = self.style
        pieces = list(c.pieces)
        row = _label_of(c, "T3_ROW")
        if st["enum_line"] and row and "." in row and pieces and pieces[0].role == "enum":
            pieces.insert(1, BR)
            self._op("enum_line")
        if row == lab(Tag.T3_ROW, "partial") and st["partial_split"]:
            i = max(range(len(pieces)), key=lambda k: len(pieces[k].text))
            p = pieces[i]
            k = p.text.find("（") if "（" in p.text else p.text.find("(")
            if k > 0:
                pieces[i:i + 1] = _split_piece(p, [k])
                self._op("partial_split")
        group = _label_of(c, "T3_GROUP")
        if st["broken_labels"] and group == lab(Tag.T3_GROUP, "results") and rng.random() < 0.7:
            i = max(range(len(pieces)), key=lambda k: len(pieces[k].text))
            p = pieces[i]
            pieces[i:i + 1] = _split_piece(p, [rng.randint(1, max(1, len(p.text) - 2))])
            self._op("broken_label")
        return Cell(pieces, c.kind, c.cs, c.rs, c.x)

    def _interleave(self, group: Cell, sub: Cell, rng: random.Random) -> Cell:
        """A rowspan group label wrapped beside its first sub-row: `（三）` / `不予` / `1.` /
        `属于国家秘密` / `公开` — the group's words come before and after the sub-row's label."""
        enum = [p for p in group.pieces if p.role == "enum"]
        words = [p for p in group.pieces if p.role != "enum" and p.text.strip()]
        w = max(words, key=lambda p: len(p.text)) if words else None
        sub_pieces = [p for p in sub.pieces if p is not BR]
        if w is None or len(w.text) < 2:
            return Cell(group.pieces + [BR] + sub.pieces, "label")
        k = rng.randint(1, len(w.text) - 1)
        head, tail = w._replace(text=w.text[:k]), w._replace(text=w.text[k:])
        sub_enum = [p for p in sub_pieces if p.role == "enum"]
        sub_words = [p for p in sub_pieces if p.role != "enum"]
        pieces: list[Piece] = []
        for part in (enum, [head], sub_enum, sub_words, [tail]):
            if part:
                if pieces:
                    pieces.append(BR)
                pieces += part
        return Cell(pieces, "label", group.cs, group.rs, group.x)

    def _number_spans(self, c: Cell, rng: random.Random) -> Cell:
        out = []
        for p in c.pieces:
            if p.label == _VALUE and len(p.text) >= 2 and "." not in p.text and rng.random() < 0.12:
                out += _split_piece(p, [rng.randint(1, len(p.text) - 1)])
                self.info["altered"].append(p.field)
                self._op("number_spans")
            else:
                out.append(p)
        return Cell(out, c.kind, c.cs, c.rs, c.x)

    # ---- narrative lines ---------------------------------------------------------------------
    _ENUM = re.compile(r"(?:^|(?<=[。；：]))(\d+\.|（[一二三四五六七八九十]+）)")
    _DIGITS = re.compile(r"\d{2,}")

    def _para_line(self, ln: Line, rng: random.Random) -> Line:
        st = self.style
        pieces: list[Piece] = []
        for p in [q for c in ln.cells for q in c.pieces]:
            if p.label != _NARR or not p.text:
                pieces.append(p)
                continue
            cuts: list[int] = []
            if st["enum_line"] or st["number_spans"]:
                cuts += [m.end() for m in self._ENUM.finditer(p.text)]
            if st["number_spans"]:  # a styled run per phrase: the 、 of a list in a span of its own
                for k, ch in enumerate(p.text):
                    if ch == "、":
                        cuts += [k, k + 1]
            if st["number_spans"] or st["short_narrative"]:
                for m in self._DIGITS.finditer(p.text):
                    if rng.random() < 0.3:
                        cuts += [m.start() + rng.randint(1, len(m.group()) - 1)]
            if st["short_narrative"]:
                pos = 0
                while pos < len(p.text):
                    pos += rng.randint(4, 40)
                    cuts.append(pos)
            pieces += _split_piece(p, cuts) if cuts else [p]
        return Line([Cell(pieces, ln.cells[0].kind)], ln.kind)

    # ---- printing ----------------------------------------------------------------------------
    def physical_lines(self, lines: list[Line]) -> list[list[Piece]]:
        out: list[list[Piece]] = []
        for ln in lines:
            for cell in ln.cells:
                cur: list[Piece] = []
                for p in cell.pieces:
                    if p is BR or p.text == "\n":
                        out.append(cur)
                        cur = []
                    else:
                        cur.append(p)
                out.append(cur)
        return [pl for pl in out if "".join(p.text for p in pl).strip()]

    def serialize(self, lines, rng, info):
        for k, v in self.info["ops"].items():
            info.setdefault("ops", {})
            info["ops"][k] = info["ops"].get(k, 0) + v
        info.setdefault("missing", []).extend(self.info["missing"])
        info["altered"] = sorted(set(info.get("altered", [])) | {f for f in self.info["altered"] if f})
        collapsed = info.setdefault("collapsed", [])
        out: list[Piece] = []
        prev = None
        nl = Piece(self.newline)
        for pl in self.physical_lines(lines):
            text = "".join(p.text for p in pl)
            if self.collapse and text == prev:
                collapsed += [p.field for p in pl if p.field]
                continue
            prev = text
            out += pl + [nl]
        return out


class SpanLine(Collapsed):
    """One HTML span per line, CRLF; no collapsing, numbers and enumerations split over spans."""

    name = "spanline"
    collapse = False
    newline = "\r\n"
    p_header_split = 0.7
    p_enum_line = 0.6
    p_partial_split = 0.2
    p_broken_labels = 0.1
    p_row_twice = 0.05
    p_t2_remnants = 0.1
    p_short_narrative = 0.5
    p_number_spans = 1.0

    def lines(self, report, rng):
        lines = super().lines(report, rng)
        for ln in lines:  # 标题：… with full-width colons, as this exporter writes its header
            for c in ln.cells:
                c.pieces = [p._replace(text=p.text.replace(": ", "：", 1)) if p.label == lab(Tag.NOISE) else p
                            for p in c.pieces]
        return lines


class SquashedPage(Collapsed):
    """The crawler header, then the whole page on one line, cells concatenated."""

    name = "squashed_page"
    collapse = False
    p_header_split = 0.0
    p_enum_line = 0.0
    p_partial_split = 0.0
    p_broken_labels = 0.0
    p_row_twice = 0.0
    p_t2_remnants = 0.15
    p_short_narrative = 0.0
    p_number_spans = 0.0

    def serialize(self, lines, rng, info):
        super().serialize([], rng, info)  # bookkeeping only
        spaced_t4 = rng.random() < 0.3  # some years print table 4's cells space-separated
        p_gap = rng.uniform(0.0, 0.3)  # a stray space where a line break was
        out: list[Piece] = []
        body = False
        for ln in lines:
            if not body:
                if ln.kind == "chrome" and ln.cells and ln.cells[0].text.startswith("正文"):
                    out += [Piece("=" * 20 + " 正文 " + "=" * 20, lab(Tag.NOISE)), Piece("\n")]
                    body = True
                    continue
                out += [p for c in ln.cells for p in c.pieces] + [Piece("\n")]
                continue
            prev = None
            for cell in ln.cells:
                if not cell.text.strip():
                    continue
                if prev is not None:
                    if ln.table == "t4" and cell.kind == "value" and spaced_t4:
                        out.append(Piece(" "))
                    elif not (prev.kind == "value" and cell.kind == "value") and rng.random() < p_gap:
                        out.append(Piece(" "))
                out += [p for p in cell.pieces if p.text != "\n"]
                prev = cell
            if rng.random() < p_gap:
                out.append(Piece(" "))
        out.append(Piece("\n"))
        return out


CRAWLED_LAYOUTS = {cls.name: cls for cls in (Collapsed, SpanLine, SquashedPage)}
