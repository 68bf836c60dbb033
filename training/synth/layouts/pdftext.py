"""`pdftotext -layout` output of a WPS-made PDF: space-aligned columns, wrapped row labels with
the numbers on one of their lines, a vertical group label one character per line, page-number
lines (-3-) and form feeds falling inside tables, digits spaced off CJK text ("2024 年")."""
from __future__ import annotations

import random
import re

from gongkai.extraction.labelling import Tag
from gongkai.training.synth.pieces import Cell, Line, Piece, lab
from gongkai.training.synth.report import Report

__all__ = ["PdfText"]

_DIGITS = re.compile(r"(\d+(?:\.\d+)?)")


_WIDE = re.compile(r"[\u2e80-\uffff]")


def width(s: str) -> int:
    return len(s) + len(_WIDE.findall(s))


def _wrap(pieces: list[Piece], cols: int) -> list[list[Piece]]:
    """Split labelled pieces into lines of at most `cols` display columns, keeping labels."""
    lines: list[list[Piece]] = [[]]
    w = 0
    for p in pieces:
        buf = ""
        for ch in p.text:
            cw = width(ch)
            if w + cw > cols and (buf or lines[-1]):
                if buf:
                    lines[-1].append(p._replace(text=buf))
                lines.append([])
                buf, w = "", 0
            buf += ch
            w += cw
        if buf:
            lines[-1].append(p._replace(text=buf))
    return lines


def _space_digits(pieces: list[Piece]) -> list[Piece]:
    return [p._replace(text=_DIGITS.sub(r" \1 ", p.text).replace("  ", " ")) for p in pieces]


