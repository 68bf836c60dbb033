"""Markdown made from a report by a machine: two families.

- `converter_md`: a PDF-to-Markdown converter (MinerU / Marker / Docling style) over a digital
  PDF. Pipe tables with one column per grid column; merged cells left empty or (Docling) repeated
  in every position they cover; long row labels wrapped onto a second table row and detached from
  their numbers; a vertical group label (`三、本年度办理结果`) cut into pieces down the rows it
  spans; table 2's article blocks in another order; table 4's two header rows merged so that 12
  labels stand over its 15 numbers; one cell's value pushed out of the table into the text line
  above it; page footers (`— 3 —`) inside a table, as a row or as a line that breaks it in two.
- `ocr_md`: a VLM / OCR engine's Markdown of a scan. Table 3 comes out as several tables, one per
  group, the later ones under generic headers (`数据1 … 数据7`); a wrong header row is pasted over
  the last rows; cells the scan printed empty come out as `-`; table 4 comes in three pieces (one
  per group); characters of row names are misread (度→庋, 计→记), and now and then a digit (0→O).

Both build their own rows from the report's grids (not from the flat layouts' lines) because a
converter's table is a re-layout of the grid, not a serialisation of it. Fields printed empty are
listed in `info["blank"]` (gold `None`), their `-` in `info["altered"]`.
"""
from __future__ import annotations

import random

from gongkai.extraction import template as T
from gongkai.extraction.labelling import Tag
from gongkai.training.synth.noise import CONFUSABLE, DIGIT_CONFUSABLE, misread
from gongkai.training.synth.pieces import Cell, Line, Piece, lab
from gongkai.training.synth.report import Report
from gongkai.training.synth.tables import Grid

__all__ = ["ConverterMarkdown", "OcrMarkdown", "CONVERTED_LAYOUTS"]

_VALUE = lab(Tag.VALUE)
_NOISE = lab(Tag.NOISE)
NL = Piece("\n")


def _blank() -> Cell:
    return Cell([], "blank")


def _noise_cell(text: str) -> Cell:
    return Cell([Piece(text, _NOISE)], "noise")


def _label_of(cell: Cell, prefix: str) -> str | None:
    return next((p.label for p in cell.pieces if p.label and p.label.startswith(prefix)), None)


def _chars(cell: Cell) -> list[Piece]:
    """The cell as one piece per character (labels kept), to cut it anywhere."""
    return [p._replace(text=ch) for p in cell.pieces for ch in p.text]


