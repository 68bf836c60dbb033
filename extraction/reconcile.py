"""The reconciler: choose, among the readings of every cell, the values that satisfy the 勾稽关系.

Model (solved with HiGHS through `extraction.milp`): one integer per table-3/4 cell; one binary per
candidate alignment of a row whose token count is off, and per OCR alternative of a token; one
binary per constraint that may be declared violated, at a high cost. Minimising the total cost gives
the maximum-likelihood reading. Then, separately:
- cells the chosen alignment leaves empty are pinned by LP bounds when the constraints force them;
- a second search for an equally cheap solution with different values marks ambiguity;
- violations are explained by the smallest set of cells whose change would satisfy every constraint,
  and are `source_error`s when all those cells were read with certainty (digital sources): the
  printed value is kept, never "fixed".
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from scipy.optimize import linprog

from gongkai.extraction import template as T
from gongkai.extraction.align import Alignment, CellSource, leading_zero, alignments, fallback, unread
from gongkai.extraction.row_alignments import CONSTRAINTS, MAX_COUNT, row_alignments
from gongkai.extraction.assemble import Assembled, RowReading, Token
from gongkai.extraction.constraints import broken_constraints
from gongkai.extraction.milp import Model
from gongkai.extraction.result import (
    Candidate, CellStatus, Correction, FieldResult, MergedRow, NarrativeFigure, Violation, ViolationKind,
)

COST_VIOLATION = 25.0
COST_NARRATIVE = 3.0  # nats: the prose contradicting a reading (`extraction.narrative`)
AMBIGUITY_MARGIN = 1.5  # nats: a solution this close to the best is a real alternative (~4.5x likelihood)
CONSTRAINED = sorted({f for _, lhs, rhs in CONSTRAINTS for f in lhs + rhs})


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


@dataclass
class Outcome:
    cells: dict[str, Cell]
    violations: list[Violation]
    corrections: list[Correction]
    merged_rows: list[MergedRow]
    warnings: list[str]
    narrative: list[NarrativeFigure] = field(default_factory=list)


def _reading_value(tok: Token, choice: int = 0) -> int | float | None:
    return tok.readings[choice].value if tok.readings else None


def _cell_from(row: RowReading, src: CellSource, how: str, reading_choice: dict[int, int], f: str) -> Cell:
    if src.kind == "free":
        return Cell(f, None, src, how, status=CellStatus.number, certain=False, prob=0.0)
    tok = row.tokens[src.token]
    if src.kind == "const":
        return Cell(f, tok, src, how, value=src.value, status=CellStatus.number, certain=tok.certain,
                    prob=tok.readings[0].prob if tok.readings else 1.0)
    choice = reading_choice.get(src.token, 0)
    value = _reading_value(tok, choice)
    prob = tok.readings[choice].prob if tok.readings else 1.0
    return Cell(f, tok, src, how, value=value, status=tok.status, certain=tok.certain, prob=prob)


class _Problem:
    """The MILP for tables 3 and 4 of one document."""

    def __init__(self, rows: list[RowReading], narrative: list[NarrativeFigure] = (), allow_unread: bool = False):
        self.rows = rows
        self.m = Model()
        read = [row_alignments(row) for row in rows]
        self.ambiguous_row = [len(a) > 1 for a in read]  # the row's own readings disagree
        self.aligns = [a + [unread(len(row.fields))] for a, row in zip(read, rows)] if allow_unread else read
        values = [r.value for row in rows for t in row.tokens for r in t.readings if r.value <= MAX_COUNT]
        values += [c.value for aligns in self.aligns for a in aligns for c in a.cells if c.kind == "const"]
        self.U = float(max([100.0] + [2 * v + 10 for v in values]))
        self.x = {f: self.m.var(0, self.U) for f in CONSTRAINED}
        self.z: list[list[int] | None] = []
        self.y: dict[tuple[int, int], list[int]] = {}
        self.e: dict[str, int] = {}
        self.merged_vars: dict[tuple[int, str], int] = {}
        for r, row in enumerate(rows):
            self._row(r, row)
        self._constraints()
        self._narrative(narrative)

    def _reading_vars(self, r: int, t: int) -> list[int] | None:
        tok = self.rows[r].tokens[t]
        if len(tok.readings) <= 1:
            return None
        if (r, t) not in self.y:
            total = sum(rd.prob for rd in tok.readings)
            ys = [self.m.binary(-math.log(max(rd.prob / total, 1e-6))) for rd in tok.readings]
            self.m.eq({v: 1 for v in ys}, 1)
            self.y[(r, t)] = ys
        return self.y[(r, t)]

    def _target(self, r: int, row: RowReading, i: int) -> int:
        if row.merged_rows:
            col = T.T3_COLUMNS[i]
            var = self.m.var(0, self.U)
            self.merged_vars[(r, col)] = var
            coefs = {self.x[T.t3_field(s, col)]: 1.0 for s in row.merged_rows}
            coefs[var] = -1.0
            self.m.eq(coefs, 0)
            return var
        return self.x[row.fields[i]]

    def _row(self, r: int, row: RowReading) -> None:
        aligns = self.aligns[r]
        multi = len(aligns) > 1
        zs = [self.m.binary(a.cost) for a in aligns] if multi else None
        self.z.append(zs)
        if zs:
            self.m.eq({v: 1 for v in zs}, 1)
        for i in range(len(row.fields)):
            xf = self._target(r, row, i)
            coefs: dict[int, float] = {xf: 1.0}
            free_z, unc = [], []
            for a_idx, a in enumerate(aligns):
                src = a.cells[i]
                zvar = zs[a_idx] if zs else None
                kind, value, ys = self._source_value(r, src)
                if kind == "const":
                    if zvar is None:
                        self.m.eq({xf: 1.0}, value)
                    else:
                        coefs[zvar] = coefs.get(zvar, 0.0) - value
                elif kind == "var":
                    if zvar is None:
                        c = {xf: 1.0}
                        for yv, val in ys:
                            c[yv] = c.get(yv, 0.0) - val
                        self.m.eq(c, 0)
                    else:
                        unc.append((zvar, ys))
                elif zvar is not None:
                    free_z.append(zvar)
            if zs is None:
                continue
            if free_z:
                g = self.m.var(0, self.U, integer=False)
                coefs[g] = -1.0
                self.m.add({g: 1.0, **{z: -self.U for z in free_z}}, -math.inf, 0)
            if unc:
                h = self.m.var(0, self.U, integer=False)
                coefs[h] = -1.0
                self.m.add({h: 1.0, **{z: -self.U for z, _ in unc}}, -math.inf, 0)
                for zvar, ys in unc:
                    up = {h: 1.0, zvar: self.U}
                    down = {h: -1.0, zvar: self.U}
                    for yv, val in ys:
                        up[yv] = up.get(yv, 0.0) - val
                        down[yv] = down.get(yv, 0.0) + val
                    self.m.add(up, -math.inf, self.U)
                    self.m.add(down, -math.inf, self.U)
            self.m.eq(coefs, 0)

    def _source_value(self, r: int, src: CellSource):
        """('const', v, None) | ('var', None, [(y, v)…]) | ('free', None, None)."""
        if src.kind == "const":
            return "const", float(src.value), None
        if src.kind == "free":
            return "free", None, None
        tok = self.rows[r].tokens[src.token]
        if tok.status is not CellStatus.number:
            return "free", None, None
        ys = self._reading_vars(r, src.token)
        if ys is None:
            return "const", float(tok.readings[0].value), None
        return "var", None, list(zip(ys, [float(rd.value) for rd in tok.readings]))

    def _constraints(self) -> None:
        big = 50 * self.U
        for name, lhs, rhs in CONSTRAINTS:
            p = self.m.var(0, big, integer=False, cost=1e-4)
            n = self.m.var(0, big, integer=False, cost=1e-4)
            e = self.m.binary(COST_VIOLATION)
            self.e[name] = e
            coefs = {self.x[f]: 1.0 for f in lhs}
            for f in rhs:
                coefs[self.x[f]] = coefs.get(self.x[f], 0.0) - 1.0
            coefs[p] = -1.0
            coefs[n] = 1.0
            self.m.eq(coefs, 0)
            self.m.add({p: 1.0, n: 1.0, e: -big}, -math.inf, 0)


    def _narrative(self, figures: list[NarrativeFigure]) -> None:
        """A figure the prose states is a soft constraint on its fields' sum: it settles what the table
        leaves open and costs far less than any constraint, so it never moves a certain reading."""
        big = 50 * self.U
        for fig in figures:
            if not all(f in self.x for f in fig.fields):
                continue
            p = self.m.var(0, big, integer=False)
            n = self.m.var(0, big, integer=False)
            e = self.m.binary(COST_NARRATIVE)
            coefs = {self.x[f]: 1.0 for f in fig.fields}
            coefs[p], coefs[n] = -1.0, 1.0
            self.m.eq(coefs, float(fig.value))
            self.m.add({p: 1.0, n: 1.0, e: -big}, -math.inf, 0)


def _pick(res_x, vars_: list[int]) -> int:
    return max(range(len(vars_)), key=lambda i: res_x[vars_[i]])


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
    prob = _Problem(rows, asm.narrative)
    res = prob.m.solve()
    if res is None:
        # readings that contradict each other: the same model with every row allowed to be unread is
        # always feasible. It is a fallback, not the default: its big-M rows make a normal document's
        # solve ~100x slower.
        prob = _Problem(rows, asm.narrative, allow_unread=True)
        res = prob.m.solve()
    if res is None:  # only a time-out lands here
        warnings.append("the reconciler ran out of time; readings are reported as read, unverified")
        _table2(asm, cells, warnings, set())
        return _unreconciled(asm, cells, rows, warnings)
    best_cost = float(res.fun)

    reading_choice: dict[tuple[int, int], int] = {k: _pick(res.x, ys) for k, ys in prob.y.items()}
    chosen_align: list[Alignment] = []
    for r, row in enumerate(rows):
        aligns = prob.aligns[r]
        a = aligns[_pick(res.x, prob.z[r])] if prob.z[r] else aligns[0]
        chosen_align.append(a)
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
    violated = {name for name, e in prob.e.items() if res.x[e] > 0.5}
    _pin_unknowns(prob, cells, known, merged_out, violated)
    _offer_unread_readings(prob, rows, chosen_align, cells)
    _ambiguity(prob, res, best_cost, cells, rows, chosen_align)
    _keep_printed_where_ambiguous(cells)
    corrections = _corrections(cells)
    violations = _violations(asm, cells, prob.U)
    return Outcome(cells, violations, corrections, merged_out, warnings, _checked(asm.narrative, cells, warnings))


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


def _pin_unknowns(prob: _Problem, cells: dict[str, Cell], known: dict, merged: list[MergedRow],
                  violated: set[str]) -> None:
    """Cells without a reading get a value only when the satisfied constraints leave them no choice."""
    unknown = [f for f in CONSTRAINED if cells[f].value is None]
    if not unknown:
        return
    index = {f: i for i, f in enumerate(unknown)}
    A, b = [], []
    for name, lhs, rhs in CONSTRAINTS:
        if name in violated:
            continue
        terms = [(f, 1.0) for f in lhs] + [(f, -1.0) for f in rhs]
        if not any(f in index for f, _ in terms):
            continue
        row = [0.0] * len(unknown)
        const = 0.0
        for f, s in terms:
            if f in index:
                row[index[f]] += s
            else:
                const += s * known.get(f, 0.0)
        A.append(row)
        b.append(-const)
    for mr in merged:
        for col, value in mr.values.items():
            if value is None:
                continue
            subs = [T.t3_field(s, col) for s in mr.rows]
            row = [0.0] * len(unknown)
            const = 0.0
            for f in subs:
                if f in index:
                    row[index[f]] += 1.0
                else:
                    const += known.get(f, 0.0)
            A.append(row)
            b.append(value - const)
    if not A:
        return
    bounds = [(0, prob.U)] * len(unknown)
    for f, i in index.items():
        if not any(A[k][i] for k in range(len(A))):
            continue
        c = [0.0] * len(unknown)
        c[i] = 1.0
        lo = linprog(c, A_eq=A, b_eq=b, bounds=bounds, method="highs")
        c[i] = -1.0
        hi = linprog(c, A_eq=A, b_eq=b, bounds=bounds, method="highs")
        if lo.status != 0 or hi.status != 0:
            continue
        vmin, vmax = math.ceil(lo.fun - 1e-6), math.floor(-hi.fun + 1e-6)
        if vmin == vmax:
            cell = cells[f]
            cell.implied = int(vmin)
            if cell.source is not None and cell.source.kind == "free":
                cell.value = int(vmin)  # a printed cell the reading lost, recovered


def _offer_unread_readings(prob: _Problem, rows: list[RowReading], chosen: list[Alignment],
                           cells: dict[str, Cell]) -> None:
    """A row left unread keeps what it printed as a candidate beside what the sums force, so a reviewer
    sees both; none of its cells is certain."""
    for r, (row, a) in enumerate(zip(rows, chosen)):
        if a.how != "unread" or row.merged_rows:
            continue
        printed = min(prob.aligns[r][:-1], key=lambda al: al.cost, default=None)
        for i, f in enumerate(row.fields):
            c = cells[f]
            c.certain, c.prob, c.how = False, 0.0, "unread"
            if printed is None:
                continue
            read = _cell_from(row, printed.cells[i], printed.how, {}, f)
            c.token = c.token or read.token
            options = {v for v in (c.value, c.implied, read.value) if v is not None}
            if len(options) > 1 or c.value is None:
                c.candidates = sorted(options)


def _ambiguity(prob: _Problem, res, best_cost: float, cells: dict[str, Cell], rows: list[RowReading],
               chosen: list[Alignment]) -> None:
    """Look for an (almost) equally likely solution that differs in a cell the choices control."""
    watch = []
    for r, row in enumerate(rows):
        if row.merged_rows:
            continue
        multi_row = prob.ambiguous_row[r]
        for i, f in enumerate(row.fields):
            c = cells[f]
            uncertain_token = c.token is not None and len(c.token.readings) > 1
            if (multi_row or uncertain_token) and c.value is not None:
                watch.append(f)
    # the cells the chosen solution changed from what was printed come first: an equally good solution
    # that leaves them as printed is the alternative a reviewer must see (the rest may be degenerate)
    changed_first = [f for f in watch if cells[f].token is not None and cells[f].token.readings
                     and cells[f].value != cells[f].token.readings[0].value]
    _search_alternatives(prob, best_cost, cells, changed_first, watch, rounds=2)
    _search_alternatives(prob, best_cost, cells, [f for f in watch if not cells[f].candidates], watch, rounds=4)


def _search_alternatives(prob: _Problem, best_cost: float, cells: dict[str, Cell], watch: list[str],
                         controlled: list[str], rounds: int) -> None:
    """Up to `rounds` solves, each for a solution as cheap (within the margin) that differs in one of
    the watched cells; every controlled cell that differs gets both values as candidates."""
    for _ in range(rounds):
        if not watch:
            break
        m = prob.m
        saved = (list(m.lb), list(m.ub), list(m.integer), list(m.cost), list(m.rows))
        rows_extra = [({i: c for i, c in enumerate(m.cost) if c}, -math.inf, best_cost + AMBIGUITY_MARGIN)]
        ds = []
        for f in watch:
            v = float(cells[f].value)
            up, down = m.binary(), m.binary()
            ds += [up, down]
            xv = prob.x[f]
            big = prob.U + 1
            rows_extra.append(({xv: 1.0, up: -big}, v + 1 - big, math.inf))
            rows_extra.append(({xv: 1.0, down: big}, -math.inf, v - 1 + big))
        rows_extra.append(({d: 1.0 for d in ds}, 1, math.inf))
        objective = list(m.cost)
        alt = m.solve(rows_extra, objective=objective, time_limit=10.0)
        m.lb, m.ub, m.integer, m.cost, m.rows = saved
        if alt is None:
            break
        changed = [f for f in controlled if abs(alt.x[prob.x[f]] - float(cells[f].value)) > 0.5]
        if not any(f in watch for f in changed):
            break
        for f in changed:
            c = cells[f]
            alt_value = int(round(alt.x[prob.x[f]]))
            c.candidates = sorted({c.value, alt_value, *c.candidates})
        watch = [f for f in watch if f not in changed]


def _keep_printed_where_ambiguous(cells: dict[str, Cell]) -> None:
    """When the constraints cannot choose between candidates, the cell shows what was printed (one of
    them), never the solver's arbitrary pick among equals."""
    for c in cells.values():
        tok = c.token
        if c.candidates and tok is not None and tok.readings and c.source is not None and c.source.kind == "token":
            printed = tok.readings[0].value
            if printed in c.candidates:
                c.value = printed