class PdfText:
    name = "pdftext"
    positions = False
    chrome_page = False
    structural_noise = False  # space-aligned: the noise model only touches pieces

    def lines(self, report: Report, rng: random.Random) -> list[Line]:
        self.rng = rng
        out: list[Line] = []
        para_cols = rng.choice((56, 58, 60))
        for b in report.blocks:
            if b.kind == "table":
                out += getattr(self, "_" + b.grid.name)(b.grid, rng)
                out.append(Line([], "blank"))
            elif b.kind == "title":
                org, rest = b.pieces[:1], b.pieces[1:]
                if rng.random() < 0.6:
                    out.append(self._at(12, org, "title"))
                    out.append(self._at(5, _space_digits(rest), "title"))
                else:
                    out.append(self._at(4, b.pieces, "title"))
                out += [Line([], "blank"), Line([], "blank")]
            elif b.kind == "heading":
                out.append(self._at(rng.choice((3, 5, 18)), b.pieces, "heading"))
            else:
                wrapped = _wrap([Piece("   ")] + _space_digits(b.pieces), para_cols)
                out += [Line([Cell(ps, b.kind, x=0)], b.kind) for ps in wrapped]
        return out

    @staticmethod
    def _at(x: int, pieces: list[Piece], kind: str = "table", table: str | None = None) -> Line:
        return Line([Cell(list(pieces), kind, x=x)], kind, table)

    # ---- tables ---------------------------------------------------------------------------
    def _t2(self, grid, rng):
        out = []
        xs = [0, 18, 29, 37]
        for row in grid.rows():
            cells = [gc.cell for gc in row]
            if len(cells) == 1:  # article line
                out += [self._at(rng.choice((14, 39)), cells[0].pieces, "header", "t2"), Line([]), Line([])]
                continue
            if cells[0].kind == "header":
                ln = Line([Cell(c.pieces, c.kind, x=x + 7 * (i == 0)) for i, (c, x) in enumerate(zip(cells, xs))],
                          "table", "t2")
            else:
                vx = xs if len(cells) > 2 else [0, rng.choice((40, 52))]
                ln = Line([Cell(c.pieces, c.kind, x=x) for c, x in zip(cells, vx)], "table", "t2")
            out += [ln, Line([])]
        return out

    def _t3(self, grid, rng):
        out: list[Line] = []
        colx = [48, 56, 65, 73, 82, 91, 98]
        note = [gc.cell for gc in grid.cells if gc.r == 0 and gc.c == 0][0]
        out.append(self._at(57, [gc.cell for gc in grid.cells if gc.r == 0 and gc.c == 3][0].pieces, "header", "t3"))
        out += [Line([]), Line([])]
        nl = _wrap(note.pieces, 46)
        org = [gc.cell for gc in grid.cells if gc.r == 1 and gc.c == 4][0]
        out.append(Line([Cell(nl[0], "header", x=0), Cell(org.pieces, "header", x=62)], "table", "t3"))
        for ps in nl[1:]:
            out.append(Line([Cell(ps, "header", x=0)], "table", "t3"))
        nat = [gc.cell for gc in grid.cells if gc.r == 1 and gc.c == 3][0]
        tot = [gc.cell for gc in grid.cells if gc.r == 1 and gc.c == 9][0]
        out.append(Line([Cell(nat.pieces, "header", x=31), Cell(tot.pieces, "header", x=108)], "table", "t3"))
        # org column labels wrapped over two lines: 商业企 / 业
        subs = [gc.cell for gc in grid.cells if gc.r == 2]
        tops, bots = [], []
        for c, x in zip(subs, colx[1:6]):
            w = _wrap(c.pieces, 6 if c.text != "其他" else 4)
            tops.append(Cell(w[0], "header", x=x))
            if len(w) > 1:
                bots.append(Cell([p for ps in w[1:] for p in ps], "header", x=x))
        out += [Line(tops, "table", "t3"), Line(bots, "table", "t3"), Line([]), Line([])]
        # body
        vertical = rng.random() < 0.5
        body = [row for row in grid.rows()[3:]]
        group_cell = None
        vchars: list[Piece] = []
        for row in body:
            for gc in row:
                if gc.rs > 3 and gc.c == 0:
                    group_cell = gc.cell
        if group_cell is not None:
            for p in group_cell.pieces:
                vchars += [p._replace(text=ch) for ch in p.text]
        rows_out: list[Line] = []
        for row in body:
            labels = [gc for gc in row if gc.cell.kind == "label" and not (gc.rs > 3 and gc.c == 0)]
            values = [gc.cell for gc in row if gc.cell.kind == "value"]
            sub = [gc for gc in labels if gc.rs > 1]  # （三）不予公开 spanning its sub-rows
            lab_cells = [gc for gc in labels if gc.rs == 1]
            if not lab_cells:
                continue
            lc = lab_cells[0]
            x0 = {0: 0, 1: 6, 2: 13}[lc.c]
            wrap = _wrap(lc.cell.pieces, max(12, 46 - x0))
            mid = len(wrap) // 2 if len(wrap) > 2 else (0 if len(wrap) == 1 else rng.choice((0, 1)))
            for i, ps in enumerate(wrap):
                cells = [Cell(ps, "label", x=x0)]
                if i == mid:
                    cells += [Cell(v.pieces, "value", x=x) for v, x in zip(values, colx)]
                rows_out.append(Line(cells, "table", "t3"))
            if sub:
                sub_line = Line([Cell(sub[0].cell.pieces, "label", x=6)], "table", "t3")
                rows_out.insert(len(rows_out) - 1 + (rng.random() < 0.5), sub_line)
            rows_out.append(Line([]))
        if vertical and vchars:
            # interleave the vertical group label with the rows, one character per line
            start = 4
            k = 0
            merged: list[Line] = []
            for i, ln in enumerate(rows_out):
                merged.append(ln)
                if i >= start and k < len(vchars) and not ln.cells and i % 2 == 1:
                    merged.append(Line([Cell([vchars[k]], "label", x=0)], "table", "t3"))
                    k += 1
            while k < len(vchars):
                merged.insert(start + 2 * k, Line([Cell([vchars[k]], "label", x=0)], "table", "t3"))
                k += 1
            rows_out = merged
        elif vchars:
            spaced = []
            for p in vchars:
                spaced += [p, Piece(" " if rng.random() < 0.6 else "")]
            rows_out.insert(len(rows_out) // 3, Line([Cell(spaced, "label", x=1)], "table", "t3"))
        out += rows_out
        return out

    def _t4(self, grid, rng):
        rows = grid.rows()
        out = [Line([Cell(rows[0][0].cell.pieces, "header", x=10), Cell(rows[0][1].cell.pieces, "header", x=42)],
                    "table", "t4"), Line([])]
        out.append(Line([Cell(rows[1][5].cell.pieces, "header", x=30), Cell(rows[1][6].cell.pieces, "header", x=74)],
                        "table", "t4"))
        out.append(Line([]))
        # outcome labels split over two lines: 结果 / 维持 ; 总计 printed on its own line
        xs = [0, 5, 11, 17, 24, 30, 36, 44, 53, 62, 74, 79, 85, 91, 97]
        heads = [gc.cell for gc in rows[1][:5]] + [gc.cell for gc in rows[2]]
        top, bot, mid = [], [], []
        for c, x in zip(heads, xs):
            p = c.pieces[-1]
            if len(p.text) == 4:
                top.append(Cell([p._replace(text=p.text[:2])], "header", x=x))
                bot.append(Cell([p._replace(text=p.text[2:])], "header", x=x))
            else:
                mid.append(Cell(list(c.pieces), "header", x=x))
        out += [Line(top, "table", "t4"), Line(mid, "table", "t4"), Line(bot, "table", "t4"), Line([]), Line([])]
        vals = [gc.cell for gc in rows[3]]
        out.append(Line([Cell(v.pieces, "value", x=x) for v, x in zip(vals, xs)], "table", "t4"))
        return out

    # ---- serialisation --------------------------------------------------------------------
    def serialize(self, lines: list[Line], rng: random.Random, info: dict) -> list[Piece]:
        out: list[Piece] = []
        per_page = rng.randint(38, 52)
        page, n = 1, 0
        for ln in lines:
            cur = 0
            for cell in sorted(ln.cells, key=lambda c: c.x or 0):
                x = cell.x or 0
                gap = x - cur if x > cur else (1 if cur else 0)
                if gap:
                    out.append(Piece(" " * gap))
                out += cell.pieces
                cur += gap + width(cell.text)
            out.append(Piece("\n"))
            n += 1
            if n >= per_page:
                out += [Piece("\n"), Piece(" " * rng.randint(5, 74)), Piece(f"-{page}-", lab(Tag.NOISE)),
                        Piece("\n"), Piece("\f")]
                page, n = page + 1, 0
        out += [Piece(" " * 40), Piece(f"-{page}-", lab(Tag.NOISE)), Piece("\n"), Piece("\f")]
        return out
