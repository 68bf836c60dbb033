"""The OCR / conversion noise model. It transforms `Line`s of labelled pieces — never the final
string — so every label stays on the characters it describes.

Ops: visually similar character swaps (度→庋, 计→记, 0→O), dropped enumerators (一、),
dropped and merged cells, two-line header words (结果 / 维持), labels split over lines or
printed one character per line, numbers split across lines (1 / 62 = 162), squashed value rows,
garbage tokens and page-number lines inside tables (some with a dash lost). Fields whose printed
value an op changed are reported in `info["altered"]`; fields whose cell disappeared in
`info["dropped"]`.
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from gongkai.extraction.labelling import Tag
from gongkai.training.synth.pieces import Cell, Line, Piece, lab

__all__ = ["NoiseLevel", "LEVELS", "apply_noise"]

CONFUSABLE = {
    "度": "庋", "计": "记", "理": "埋", "己": "已", "未": "末", "人": "入", "日": "曰", "申": "甲", "请": "清",
    "公": "么", "开": "幵", "数": "效", "量": "重", "政": "玫", "处": "外", "项": "顶", "第": "笫", "条": "茶",
    "持": "特", "审": "宙", "结": "给", "总": "忌", "诉": "拆", "复": "夏", "议": "仪", "其": "具", "科": "抖",
    "机": "杋", "构": "枃", "业": "亚", "商": "啇", "年": "牟", "本": "木", "息": "怠", "情": "倩", "况": "况",
    "（": "(", "）": ")", "、": ",", "，": ",", "：": ":", "一": "-", "二": "=",
}
# a digit and what a recogniser prints for it (one option in four for 0: a speck above it reads ó)
DIGIT_CONFUSABLE = {"0": ("O", "O", "O", "ó"), "1": ("l",), "5": ("S",), "8": ("B",), "6": ("b",), "2": ("Z",)}
# a page number, and one whose dash the recogniser lost ("-3", "3—")
PAGE_NUMBER_STYLES = ("-{}-", "-{}-", "— {} —", "-{}", "{}—")


def misread(options: str | tuple[str, ...], rng: random.Random) -> str:
    """One of a character's confusions (`CONFUSABLE` gives one, `DIGIT_CONFUSABLE` a few)."""
    return options if isinstance(options, str) else options[0] if len(options) == 1 else rng.choice(options)
GARBAGE = ("\\top", "†", ", , ,", "丨", "■", "ˉ", "・", "|", "_", "~", "口", "\u3000", "...", "l", "I")


@dataclass(frozen=True)
class NoiseLevel:
    """Probabilities of each op: per character (swap), per piece (enum, number split), per cell
    (drop, merge) or per line (header split, label split, squash, garbage, page number)."""

    name: str
    char_swap: float = 0.0
    digit_swap: float = 0.0
    drop_enum: float = 0.0
    drop_cell: float = 0.0
    merge_cells: float = 0.0
    split_header: float = 0.0
    split_label: float = 0.0
    vertical_label: float = 0.0
    split_number: float = 0.0
    squash_row: float = 0.0
    garbage: float = 0.0
    page_number: float = 0.0
    no_heading_2: float = 0.0
    six_before_five: float = 0.0


LEVELS = {
    "clean": NoiseLevel("clean"),
    "light": NoiseLevel("light", char_swap=0.002, drop_enum=0.05, merge_cells=0.01, split_header=0.2,
                        split_label=0.04, split_number=0.003, squash_row=0.01, garbage=0.02, page_number=0.2,
                        no_heading_2=0.03, six_before_five=0.03),
    "heavy": NoiseLevel("heavy", char_swap=0.015, digit_swap=0.004, drop_enum=0.3, drop_cell=0.01, merge_cells=0.05,
                        split_header=0.6, split_label=0.15, vertical_label=0.3, split_number=0.01, squash_row=0.05,
                        garbage=0.08, page_number=0.5, no_heading_2=0.1, six_before_five=0.08),
}

VALUE = lab(Tag.VALUE)
NOISE = lab(Tag.NOISE)


def _swap(p: Piece, rng: random.Random, rate: float, table: dict) -> Piece:
    """Swap visually similar characters at `rate` per character (one swap per draw; the rates
    are small enough that the approximation is exact to first order)."""
    n = len(p.text)
    if rng.random() >= rate * n:
        return p
    idx = [i for i, ch in enumerate(p.text) if ch in table]
    if not idx:
        return p
    i = rng.choice(idx)
    return p._replace(text=p.text[:i] + misread(table[p.text[i]], rng) + p.text[i + 1:])


