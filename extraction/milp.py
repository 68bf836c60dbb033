"""A thin builder over scipy's HiGHS MILP: named variables, sparse rows, one solve call.

The reconciler states its model in terms of cells, alignments and constraints; this keeps the
index bookkeeping of `scipy.optimize.milp` out of that code.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import LinearConstraint, milp
from scipy.sparse import coo_matrix


@dataclass
class Model:
    lb: list[float] = field(default_factory=list)
    ub: list[float] = field(default_factory=list)
    integer: list[int] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    rows: list[tuple[dict[int, float], float, float]] = field(default_factory=list)

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
              time_limit: float = 20.0):
        rows = list(self.rows) + list(extra_rows)
        n = len(self.lb)
        cost = np.array(objective if objective is not None else self.cost, dtype=float)
        kwargs = {}
        if rows:
            r, c, v = [], [], []
            for i, (coefs, _, _) in enumerate(rows):
                for j, a in coefs.items():
                    r.append(i)
                    c.append(j)
                    v.append(a)
            A = coo_matrix((v, (r, c)), shape=(len(rows), n)).tocsr()
            kwargs["constraints"] = LinearConstraint(A, [lo for _, lo, _ in rows], [hi for _, _, hi in rows])
        from scipy.optimize import Bounds

        res = milp(cost, integrality=np.array(self.integer), bounds=Bounds(self.lb, self.ub),
                   options={"time_limit": time_limit, "mip_rel_gap": 0.0, "presolve": True}, **kwargs)
        return res if res.x is not None else None