def _cut(cell: Cell, k: int) -> list[Cell]:
    """`cell` cut into `k` consecutive cells of about equal length."""
    chars = _chars(cell)
    n = max(1, -(-len(chars) // k))
    return [Cell(chars[i:i + n], cell.kind) for i in range(0, len(chars), n)]


def matrix(grid: Grid, repeat: bool) -> list[list[Cell]]:
    """One list of `ncols` cells per grid row: a merged cell at its origin, and in the positions it
    covers either nothing or (`repeat`, Docling) a copy of its label."""
    cover = grid.covered()
    rows = []
    for r in range(grid.nrows):
        row = []
        for c in range(grid.ncols):
            gc = cover.get((r, c))
            if gc is None:
                row.append(_blank())
            elif gc.r == r and gc.c == c:
                row.append(gc.cell)
            elif repeat and gc.cell.kind in ("label", "header"):
                row.append(Cell(list(gc.cell.pieces), gc.cell.kind))
            else:
                row.append(_blank())
        rows.append(row)
    return rows


class _MarkdownBase:
    positions = True
    chrome_page = False
    structural_noise = False

    def _init(self) -> None:
        self.info: dict = {"ops": {}, "missing": [], "altered": [], "blank": []}

    def _op(self, name: str, n: int = 1) -> None:
        self.info["ops"][name] = self.info["ops"].get(name, 0) + n

    def lines(self, report: Report, rng: random.Random) -> list[Line]:
        self._init()
        self.style = self.draw_style(rng)
        out: list[Line] = []
        for b in report.blocks:
            if b.kind == "table":
                out += self.table(b.grid, rng)
            else:
                out.append(Line([Cell(list(b.pieces), b.kind)], b.kind))
        return out

    def draw_style(self, rng: random.Random) -> dict:
        raise NotImplementedError

    def table(self, grid: Grid, rng: random.Random) -> list[Line]:
        raise NotImplementedError

    @staticmethod
    def row(cells: list[Cell], segment: str, r: int | None = None) -> Line:
        return Line(cells, "table", segment, r)

    def serialize(self, lines: list[Line], rng: random.Random, info: dict) -> list[Piece]:
        for k, v in self.info["ops"].items():
            info.setdefault("ops", {})
            info["ops"][k] = info["ops"].get(k, 0) + v
        info.setdefault("missing", []).extend(self.info["missing"])
        info.setdefault("blank", []).extend(self.info["blank"])
        info["altered"] = sorted(set(info.get("altered", [])) | {f for f in self.info["altered"] if f})
        out: list[Piece] = []
        seg = None
        for ln in lines:
            if ln.kind != "table":
                if seg is not None:
                    out.append(NL)
                seg = None
                prefix = {"title": "# ", "heading": "## "}.get(ln.kind, "")
                out += [Piece(prefix)] + [p for c in ln.cells for p in c.pieces if p.text != "\n"] + [NL, NL]
                continue
            cells = ln.cells
            if seg is not None and ln.table != seg:
                out.append(NL)  # another table: a blank line between
            out.append(Piece("|"))
            for c in cells:
                out += [Piece(" ")] + [p for p in c.pieces if p.text != "\n"] + [Piece(" |")]
            out.append(NL)
            if ln.table != seg:
                out.append(Piece("|" + "---|" * len(cells)))
                out.append(NL)
            seg = ln.table
        return out


class ConverterMarkdown(_MarkdownBase):
    """PDF-to-Markdown converter output (MinerU / Marker / Docling pipe tables)."""

    name = "converter_md"

    def draw_style(self, rng):
        return {"repeat": rng.random() < 0.35, "wrap": rng.random() < 0.7, "vsplit": rng.random() < 0.6,
                "t2_reorder": rng.random() < 0.5, "t4_merged": rng.random() < 0.6, "pushout": rng.random() < 0.4,
                "footer": rng.random() < 0.6}

    def table(self, grid, rng):
        if grid.name == "t2":
            return self._t2(grid, rng)
        if grid.name == "t3":
            return self._t3(grid, rng)
        return self._t4(grid, rng)

    def _t2(self, grid, rng):
        rows = matrix(grid, self.style["repeat"])
        starts = [gc.r for gc in grid.cells if gc.c == 0 and gc.cs == grid.ncols]
        blocks = [rows[a:b] for a, b in zip(starts, starts[1:] + [len(rows)])]
        if self.style["t2_reorder"] and len(blocks) > 1:
            order = list(range(len(blocks)))
            while order == sorted(order):
                rng.shuffle(order)
            blocks = [blocks[i] for i in order]
            self._op("t2_reordered")
        return [self.row(r, "t2") for b in blocks for r in b]

    def _t3(self, grid, rng):
        st = self.style
        rows = matrix(grid, st["repeat"])
        if st["vsplit"] and not st["repeat"]:
            for gc in grid.cells:
                if gc.rs > 2 and gc.cell.kind == "label" and (gc.c == 0 or rng.random() < 0.5):
                    parts = _cut(gc.cell, min(gc.rs, rng.randint(2, 5)))
                    for k, part in enumerate(parts):
                        rows[gc.r + k][gc.c] = part
                    self._op("vertical_label_split")
        out: list[Line] = []
        seg = "t3"
        for r, cells in enumerate(rows):
            lab_i = max((i for i, c in enumerate(cells[:3]) if c.kind == "label" and _label_of(c, "T3_ROW")),
                        default=None)
            if st["wrap"] and lab_i is not None and len(cells[lab_i].text) > 14 and rng.random() < 0.6:
                label = cells[lab_i]
                if rng.random() < 0.5:  # wrapped: the label's first line alone, the rest beside the numbers
                    head, tail = _cut(label, 2)[:2]
                    first = [c if i < lab_i else _blank() for i, c in enumerate(cells)]
                    first[lab_i] = head
                    second = [_blank() for _ in cells[:lab_i]] + [tail] + cells[lab_i + 1:]
                    self._op("label_wrapped")
                else:  # detached: the whole label on one row, its numbers on the next
                    first = [c if i <= lab_i else _blank() for i, c in enumerate(cells)]
                    second = [_blank() for _ in cells[:lab_i + 1]] + cells[lab_i + 1:]
                    self._op("label_detached")
                out += [self.row(first, seg, r), self.row(second, seg, r)]
                continue
            out.append(self.row(cells, seg, r))
        if st["footer"]:
            body = [i for i, ln in enumerate(out) if ln.row is not None and ln.row >= grid.header_rows + 2]
            i = rng.choice(body[:-1])
            footer = f"— {rng.randint(2, 6)} —"
            if rng.random() < 0.5:
                out.insert(i, self.row([_noise_cell(footer)] + [_blank() for _ in range(grid.ncols - 1)], seg))
                self._op("footer_row")
            else:
                for ln in out[i:]:
                    ln.table = "t3~"
                out.insert(i, Line([Cell([Piece(footer, _NOISE)], "chrome")], "chrome"))
                self._op("footer_line")
        if st["pushout"] and rng.random() < 0.5:
            out = self._pushout(out, rng)
        return out

    def _t4(self, grid, rng):
        st = self.style
        if st["t4_merged"]:
            hdr = [gc.cell for gc in grid.cells if gc.r == 0]
            outcomes = [gc.cell for gc in sorted(grid.cells, key=lambda g: g.c) if gc.r == 1 and gc.rs == 2]
            groups = [gc.cell for gc in sorted(grid.cells, key=lambda g: g.c) if gc.r == 1 and gc.rs == 1]
            lower = [gc.cell for gc in sorted(grid.cells, key=lambda g: g.c) if gc.r == 2]
            values = [gc.cell for gc in sorted(grid.cells, key=lambda g: g.c) if gc.r == 3]
            out = [self.row(hdr, "t4"), self.row(outcomes + groups + lower[:5], "t4"), self.row(values, "t4")]
            self._op("t4_header_merged")
        else:
            out = [self.row(r, "t4") for r in matrix(grid, st["repeat"])]
        if st["pushout"] and not self.info["ops"].get("value_pushed_out"):
            out = self._pushout(out, rng)
        return out

    def _pushout(self, out: list[Line], rng: random.Random) -> list[Line]:
        """One value leaves its cell for a line of its own just above the table."""
        spots = [(i, j) for i, ln in enumerate(out) if ln.kind == "table"
                 for j, c in enumerate(ln.cells) if c.kind == "value"]
        if not spots:
            return out
        i, j = rng.choice(spots)
        cell = out[i].cells[j]
        out[i].cells[j] = _blank()
        self._op("value_pushed_out")
        return [Line([Cell(list(cell.pieces), "para")], "para")] + out


_GENERIC = ("数据", "列", "Column ")


class OcrMarkdown(_MarkdownBase):
    """A VLM / OCR engine's Markdown of a scanned report."""

    name = "ocr_md"

    def draw_style(self, rng):
        return {"cut_t3": rng.random() < 0.8, "generic": rng.choice(_GENERIC), "n_generic": rng.choice((6, 7)),
                "wrong_header": rng.random() < 0.5, "dash": rng.random() < 0.6, "t4_pieces": rng.random() < 0.8,
                "misread": rng.uniform(0.005, 0.04), "digits": rng.choice((0.0, 0.0, 0.01, 0.03))}

    def lines(self, report, rng):
        out = super().lines(report, rng)
        rate = self.style["misread"]
        for ln in out:
            for c in ln.cells:
                if c.kind not in ("label", "header"):
                    continue
                new = []
                for p in c.pieces:
                    if p.label and p.label != _VALUE and p.text:
                        chars = [CONFUSABLE.get(ch, ch) if ch in CONFUSABLE and rng.random() < rate else ch
                                 for ch in p.text]
                        if "".join(chars) != p.text:
                            self._op("misread")
                        p = p._replace(text="".join(chars))
                    new.append(p)
                c.pieces = new
        return out

    def table(self, grid, rng):
        if grid.name == "t2":
            return [self.row([c for c in r if c.kind != "blank"] or [_blank()], "t2")
                    for r in matrix(grid, False)]
        if grid.name == "t3":
            return self._t3(grid, rng)
        return self._t4(grid, rng)

    def _value(self, cell: Cell, row_key: str | None, rng: random.Random) -> Cell:
        p = cell.pieces[0] if cell.pieces else None
        if (self.style["dash"] and p is not None and p.field and p.text == "0" and row_key
                and row_key not in ("total",) and not p.field.endswith(".total") and rng.random() < 0.15):
            self.info["blank"].append(p.field)
            self.info["altered"].append(p.field)
            self._op("dash_cell")
            return Cell([p._replace(text="-")], "value")
        if p is not None and p.field and self.style["digits"] and rng.random() < self.style["digits"] * len(p.text):
            i = rng.randrange(len(p.text))
            if p.text[i] in DIGIT_CONFUSABLE:  # 0→O, 1→l: the scan's digit misread
                self.info["altered"].append(p.field)
                self._op("digit_misread")
                wrong = misread(DIGIT_CONFUSABLE[p.text[i]], rng)
                return Cell([p._replace(text=p.text[:i] + wrong + p.text[i + 1:])], "value")
        return cell

    def _t3(self, grid, rng):
        st = self.style
        header = [gc.cell for gc in sorted(grid.cells, key=lambda g: (g.r, g.c)) if gc.r < grid.header_rows]
        cols = [gc.cell for gc in sorted(grid.cells, key=lambda g: g.c)
                if gc.r < grid.header_rows and _label_of(gc.cell, "T3_COL")]
        first_header = [header[1], _blank()] + cols  # 申请人情况 | | 自然人 | 商业企业 … | 总计
        seg_no = 0
        group_rows: dict[int, Cell] = {}
        for gc in grid.cells:  # a sub-group label sits in the middle of the rows it spans
            if gc.rs > 1 and _label_of(gc.cell, "T3_GROUP") and gc.c == 1:
                group_rows[gc.r + gc.rs // 2] = gc.cell
        results = next((gc for gc in grid.cells if _label_of(gc.cell, "T3_GROUP=results")), None)
        lines: list[Line] = [self.row(first_header, "t3#0")]
        for r, row in enumerate(grid.rows()):
            if r < grid.header_rows:
                continue
            labels = [gc.cell for gc in row if gc.cell.kind == "label" and not _label_of(gc.cell, "T3_GROUP=results")]
            values = [gc.cell for gc in row if gc.cell.kind == "value"]
            row_label = next((c for c in labels if _label_of(c, "T3_ROW")), None)
            key = _label_of(row_label, "T3_ROW").split("=", 1)[1] if row_label is not None else None
            starts_group = any(_label_of(gc.cell, "T3_GROUP") and gc.c == 1 for gc in row) or (
                results is not None and r == results.r) or key == "total"
            if st["cut_t3"] and starts_group and r > grid.header_rows:
                seg_no += 1
                if key == "total" and st["wrong_header"]:
                    hdr = [_noise_cell(w) for w in T.T4_OUTCOME_LABELS.values()]
                    self._op("wrong_header")
                else:
                    hdr = [_noise_cell("项目"), _blank()] + [_noise_cell(f"{st['generic']}{k + 1}")
                                                            for k in range(st["n_generic"])]
                lines.append(self.row(hdr, f"t3#{seg_no}"))
                self._op("t3_cut")
            if results is not None and r == results.r:
                lines.append(self.row([results.cell, _blank()] + [_blank() for _ in values], f"t3#{seg_no}"))
            group = group_rows.get(r)
            lab_cells = [group or _blank(), row_label or (labels[0] if labels else _blank())]
            lines.append(self.row(lab_cells + [self._value(v, key, rng) for v in values], f"t3#{seg_no}", r))
        return lines

    def _t4(self, grid, rng):
        if not self.style["t4_pieces"]:
            return [self.row([c for c in r if c.kind != "blank"], "t4") for r in matrix(grid, False)]
        groups = [gc.cell for gc in sorted(grid.cells, key=lambda g: (g.r, g.c)) if _label_of(gc.cell, "T4_GROUP")]
        outcomes = [gc.cell for gc in sorted(grid.cells, key=lambda g: g.c) if gc.r == 1 and gc.rs == 2]
        values = [gc.cell for gc in sorted(grid.cells, key=lambda g: g.c) if gc.r == 3]
        out = []
        for k, g in enumerate(groups):
            seg = f"t4#{k}"
            out.append(self.row([g] + [_blank() for _ in range(4)], seg))
            out.append(self.row([Cell(list(c.pieces), c.kind) for c in outcomes], seg))
            out.append(self.row(values[5 * k:5 * k + 5], seg))
        self._op("t4_pieces")
        return out


CONVERTED_LAYOUTS = {cls.name: cls for cls in (ConverterMarkdown, OcrMarkdown)}