def apply_noise(lines: list[Line], level: NoiseLevel, rng: random.Random, info: dict,
                structural: bool = True) -> list[Line]:
    """Return noisy lines. `structural=False` (space-aligned layouts) limits noise to piece ops."""
    ops: Counter = info.setdefault("ops", Counter())
    altered: set = set(info.get("altered", ()))
    dropped: list = info.setdefault("dropped", [])
    if level.name == "clean":
        info["altered"] = sorted(altered)
        return lines
    out: list[Line] = []
    t3_lines = [i for i, ln in enumerate(lines) if ln.table == "t3"]
    page_at = rng.choice(t3_lines) if t3_lines and rng.random() < level.page_number else None
    for i, ln in enumerate(lines):
        # piece-level ops
        for cell in ln.cells:
            new = []
            for p in cell.pieces:
                if p.role == "enum" and rng.random() < level.drop_enum:
                    ops["drop_enum"] += 1
                    continue
                if p.label == VALUE:
                    if level.digit_swap and rng.random() < level.digit_swap * len(p.text):
                        q = _swap(p, rng, 1.0, DIGIT_CONFUSABLE)
                        if q.text != p.text:
                            ops["digit_swap"] += 1
                            altered.add(p.field)
                            p = q
                    if len(p.text) >= 2 and rng.random() < level.split_number:
                        k = rng.randint(1, len(p.text) - 1)
                        new += [p._replace(text=p.text[:k]), Piece("\n"), p._replace(text=p.text[k:])]
                        ops["split_number"] += 1
                        if p.field:
                            altered.add(p.field)
                        continue
                elif level.char_swap and p.label != NOISE:
                    q = _swap(p, rng, level.char_swap, CONFUSABLE)
                    if q is not p:
                        ops["char_swap"] += 1
                        p = q
                new.append(p)
            cell.pieces = new
        if ln.kind == "table" and structural:
            ln = _structural(ln, level, rng, ops, dropped)
        if isinstance(ln, list):
            out += ln
            continue
        if ln.kind == "table" and rng.random() < level.garbage:
            pos = rng.randint(0, len(ln.cells))
            ln.cells.insert(pos, Cell([Piece(rng.choice(GARBAGE), NOISE)], "noise", x=(ln.cells[pos - 1].x or 0) + 4
                                      if pos and ln.cells[pos - 1].x is not None else None))
            ops["garbage"] += 1
        out.append(ln)
        if i == page_at:
            folio = rng.choice(PAGE_NUMBER_STYLES).format(rng.randint(2, 5))
            out.append(Line([Cell([Piece(folio, NOISE)], "noise", x=rng.randint(30, 70))], "chrome"))
            ops["page_number"] += 1
    info["altered"] = sorted(f for f in altered if f)
    return out


def _structural(ln: Line, level: NoiseLevel, rng: random.Random, ops: Counter, dropped: list):
    cells = ln.cells
    if ln.table == "t4" and ln.row == 2 and rng.random() < level.split_header:
        top = [Cell([p._replace(text=p.text[:2]) for p in c.pieces], c.kind) for c in cells]
        bot = [Cell([p._replace(text=p.text[2:]) for p in c.pieces], c.kind) for c in cells]
        ops["split_header"] += 1
        return [Line(top, "table", "t4", 2), Line(bot, "table", "t4", 2)]
    if any(c.kind == "value" for c in cells) and rng.random() < level.squash_row:
        ln.sep = ""
        ops["squash_row"] += 1
    keep = []
    for c in cells:
        if c.kind == "value" and rng.random() < level.drop_cell:
            dropped += [p.field for p in c.pieces if p.field]
            ops["drop_cell"] += 1
            continue
        if c.kind == "label" and len(c.text) > 8 and rng.random() < level.split_label:
            c = _split_label(c, rng)
            ops["split_label"] += 1
        if c.kind == "label" and c.rs > 3 and rng.random() < level.vertical_label:
            c = Cell([q for p in c.pieces for ch in p.text for q in (p._replace(text=ch), Piece("\n"))][:-1],
                     c.kind, c.cs, c.rs, c.x)
            ops["vertical_label"] += 1
        keep.append(c)
    if len(keep) >= 2 and rng.random() < level.merge_cells:
        j = rng.randrange(len(keep) - 1)
        a, b = keep[j], keep[j + 1]
        keep[j:j + 2] = [Cell(a.pieces + [Piece(rng.choice((" ", "")))] + b.pieces, a.kind, a.cs + b.cs, a.rs, a.x)]
        ops["merge_cells"] += 1
    ln.cells = keep
    return ln


def _split_label(c: Cell, rng: random.Random) -> Cell:
    """Break the longest piece of a label with a newline or a stray space."""
    i = max(range(len(c.pieces)), key=lambda k: len(c.pieces[k].text))
    p = c.pieces[i]
    k = rng.randint(1, len(p.text) - 1)
    brk = Piece(rng.choice(("\n", " ", "\n")))
    return Cell(c.pieces[:i] + [p._replace(text=p.text[:k]), brk, p._replace(text=p.text[k:])] + c.pieces[i + 1:],
                c.kind, c.cs, c.rs, c.x)
