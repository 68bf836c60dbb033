"""The reconciler: choose, among the readings of every cell, the values that satisfy the 勾稽关系.

This module is the orchestration and its vocabulary (`Cell`, `Outcome`): it turns rows into cells and
runs, in order, what `extraction.solve` decides and what `extraction.explain` makes of it:
- the MILP over the readings of tables 3 and 4 picks each row's alignment and each token's reading
  (`solve.solve`, `solve.pick`); table 2, which has no 勾稽关系, is read here by plausibility;
- cells the chosen alignment leaves empty are pinned by LP bounds when the constraints force them;
- a second search for an equally cheap solution with different values marks ambiguity;
- violations are explained by the smallest set of cells whose change would satisfy every constraint,
  and are `source_error`s when all those cells were read with certainty (digital sources): the
  printed value is kept, never "fixed" (`extraction.explain`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from gongkai.extraction import explain
from gongkai.extraction import solve
from gongkai.extraction import template as T
from gongkai.extraction.align import Alignment, CellSource, alignments, fallback, leading_zero
from gongkai.extraction.assemble import Assembled, RowReading, Token
from gongkai.extraction.result import (
    CellStatus, Correction, MergedRow, NarrativeFigure, Violation,
)
from gongkai.extraction.solve import COST_NARRATIVE

__all__ = ["reconcile", "Cell", "Outcome", "MODES"]


@dataclass
class Cell:
    """What the reconciler decided for one field."""

    field: str
    token: Token | None = None
    source: CellSource | None = None
    how: str = "exact"
    value: int | float | None = None
    implied: int | None = None
    status: CellStatus = CellStatus.missing
    certain: bool = True
    prob: float = 1.0
    candidates: list[int | float] = field(default_factory=list)
    corrected: Correction | None = None
    contested: bool = False  # the row's other candidate alignments put another value here
    # table 2 (no 勾稽关系 to decide): the share of the row's alignment weight, exp(-cost), behind this
    # value — 1.0 when every plausible cut gives it, ~0.8 when a rival cut is only 1.5 nats dearer
    support: float | None = None
    # the solver's search stopped at its budget before it could rule out another value here
    # (`solve.SEARCH_NODES`): never confident
    unsettled: bool = False


@dataclass
class Outcome:
    cells: dict[str, Cell]
    violations: list[Violation]
    corrections: list[Correction]
    merged_rows: list[MergedRow]
    warnings: list[str]
    narrative: list[NarrativeFigure] = field(default_factory=list)


def _cell_from(row: RowReading, src: CellSource, how: str, reading_choice: dict[int, int], f: str) -> Cell:
    """The cell a row's source gives `f` under alignment `how` and the chosen readings."""
    if src.kind == "free":
        return Cell(f, None, src, how, status=CellStatus.number, certain=False, prob=0.0)
    choice = reading_choice.get(src.token, 0)
    tok, value = solve.source_reading(row, src, choice)
    if src.kind == "const":
        return Cell(f, tok, src, how, value=value, status=CellStatus.number, certain=tok.certain,
                    prob=tok.readings[0].prob if tok.readings else 1.0)
    prob = tok.readings[choice].prob if tok.readings else tok.mark_prob
    return Cell(f, tok, src, how, value=value, status=tok.status, certain=tok.certain, prob=prob)


MODES = ("full", "no_alternatives", "off")


