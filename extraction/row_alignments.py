"""The alignments of one printed row, before the MILP sees them: the enumerated candidates of
`extraction.align`, completed, pruned and weighed with what the row itself shows.

A row carries its own sums (a table-3 row's total, table 4's three groups), so a whole squashed row is
cut only where they hold, candidates that break more of them than necessary are dropped (crawler
rows otherwise explode combinatorially), counts no report prints are refused, and a small prior
breaks ties toward zeros in the rare applicant columns.
"""
from __future__ import annotations

from gongkai.extraction import fields as F
from gongkai.extraction import template as T
from gongkai.extraction.align import COST_SPLIT, Alignment, CellSource, alignments, fallback
from gongkai.extraction.assemble import RowReading
from gongkai.extraction.result import CellStatus

__all__ = ["row_alignments", "MAX_COUNT", "CONSTRAINTS"]

CONSTRAINTS = [(name, list(lhs), list(rhs)) for name, lhs, rhs in F.CONSTRAINTS]


def row_alignments(row: RowReading) -> list[Alignment]:
    aligns = alignments(row.tokens, len(row.fields))
    if len(row.tokens) == 1 and len(row.fields) > 1:
        consistent = _consistent_splits(row)
        if consistent:
            aligns = [a for a in aligns if a.how != "split"] + consistent
    if not aligns:  # far too many tokens: keep the first n, flagged by a high cost
        aligns = [fallback(len(row.tokens), len(row.fields))]
    aligns = _within_cap(row, aligns)
    if len(aligns) > PRUNE_ABOVE:
        aligns = _consistent_within_row(row, aligns)
    if len(aligns) > 1 and row.table in ("t3", "t4"):
        aligns = [_with_sparsity_prior(row, a) for a in aligns]
    return aligns


SPARSITY_PRIOR = 0.2  # nats per non-zero cell in a column most agencies leave at 0
RARE_COLUMNS = ("commercial", "research", "social", "legal_service", "other_org")


def _value(row: RowReading, src: CellSource, only_reading: bool = True) -> float | None:
    """What an alignment puts in a cell, when it is a known number: a constant, or a token's reading
    (its only one, or with `only_reading=False` its first); None for free, blank or text cells."""
    if src.kind == "const":
        return float(src.value)
    if src.kind == "free":
        return None
    tok = row.tokens[src.token]
    if tok.status is not CellStatus.number or not tok.readings or (only_reading and len(tok.readings) != 1):
        return None
    return float(tok.readings[0].value)


def _with_sparsity_prior(row: RowReading, a: Alignment) -> Alignment:
    """Break ties between alignments (a crawler run `0 1` over seven cells) toward zeros where they
    are likely: applicants other than natural persons are rare, and most agencies have no or one
    review or lawsuit, so most of table 4 is 0. Too small to outweigh any evidence."""
    nonzero = sum(1 for i, src in enumerate(a.cells)
                  if (row.table == "t4" or T.T3_COLUMNS[i] in RARE_COLUMNS)
                  and _value(row, src, only_reading=False) not in (None, 0.0))
    return Alignment(a.cells, a.cost + SPARSITY_PRIOR * nonzero, a.how) if nonzero else a


MAX_COUNT = 10**6  # no table-3/4 cell counts a million applications: longer digit runs are squashed cells


def _consistent_splits(row: RowReading, limit: int = 200) -> list[Alignment]:
    """A whole row squashed into one digit run (`1090000109`): cut it only where the row's own sums
    hold, checking each sum as soon as its cells are cut. Far fewer than the C(d-1, n-1) cuttings
    that `align` enumerates, and complete where that enumeration must stop (a 15-cell table-4 row)."""
    tok = row.tokens[0]
    digits = tok.raw.replace(",", "").strip()
    n = len(row.fields)
    sums = _row_sums(row)
    if not (tok.status is CellStatus.number and digits.isdigit() and len(digits) >= n and sums):
        return []
    due: dict[int, list[tuple[list[int], list[int]]]] = {}
    for lhs, rhs in sums:
        due.setdefault(max(lhs + rhs), []).append((lhs, rhs))
    found: list[tuple[int, ...]] = []
    values: list[int] = []

    def cut(pos: int) -> None:
        if len(found) >= limit:
            return
        i = len(values)
        if i == n:
            if pos == len(digits):
                found.append(tuple(values))
            return
        left = n - i - 1
        for end in range(pos + 1, len(digits) - left + 1):
            piece = digits[pos:end]
            if len(piece) > 1 and piece.startswith("0"):
                break
            v = int(piece)
            if v > MAX_COUNT:
                break
            values.append(v)
            if all(sum(values[j] for j in lhs) == sum(values[j] for j in rhs) for lhs, rhs in due.get(i, [])):
                cut(end)
            values.pop()

    cut(0)
    return [Alignment(tuple(CellSource("const", 0, v, (0,)) for v in vals), COST_SPLIT, "split") for vals in found]


def _within_cap(row: RowReading, aligns: list[Alignment]) -> list[Alignment]:
    """Drop alignments that read a run of squashed digits as one huge count; if every alignment
    does, keep them with those cells unread (free) at a high cost."""
    def too_big(src: CellSource) -> bool:
        if src.kind == "const":
            return src.value > MAX_COUNT
        if src.kind == "token":
            tok = row.tokens[src.token]
            return tok.status is CellStatus.number and all(rd.value > MAX_COUNT for rd in tok.readings)
        return False

    ok = [a for a in aligns if not any(too_big(c) for c in a.cells)]
    if ok:
        return ok
    return [Alignment(tuple(CellSource("free") if too_big(c) else c for c in a.cells), a.cost + 10.0, a.how)
            for a in aligns]


PRUNE_ABOVE = 8  # alignments; a crawler row of 15 cells printed as 7 tokens has 3003


def _row_sums(row: RowReading) -> list[tuple[list[int], list[int]]]:
    """The constraints that lie inside one printed row, as (lhs, rhs) cell indices."""
    fields = row.fields
    if row.merged_rows:  # a merged table-3 row still adds up across its columns
        fields = T.t3_row_fields("total")
    pos = {f: i for i, f in enumerate(fields)}
    return [([pos[f] for f in lhs], [pos[f] for f in rhs]) for _, lhs, rhs in CONSTRAINTS
            if all(f in pos for f in lhs + rhs)]


def _consistent_within_row(row: RowReading, aligns: list[Alignment]) -> list[Alignment]:
    """Keep the alignments that break the fewest of the row's own sums.

    Enumerated alignments explode combinatorially on collapsed crawler rows; a row's total checks
    its cells without looking at any other row, so most candidates can be dropped before the MILP.
    A cell read with alternatives, blank or free counts as unknown: it can satisfy any sum with a
    non-negative value.
    """
    sums = _row_sums(row)
    if not sums:
        return aligns

    def broken(a: Alignment) -> int:
        vals = [_value(row, c) for c in a.cells]
        count = 0
        for lhs, rhs in sums:
            lv, rv = [vals[i] for i in lhs], [vals[i] for i in rhs]
            if None in lv:
                continue
            left, right = sum(lv), sum(v for v in rv if v is not None)
            if (None in rv and left < right) or (None not in rv and abs(left - right) > 1e-6):
                count += 1
        return count

    scored = [(broken(a), a) for a in aligns]
    fewest = min(n for n, _ in scored)
    return [a for n, a in scored if n == fewest]
