"""What the reconciler decides: the MILP over the readings of tables 3 and 4, and what its solution says.

Kept apart from `extraction.explain` because deciding and explaining change for different reasons:
this module holds the likelihood model (costs of alignments, OCR alternatives, violated constraints
and contradicting prose), solves it with HiGHS through `extraction.milp`, and reads the answer back —
which reading and alignment each row gets, which cells the satisfied constraints pin, and which cells
an almost equally likely solution would change (ambiguity). It never decides how a finding is shown.

Model: one integer per table-3/4 cell; one binary per candidate alignment of a row whose token count
is off, and per OCR alternative of a token; one binary per constraint that may be declared violated,
at a high cost. Minimising the total cost gives the maximum-likelihood reading.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from gongkai.extraction import template as T
from gongkai.extraction.align import Alignment, CellSource, unread
from gongkai.extraction.assemble import RowReading, Token
from gongkai.extraction.constraints import CONSTRAINED
from gongkai.extraction.milp import Model
from gongkai.extraction.result import CellStatus, MergedRow, NarrativeFigure
from gongkai.extraction.row_alignments import CONSTRAINTS, MAX_COUNT, row_alignments

if TYPE_CHECKING:  # the cells are the reconciler's (extraction.reconcile); only their fields are used here
    from gongkai.extraction.reconcile import Cell

__all__ = ["Problem", "solve", "pick", "source_reading", "pin_unknowns", "offer_unread_readings",
           "find_ambiguity", "violated_constraints", "COST_VIOLATION", "COST_NARRATIVE", "AMBIGUITY_MARGIN"]

COST_VIOLATION = 25.0
COST_NARRATIVE = 3.0  # nats: the prose contradicting a reading (`extraction.narrative`)
AMBIGUITY_MARGIN = 1.5  # nats: a solution this close to the best is a real alternative (~4.5x likelihood)
# The search budget, in branch-and-bound nodes (the same answer on any machine, under any load; the
# seconds are only a backstop). Over the benchmark's 300 text documents every optimal reading was
# proved at the root node and every alternative search within 1 node; a few collapsed or squashed
# documents whose alignments the LP bound cannot separate take thousands of nodes (≈ 1–7 ms each)
# for a few hundredths of a nat. There the search stops, and what it could not settle is uncertain
# (`Cell.unsettled`) — the document goes to review instead of taking a minute.
SEARCH_NODES = 500
ALTERNATIVE_NODES = 200
SEARCH_SECONDS = 10.0
ALTERNATIVE_SECONDS = 5.0


def source_reading(row: RowReading, src: CellSource, choice: int = 0) -> tuple[Token | None, int | float | None]:
    """The token a cell source points at and the value it gives: none for a free cell, the cut or joined
    value for a const, else the token's chosen reading (None for a token without one)."""
    if src.kind == "free":
        return None, None
    tok = row.tokens[src.token]
    if src.kind == "const":
        return tok, src.value
    return tok, (tok.readings[choice].value if tok.readings else None)


class Problem:
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


def solve(rows: list[RowReading], narrative: list[NarrativeFigure] = ()):
    """The problem and its optimal solution, or None when the solver ran out of time."""
    prob = Problem(rows, narrative)
    res = prob.m.solve(node_limit=SEARCH_NODES, time_limit=SEARCH_SECONDS)
    if res is None:
        # readings that contradict each other: the same model with every row allowed to be unread is
        # always feasible. It is a fallback, not the default: its big-M rows make a normal document's
        # solve ~100x slower.
        prob = Problem(rows, narrative, allow_unread=True)
        res = prob.m.solve(node_limit=SEARCH_NODES, time_limit=SEARCH_SECONDS)
    if res is None:  # only a time-out lands here
        return None
    return prob, res


def _chosen(res_x, vars_: list[int]) -> int:
    return max(range(len(vars_)), key=lambda i: res_x[vars_[i]])


def pick(prob: Problem, res) -> tuple[dict[tuple[int, int], int], list[Alignment]]:
    """The solution read back: the reading chosen for each (row, token) with alternatives, and the
    alignment chosen for each row."""
    reading_choice = {k: _chosen(res.x, ys) for k, ys in prob.y.items()}
    chosen_align = [prob.aligns[r][_chosen(res.x, prob.z[r])] if prob.z[r] else prob.aligns[r][0]
                    for r in range(len(prob.rows))]
    return reading_choice, chosen_align


def violated_constraints(prob: Problem, res) -> set[str]:
    """The constraints the solution declares violated (their cells are then not pinned by them)."""
    return {name for name, e in prob.e.items() if res.x[e] > 0.5}


def pin_unknowns(prob: Problem, cells: dict[str, Cell], known: dict, merged: list[MergedRow],
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
    lp = Model()
    for _ in unknown:
        lp.var(0, prob.U, integer=False)
    for row, rhs in zip(A, b):
        lp.eq(dict(enumerate(row)), rhs)
    for f, i in index.items():
        if not any(A[k][i] for k in range(len(A))):
            continue
        span = lp.bounds_of(i)
        if span is None:
            continue
        vmin, vmax = math.ceil(span[0] - 1e-6), math.floor(span[1] + 1e-6)
        if vmin == vmax:
            cell = cells[f]
            cell.implied = int(vmin)
            if cell.source is not None and cell.source.kind == "free":
                cell.value = int(vmin)  # a printed cell the reading lost, recovered


def offer_unread_readings(prob: Problem, rows: list[RowReading], chosen: list[Alignment],
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
            read_token, read_value = source_reading(row, printed.cells[i])
            c.token = c.token or read_token
            options = {v for v in (c.value, c.implied, read_value) if v is not None}
            if len(options) > 1 or c.value is None:
                c.candidates = sorted(options)


def find_ambiguity(prob: Problem, res, best_cost: float, cells: dict[str, Cell], rows: list[RowReading],
               chosen: list[Alignment]) -> None:
    """Look for an (almost) equally likely solution that differs in a cell the choices control. When
    the solve itself stopped at its budget (`res.optimal` False) no such search can be trusted
    either: every cell the choices control is unsettled."""
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
    if not res.optimal:
        for f in watch:
            cells[f].unsettled = True
        return
    changed_first = [f for f in watch if cells[f].token is not None and cells[f].token.readings
                     and cells[f].value != cells[f].token.readings[0].value]
    _search_alternatives(prob, best_cost, cells, changed_first, watch, rounds=2)
    _search_alternatives(prob, best_cost, cells, [f for f in watch if not cells[f].candidates], watch, rounds=4)


def _search_alternatives(prob: Problem, best_cost: float, cells: dict[str, Cell], watch: list[str],
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
        alt = m.solve(rows_extra, objective=objective, node_limit=ALTERNATIVE_NODES, time_limit=ALTERNATIVE_SECONDS)
        m.lb, m.ub, m.integer, m.cost, m.rows = saved
        if alt is None:
            if m.stopped:  # none found within the budget, none ruled out: the watched cells are not settled
                for f in watch:
                    cells[f].unsettled = True
            break
        changed = [f for f in controlled if abs(alt.x[prob.x[f]] - float(cells[f].value)) > 0.5]
        if not any(f in watch for f in changed):
            break
        for f in changed:
            c = cells[f]
            alt_value = int(round(alt.x[prob.x[f]]))
            c.candidates = sorted({c.value, alt_value, *c.candidates})
        watch = [f for f in watch if f not in changed]