def reconcile(asm: Assembled, mode: str = "full") -> Outcome:
    """`mode` is for ablations: "no_alternatives" keeps only each token's first reading, "off" takes
    every row as read (first cells in order) and only reports the violations."""
    if mode not in MODES:
        raise ValueError(f"unknown reconcile mode {mode!r}; choose one of {MODES}")
    warnings: list[str] = []
    cells: dict[str, Cell] = {f: Cell(f) for f in T.ALL_FIELDS}
    merged_out: list[MergedRow] = []

    rows = [r for r in asm.rows if r.table in ("t3", "t4")]
    if mode == "no_alternatives":
        rows = [r.model_copy(update={"tokens": [t.model_copy(update={"readings": t.readings[:1]}) for t in r.tokens]})
                for r in rows]
    if mode == "off":
        _table2(asm, cells, warnings, set())
        return _unreconciled(asm, cells, rows, warnings)
    solved = solve.solve(rows, asm.narrative)
    if solved is None:
        warnings.append("the reconciler ran out of time; readings are reported as read, unverified")
        _table2(asm, cells, warnings, set())
        return _unreconciled(asm, cells, rows, warnings)
    prob, res = solved
    best_cost = float(res.fun)
    if not res.optimal:
        warnings.append(f"the reconciler's search stopped at its budget ({solve.SEARCH_NODES} nodes) before proving "
                        "its reading the likeliest; the cells the alignments and readings control are uncertain")

    reading_choice, chosen_align = solve.pick(prob, res)
    for r, (row, a) in enumerate(zip(rows, chosen_align)):
        aligns = prob.aligns[r]
        rc = {t: c for (rr, t), c in reading_choice.items() if rr == r}
        if a.how == "unread":
            warnings.append(f"{row.table}.{row.key}: its readings contradict the other rows; left unread, the "
                            "cells the 勾稽关系 force are filled, the printed reading is a candidate")
        elif a.how not in ("exact",):
            warnings.append(f"{row.table}.{row.key}: {len(row.tokens)} tokens for {len(row.fields)} cells, read as {a.how}")
        if row.merged_rows:
            values = {}
            for i, col in enumerate(T.T3_COLUMNS):
                c = _cell_from(row, a.cells[i], a.how, rc, col)
                values[col] = c.value
            merged_out.append(MergedRow(label=row.label, rows=row.merged_rows, values=values))
            continue
        for i, f in enumerate(row.fields):
            cells[f] = _cell_from(row, a.cells[i], a.how, rc, f)
            readings = [alt for alt in aligns if alt.how != "unread"]  # leaving a row unread is no rival reading
            cells[f].contested = len(readings) > 1 and len(
                {_cell_from(row, alt.cells[i], alt.how, rc, f).value for alt in readings}) > 1

    _table2(asm, cells, warnings, {a.how for a in chosen_align})
    for key in asm.not_printed:
        for f in T.T2_ROW_FIELDS[key]:
            cells[f].how = "not_printed"  # absent by the form, not lost (extraction/assemble.py `not_printed_rows`)
        warnings.append(f"t2.{key}: the report does not print this row (its label is nowhere in the text)")
    known = {f: c.value for f, c in cells.items() if f in prob.x and c.value is not None}
    solve.pin_unknowns(prob, cells, known, merged_out, solve.violated_constraints(prob, res))
    solve.offer_unread_readings(prob, rows, chosen_align, cells)
    solve.find_ambiguity(prob, res, best_cost, cells, rows, chosen_align)
    explain.keep_printed_where_ambiguous(cells)
    corrections = explain.corrections(cells)
    violations = explain.violations(cells, prob.U)
    return Outcome(cells, violations, corrections, merged_out, warnings,
                   explain.checked_narrative(asm.narrative, cells, warnings))


T2_STOCK_REPEALED = 0.5  # nats: as many repealed this year as are in force
T2_STOCK_YEARS = 8.0  # in force ≈ this many years of issuance (a weak prior: squashed rows only need a tie-break)
T2_STOCK_WEIGHT = 0.5  # nats per squared log-ratio off it
T2_NEAR_TIE = 0.75  # nats: table-2 readings this close to the best are candidates
T2_RIVAL_SHARE = 0.1  # so is any value holding this share of the row's alignment weight: not pinned down
STYLE_BONUS = 2.5  # nats: a document squashes (or collapses) all its rows alike
IMPLAUSIBLE = 3.0  # nats: fewer documents in force than issued this year


