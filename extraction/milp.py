"""A thin builder over HiGHS: named variables, sparse rows, one solve call.

The reconciler states its model in terms of cells, alignments and constraints; this keeps the
index bookkeeping of the solver out of that code.

The solver is the HiGHS that scipy ships (`scipy.optimize._highspy._core`), driven the way
`scipy.optimize.milp` drives it — same model, same options, same acceptance of the answer — but
loaded without importing `scipy.optimize`, whose package import (linalg, sparse, the array-API
layer: ≈ 0.4 s) was most of a text extraction's start-up. Where that extension cannot be loaded on
its own (another scipy layout) it is imported the ordinary way; the solve is the same either way.
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = ["Model", "Solution", "highs_core"]

_CORE = "scipy.optimize._highspy._core"


@lru_cache(maxsize=1)
def highs_core():
    """scipy's HiGHS extension module, loaded once per process (see the module doc)."""
    if _CORE in sys.modules:
        return sys.modules[_CORE]
    spec = importlib.util.find_spec("scipy")
    if spec is not None and spec.submodule_search_locations:
        folder = Path(next(iter(spec.submodule_search_locations))) / "optimize" / "_highspy"
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = folder / f"_core{suffix}"
            if path.is_file():
                try:
                    loader = importlib.machinery.ExtensionFileLoader(_CORE, str(path))
                    core_spec = importlib.util.spec_from_file_location(_CORE, str(path), loader=loader)
                    module = importlib.util.module_from_spec(core_spec)
                    loader.exec_module(module)
                    return module
                except ImportError:
                    break
    import scipy.optimize._highspy._core as core  # noqa: PLC0415 - the ordinary, slower import

    return core


@dataclass(frozen=True)
class Solution:
    """A solve's answer: the variable values, the objective, whether HiGHS proved it optimal (False:
    the best point found when the search budget ran out) and the branch-and-bound nodes it took."""

    x: np.ndarray
    fun: float
    optimal: bool = True
    nodes: int = 0


@dataclass
class Model:
    lb: list[float] = field(default_factory=list)
    ub: list[float] = field(default_factory=list)
    integer: list[int] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    rows: list[tuple[dict[int, float], float, float]] = field(default_factory=list)
    # whether the last `solve` stopped at its budget (nodes or time) rather than proving its answer
    # optimal or the model infeasible: a None answer then means "none found", not "none exists"
    stopped: bool = field(default=False, compare=False)

    def var(self, lb: float = 0.0, ub: float = 1.0, integer: bool = True, cost: float = 0.0) -> int:
        self.lb.append(lb)
        self.ub.append(ub)
        self.integer.append(1 if integer else 0)
        self.cost.append(cost)
        return len(self.lb) - 1

    def binary(self, cost: float = 0.0) -> int:
        return self.var(0, 1, True, cost)

    def add(self, coefs: dict[int, float], lo: float, hi: float) -> None:
        coefs = {k: v for k, v in coefs.items() if v != 0}
        self.rows.append((coefs, lo, hi))

    def eq(self, coefs: dict[int, float], rhs: float) -> None:
        self.add(coefs, rhs, rhs)

    def solve(self, extra_rows: list[tuple[dict[int, float], float, float]] = (), objective=None,
              time_limit: float = 20.0, node_limit: int | None = None) -> Solution | None:
        """Minimise `objective` (default: the variables' costs) subject to the rows and `extra_rows`;
        None when HiGHS finds no feasible point (or none within its budget). The budget is
        `node_limit` branch-and-bound nodes — a bound that gives the same answer on any machine and
        under any load — with `time_limit` seconds as the backstop. A MILP stopped by its budget with
        a feasible point answers with that point (`optimal` False), as `scipy.optimize.milp` does."""
        h = highs_core()
        rows = list(self.rows) + list(extra_rows)
        n = len(self.lb)
        cost = np.array(objective if objective is not None else self.cost, dtype=float)
        start, index, value = _column_wise(rows, n)

        lp = h.HighsLp()
        lp.num_col_ = n
        lp.num_row_ = len(rows)
        lp.a_matrix_.num_col_ = n
        lp.a_matrix_.num_row_ = len(rows)
        lp.a_matrix_.format_ = h.MatrixFormat.kColwise
        lp.col_cost_ = cost
        lp.col_lower_ = np.array(self.lb, dtype=float)
        lp.col_upper_ = np.array(self.ub, dtype=float)
        lp.row_lower_ = np.array([lo for _, lo, _ in rows], dtype=float)
        lp.row_upper_ = np.array([hi for _, _, hi in rows], dtype=float)
        lp.a_matrix_.start_ = start
        lp.a_matrix_.index_ = index
        lp.a_matrix_.value_ = value
        is_mip = any(self.integer)
        if is_mip:
            lp.integrality_ = [h.HighsVarType(i) for i in self.integer]

        self.stopped = False
        highs = h._Highs()
        options = h.HighsOptions()
        options.log_to_console = False
        options.time_limit = float(time_limit)
        options.mip_rel_gap = 0.0
        options.presolve = "on"
        if node_limit is not None:
            options.mip_max_nodes = int(node_limit)
        if highs.passOptions(options) == h.HighsStatus.kError or highs.passModel(lp) == h.HighsStatus.kError:
            return None
        if highs.run() == h.HighsStatus.kError:
            return None
        status = highs.getModelStatus()
        info = highs.getInfo()
        if status != h.HighsModelStatus.kOptimal:
            self.stopped = status in (h.HighsModelStatus.kTimeLimit, h.HighsModelStatus.kIterationLimit,
                                      h.HighsModelStatus.kSolutionLimit)  # kSolutionLimit: the node limit
            if not (is_mip and self.stopped and info.objective_function_value != h.kHighsInf):
                return None
        return Solution(np.array(highs.getSolution().col_value), info.objective_function_value,
                        optimal=status == h.HighsModelStatus.kOptimal, nodes=int(info.mip_node_count))

    def bounds_of(self, var: int, time_limit: float = 20.0) -> tuple[float, float] | None:
        """The least and greatest value `var` takes over the model's feasible points (its integrality
        relaxed), or None when the model is infeasible."""
        relaxed = Model(self.lb, self.ub, [0] * len(self.lb), [0.0] * len(self.lb), self.rows)
        objective = [0.0] * len(self.lb)
        objective[var] = 1.0
        lo = relaxed.solve(objective=objective, time_limit=time_limit)
        objective[var] = -1.0
        hi = relaxed.solve(objective=objective, time_limit=time_limit)
        if lo is None or hi is None:
            return None
        return lo.fun, -hi.fun


def _column_wise(rows: list[tuple[dict[int, float], float, float]], n: int):
    """The constraint matrix in HiGHS' column-wise (CSC) arrays, row indices ascending per column."""
    columns: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    for i, (coefs, _, _) in enumerate(rows):
        for j, a in coefs.items():
            columns[j].append((i, a))
    start = [0]
    index: list[int] = []
    value: list[float] = []
    for col in columns:
        for i, a in col:  # rows were visited in ascending order
            index.append(i)
            value.append(a)
        start.append(len(index))
    return (np.array(start, dtype=np.int32), np.array(index, dtype=np.int32),
            np.array(value, dtype=float))