def _corrections(cells: dict[str, Cell]) -> list[Correction]:
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


def _effective(c: Cell) -> int | float | None:
    return c.value if c.value is not None else c.implied


def _violations(asm: Assembled, cells: dict[str, Cell], U: float) -> list[Violation]:
    broken = broken_constraints({f: _effective(c) for f, c in cells.items()})  # the one check
    if not broken:
        return []
    explanations = _smallest_explanations(cells, U)
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


def _smallest_explanations(cells: dict[str, Cell], U: float, limit: int = 4) -> list[set[str]]:
    """The fewest printed cells whose change would make every constraint hold, and its equals.

    A total is preferred on ties (it is the cell a person computes, so the likelier typo); the other
    equally small explanations are returned after it.
    """
    m = Model()
    x, flags = {}, {}
    for f in CONSTRAINED:
        v = _effective(cells[f])
        x[f] = m.var(0, U)
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
        res = m.solve(cuts, time_limit=10.0)
        if res is None:
            break
        chosen = {f for f, b in flags.items() if res.x[b] > 0.5}
        if size is None:
            size = len(chosen)
        if len(chosen) != size or not chosen:
            break
        found.append(chosen)
        cuts.append(({flags[f]: 1.0 for f in chosen}, -math.inf, len(chosen) - 1))
    return found


def _checked(figures: list[NarrativeFigure], cells: dict[str, Cell], warnings: list[str]) -> list[NarrativeFigure]:
    """Each stated figure beside the table's value; a contradiction is a finding (and a warning)."""
    out = []
    for fig in figures:
        values = [_effective(cells[f]) for f in fig.fields]
        table = None if any(v is None for v in values) else sum(values)
        agrees = None if table is None else abs(table - fig.value) < 1e-9
        if agrees is False:
            warnings.append(f"the report's text states “{fig.phrase}” but its table gives {table:g}")
        out.append(fig.model_copy(update={"table_value": table, "agrees": agrees}))
    return out


def _unreconciled(asm: Assembled, cells: dict[str, Cell], rows: list[RowReading], warnings: list[str]) -> Outcome:
    for row in rows:
        if row.merged_rows:
            continue
        for i, f in enumerate(row.fields):
            cells[f] = _cell_from(row, fallback(len(row.tokens), len(row.fields)).cells[i], "truncated", {}, f)
    return Outcome(cells, _violations(asm, cells, 1e6), [], [], warnings, _checked(asm.narrative, cells, warnings))
