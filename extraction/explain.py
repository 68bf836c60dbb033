"""What the user sees of the reconciler's answer: corrections, violations and their explanations.

Kept apart from `extraction.solve` because explaining is not deciding: given the cells the solver
settled, this module lists the readings it replaced (corrections), checks the 勾稽关系 on the values as
they will be published (via `extraction.constraints`, the one check), names the smallest set of cells
whose change would explain each broken sum — a `source_error` when all of them were read with
certainty, the printed value kept, never "fixed" — shows the printed value where the solver could not
choose, and sets each figure the prose states beside the table's value. Nothing here changes what the
solver chose, except which of equally likely values a cell displays.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from gongkai.extraction.constraints import CONSTRAINED, broken_constraints
from gongkai.extraction.milp import Model
from gongkai.extraction.result import Correction, NarrativeFigure, Violation, ViolationKind
from gongkai.extraction.row_alignments import CONSTRAINTS

if TYPE_CHECKING:  # the cells are the reconciler's (extraction.reconcile); only their fields are used here
    from gongkai.extraction.reconcile import Cell

__all__ = ["effective", "keep_printed_where_ambiguous", "corrections", "violations", "smallest_explanations",
           "checked_narrative"]

# branch-and-bound nodes for one explanation solve (a description of the broken sums, not a reading:
# where the budget runs out, fewer equals are listed); ≤ 75 nodes were needed over the benchmark
EXPLANATION_NODES = 500


def effective(c: Cell) -> int | float | None:
    """The value a cell is checked with: as read, else what the sums force on it."""
    return c.value if c.value is not None else c.implied


def keep_printed_where_ambiguous(cells: dict[str, Cell]) -> None:
    """When the constraints cannot choose between candidates, the cell shows what was printed (one of
    them), never the solver's arbitrary pick among equals."""
    for c in cells.values():
        tok = c.token
        if c.candidates and tok is not None and tok.readings and c.source is not None and c.source.kind == "token":
            printed = tok.readings[0].value
            if printed in c.candidates:
                c.value = printed


def corrections(cells: dict[str, Cell]) -> list[Correction]:
    """The cells whose published value is not their printed reading, each with why (and sets
    `Cell.corrected`); a table-3/4 cell left ambiguous is no correction."""
    out = []
    for f, c in cells.items():
        if c.candidates and f.startswith(("t3", "t4")):
            continue
        before, reason = None, None
        if c.source is not None and c.source.kind == "free" and c.value is not None:
            before, reason = "", "cell lost in reading; its value is forced by the 勾稽关系"
        elif c.source is not None and c.source.kind == "const" and c.token is not None:
            before = c.token.raw
            reason = "squashed cells split" if len(c.source.tokens) == 1 else "number broken across lines joined"
        elif c.token is not None and c.token.readings and c.value is not None and c.value != c.token.readings[0].value:
            before, reason = c.token.raw, "an alternative reading satisfies the 勾稽关系"
        if reason is None:
            continue
        support = [name for name, lhs, rhs in CONSTRAINTS if f in lhs or f in rhs]
        c.corrected = Correction(field=f, before=before, after=c.value, constraints=support, reason=reason)
        out.append(c.corrected)
    return out


def violations(cells: dict[str, Cell], U: float) -> list[Violation]:
    """Every broken constraint, with the cells of the smallest explanation it involves (all its cells if
    none does) and the other equally small ones; a source error when those cells were read with certainty."""
    broken = broken_constraints({f: effective(c) for f, c in cells.items()})  # the one check
    if not broken:
        return []
    explanations = smallest_explanations(cells, U)
    changed = explanations[0] if explanations else set()
    out = []
    for b in broken:
        name, lhs, rhs, lv, rv = b.name, b.lhs, b.rhs, b.lhs_value, b.rhs_value
        involved = [f for f in lhs + rhs if f in changed] or lhs + rhs
        others = [sorted(f for f in lhs + rhs if f in e) for e in explanations[1:]]
        others = [o for o in others if o and o != involved]
        certain = all(cells[f].certain and cells[f].token is not None for f in involved)
        kind = ViolationKind.source_error if certain else ViolationKind.unresolved
        out.append(Violation(constraint=name, lhs=lhs, rhs=rhs, lhs_value=lv, rhs_value=rv, difference=lv - rv,
                             kind=kind, cells=involved, alternatives=others))
    return out


def smallest_explanations(cells: dict[str, Cell], U: float, limit: int = 4) -> list[set[str]]:
    """The fewest printed cells whose change would make every constraint hold, and its equals.

    A total is preferred on ties (it is the cell a person computes, so the likelier typo); the other
    equally small explanations are returned after it.

    The cells' new values are continuous: the sums have ±1 coefficients over integer printed values, so
    a set of cells that can make them hold with real values can almost always do so with integers, and
    the integer model's cut rounds took seconds on broken documents (≈ 50× the continuous one). Where
    the answer does come out fractional, the integer model decides.
    """
    for integer in (False, True):
        found, fractional = _explanations(cells, U, limit, integer)
        if not fractional:
            return found
    return found


def _explanations(cells: dict[str, Cell], U: float, limit: int, integer: bool) -> tuple[list[set[str]], bool]:
    """`smallest_explanations` with the cells' values `integer` or not; also whether a solution used
    a fractional value (then only the integer model's answer counts)."""
    m = Model()
    x, flags = {}, {}
    for f in CONSTRAINED:
        v = effective(cells[f])
        x[f] = m.var(0, U, integer=integer)
        if v is None:
            continue
        weight = (1.0 if cells[f].certain else 0.9) - (0.001 if f.endswith(".total") else 0.0)
        b = m.binary(weight)
        flags[f] = b
        m.add({x[f]: 1.0, b: -U}, -math.inf, v)
        m.add({x[f]: 1.0, b: U}, v, math.inf)
    for _, lhs, rhs in CONSTRAINTS:
        coefs = {x[f]: 1.0 for f in lhs}
        for f in rhs:
            coefs[x[f]] = coefs.get(x[f], 0.0) - 1.0
        m.eq(coefs, 0)
    found: list[set[str]] = []
    cuts: list = []
    size = None
    while len(found) < limit:
        res = m.solve(cuts, node_limit=EXPLANATION_NODES, time_limit=10.0)
        if res is None:
            break
        if not integer and any(abs(res.x[v] - round(res.x[v])) > 1e-6 for v in x.values()):
            return found, True
        chosen = {f for f, b in flags.items() if res.x[b] > 0.5}
        if size is None:
            size = len(chosen)
        if len(chosen) != size or not chosen:
            break
        found.append(chosen)
        cuts.append(({flags[f]: 1.0 for f in chosen}, -math.inf, len(chosen) - 1))
    return found, False


def checked_narrative(figures: list[NarrativeFigure], cells: dict[str, Cell], warnings: list[str]) -> list[NarrativeFigure]:
    """Each stated figure beside the table's value; a contradiction is a finding (and a warning)."""
    out = []
    for fig in figures:
        values = [effective(cells[f]) for f in fig.fields]
        table = None if any(v is None for v in values) else sum(values)
        agrees = None if table is None else abs(table - fig.value) < 1e-9
        if agrees is False:
            warnings.append(f"the report's text states “{fig.phrase}” but its table gives {table:g}")
        out.append(fig.model_copy(update={"table_value": table, "agrees": agrees}))
    return out