def _table2(asm: Assembled, cells: dict[str, Cell], warnings: list[str], styles: set[str]) -> None:
    """Table 2 has no 勾稽关系; a row whose token count is off is settled by how tables 3/4 of the
    same document were printed (`styles`: the alignments chosen there) and by plausibility."""
    stated = {fig.fields[0]: fig.value for fig in asm.narrative if len(fig.fields) == 1}
    for row in (r for r in asm.rows if r.table == "t2"):
        aligns = alignments(row.tokens, len(row.fields))
        if not aligns:
            warnings.append(f"t2.{row.key}: {len(row.tokens)} values for {len(row.fields)} cells")
            aligns = [fallback(len(row.tokens), len(row.fields))]

        def cost(a: Alignment) -> float:
            c = a.cost - (STYLE_BONUS if a.how in styles and a.how != "exact" else 0.0)
            for f, src in zip(row.fields, a.cells):
                if f in stated and _cell_from(row, src, a.how, {}, f).value != stated[f]:
                    c += COST_NARRATIVE
                if src.kind == "token" and leading_zero(row.tokens[src.token].raw):
                    c += IMPLAUSIBLE  # no report prints "002" for 2: a run opening with 0 is cells squashed
            if len(row.fields) == 3:  # issued, repealed, in_force
                issued, repealed, in_force = (_cell_from(row, src, a.how, {}, "").value for src in a.cells)
                if issued is not None and in_force is not None and in_force < issued:
                    c += IMPLAUSIBLE
                if repealed and repealed in (issued, in_force):  # equal non-zero counts are rare
                    c += 1.0
                if repealed and in_force and repealed >= in_force:  # repealing the whole stock is rarer
                    c += T2_STOCK_REPEALED
                if issued and in_force and in_force >= issued:  # documents stay in force for some years
                    c += T2_STOCK_WEIGHT * (math.log(in_force / issued) - math.log(T2_STOCK_YEARS)) ** 2
            return c

        costs = [cost(a) for a in aligns]
        low = min(costs)
        # readings about as likely as the best stay candidates; the likeliest is the value
        ties = [a for a, c in sorted(zip(aligns, costs), key=lambda ac: ac[1]) if c <= low + T2_NEAR_TIE]
        best = ties[0]
        if best.how not in ("exact",):
            warnings.append(f"t2.{row.key}: {len(row.tokens)} tokens for {len(row.fields)} cells, read as {best.how}")
        weights = [math.exp(low - c) for c in costs]
        total = sum(weights)
        for i, f in enumerate(row.fields):
            cell = _cell_from(row, best.cells[i], best.how, {}, f)
            values = [_cell_from(row, a.cells[i], a.how, {}, f).value for a in aligns]
            share: dict = {}
            for v, w in zip(values, weights):
                share[v] = share.get(v, 0.0) + w / total
            options = {_cell_from(row, a.cells[i], a.how, {}, f).value for a in ties}
            options = {v for v in options | {v for v, sh in share.items() if sh >= T2_RIVAL_SHARE} if v is not None}
            if len(options) > 1:  # a rival "unknown" (the cell left unread) lowers `support`, is no candidate
                cell.candidates = sorted(options)
                cell.certain = False
            cell.contested = len(share) > 1
            cell.support = share[cell.value]
            if f in T.DECIMAL_FIELDS and isinstance(cell.value, int):
                cell.value = float(cell.value)
            cells[f] = cell


def _unreconciled(asm: Assembled, cells: dict[str, Cell], rows: list[RowReading], warnings: list[str]) -> Outcome:
    for row in rows:
        if row.merged_rows:
            continue
        for i, f in enumerate(row.fields):
            cells[f] = _cell_from(row, fallback(len(row.tokens), len(row.fields)).cells[i], "truncated", {}, f)
    return Outcome(cells, explain.violations(cells, 1e6), [], [], warnings, explain.checked_narrative(asm.narrative, cells, warnings))
