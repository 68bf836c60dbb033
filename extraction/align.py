"""Candidate alignments of a row's printed tokens onto its cells.

A row of n cells read as k tokens is ambiguous when k ≠ n. Each way it can happen in the wild is
a candidate with a cost (−log prior): a dropped cell (OCR lost it), a collapsed run (crawlers print
equal consecutive cells once), squashed cells (`1090000109`), an extra token (a stray cell), a number
split over two lines (`1` / `62`). The reconciler picks among them with the 勾稽关系.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Literal

from gongkai.extraction.assemble import Token
from gongkai.extraction.digitlike import as_digits
from gongkai.extraction.result import CellStatus

COST_DROP = 3.0  # per dropped cell
COST_COLLAPSE = 2.0
COST_SPLIT = 4.0
COST_EXTRA = 3.0  # per extra numeric token; a stray blank/text cell costs less
COST_EXTRA_NON_NUMBER = 1.0
COST_JOIN = 3.5
COST_UNREAD = 400.0  # a whole row taken as unread: dearer than any set of source errors a misprint explains
MAX_ALIGNMENTS = 4000


@dataclass(frozen=True)
class CellSource:
    kind: Literal["token", "const", "free"]
    token: int | None = None  # token index (provenance), also for consts cut from / joined from tokens
    value: int | float | None = None  # for "const"
    tokens: tuple[int, ...] = ()  # all tokens a const came from (joins)


@dataclass(frozen=True)
class Alignment:
    cells: tuple[CellSource, ...]
    cost: float
    how: str  # "exact", "dropped", "collapsed", "split", "extra", "joined"


def fallback(k: int, n: int) -> Alignment:
    """When no modelled alignment fits: tokens left to right, surplus dropped, missing cells free."""
    cells = tuple(CellSource("token", i) if i < k else CellSource("free") for i in range(n))
    return Alignment(cells, 10.0, "truncated")


def unread(n: int) -> Alignment:
    """The row taken as not read at all: every cell free. Always offered to the reconciler, so that
    readings which contradict each other (two rows claiming one cell, a value beyond every bound) end in
    an answer with doubtful cells, never in an infeasible model."""
    return Alignment(tuple(CellSource("free") for _ in range(n)), COST_UNREAD, "unread")


def _is_int_token(t: Token) -> bool:
    return t.status is CellStatus.number and isinstance(t.value, int)


def _digits(t: Token) -> str:
    """The digits a numeric token prints (`O` read for 0 included), leading zeros kept."""
    raw = t.raw.replace(",", "").strip()
    return raw if raw.isdigit() else (as_digits(raw) or str(t.value))


def alignments(tokens: list[Token], n: int) -> list[Alignment]:
    k = len(tokens)
    out: list[Alignment] = []
    if k == n:
        out.append(Alignment(tuple(CellSource("token", i) for i in range(n)), 0.0, "exact"))
    elif k < n:
        missing = n - k
        if missing <= 3:
            for holes in combinations(range(n), missing):
                it = iter(range(k))
                cells = tuple(CellSource("free") if c in holes else CellSource("token", next(it)) for c in range(n))
                out.append(Alignment(cells, COST_DROP * missing, "dropped"))
        out += _collapsed(tokens, n)
        out += _split(tokens, n)
    else:
        extra = k - n
        if extra <= 2:
            for skip in combinations(range(k), extra):
                cost = sum(COST_EXTRA if tokens[i].status is CellStatus.number else COST_EXTRA_NON_NUMBER
                           for i in skip)
                cells = tuple(CellSource("token", i) for i in range(k) if i not in skip)
                out.append(Alignment(cells, cost, "extra"))
            out += _joined(tokens, n, extra)
    out.sort(key=lambda a: a.cost)
    return _dedupe(out)[:MAX_ALIGNMENTS]


def _collapsed(tokens: list[Token], n: int) -> list[Alignment]:
    """Runs of equal cells printed once: token i stands for r_i ≥ 1 consecutive cells."""
    k = len(tokens)
    if k == 0 or not all(t.status is CellStatus.number for t in tokens):
        return []
    if any(tokens[i].value == tokens[i + 1].value for i in range(k - 1)):
        return []  # the exporter would have printed these two as one
    if any(leading_zero(t.raw) for t in tokens):
        return []  # "0000000" is cells squashed together, not one printed number
    out = []
    for cuts in combinations(range(1, n), k - 1):
        bounds = (0, *cuts, n)
        cells: list[CellSource] = []
        for i in range(k):
            cells += [CellSource("token", i)] * (bounds[i + 1] - bounds[i])
        out.append(Alignment(tuple(cells), COST_COLLAPSE, "collapsed"))
    return out


def leading_zero(raw: str) -> bool:
    """A digit run opening with 0 ("002"): no report prints a count so, so it is several cells squashed."""
    digits = raw.replace(",", "").strip()
    return len(digits) > 1 and digits.isdigit() and digits.startswith("0")


def _digit_splits(digits: str, parts: int) -> list[tuple[int, ...]]:
    out = []
    for cuts in combinations(range(1, len(digits)), parts - 1):
        bounds = (0, *cuts, len(digits))
        pieces = [digits[bounds[i]:bounds[i + 1]] for i in range(parts)]
        if all(p == "0" or not p.startswith("0") for p in pieces):
            out.append(tuple(int(p) for p in pieces))
    return out


def _split(tokens: list[Token], n: int) -> list[Alignment]:
    """One token that is several cells squashed together (`1090000109`)."""
    k = len(tokens)
    parts = n - k + 1
    out = []
    for i, t in enumerate(tokens):
        digits = t.raw.replace(",", "")
        if not _is_int_token(t) or not digits.isdigit() or len(digits) < parts:
            continue
        for pieces in _digit_splits(digits, parts):
            cells = [CellSource("token", j) for j in range(i)]
            cells += [CellSource("const", i, p, (i,)) for p in pieces]
            cells += [CellSource("token", j) for j in range(i + 1, k)]
            out.append(Alignment(tuple(cells), COST_SPLIT, "split"))
    return out


def _joined(tokens: list[Token], n: int, extra: int) -> list[Alignment]:
    """Numbers broken over two lines (`1` / `62` → 162): adjacent tokens joined back."""
    k = len(tokens)
    out = []
    for starts in combinations(range(k - 1), extra):
        if any(b - a < 2 for a, b in zip(starts, starts[1:])):
            continue
        if not all(_is_int_token(tokens[s]) and _is_int_token(tokens[s + 1]) for s in starts):
            continue
        cells, i = [], 0
        while i < k:
            if i in starts:
                joined = int(_digits(tokens[i]) + _digits(tokens[i + 1]))
                cells.append(CellSource("const", i, joined, (i, i + 1)))
                i += 2
            else:
                cells.append(CellSource("token", i))
                i += 1
        out.append(Alignment(tuple(cells), COST_JOIN * extra, "joined"))
    return out


def _dedupe(items: list[Alignment]) -> list[Alignment]:
    seen: set[tuple] = set()
    out = []
    for a in items:
        key = tuple((c.kind, c.token, c.value) for c in a.cells)
        if key not in seen:
            seen.add(key)
            out.append(a)
    return out
