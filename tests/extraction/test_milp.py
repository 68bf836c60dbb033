"""The HiGHS builder (`extraction.milp`): answers of small models worked out by hand, and the
solver loaded without `scipy.optimize` (the start-up cost issue 18 removed)."""
import subprocess
import sys

import pytest

from gongkai.extraction.milp import Model


def test_an_integer_model_takes_its_cheapest_feasible_point():
    m = Model()
    x = m.var(0, 10, integer=True, cost=-1.0)   # maximise x + y ...
    y = m.var(0, 10, integer=True, cost=-1.0)
    m.add({x: 2, y: 2}, -1e30, 7)               # ... with 2x + 2y <= 7: x + y = 3 at best (3.5 relaxed)
    m.eq({x: 1, y: -1}, 1)                       # x = y + 1
    sol = m.solve()
    assert sol is not None
    assert (round(sol.x[x]), round(sol.x[y])) == (2, 1)
    assert sol.fun == pytest.approx(-3.0)


def test_an_infeasible_model_has_no_answer():
    m = Model()
    x = m.binary()
    m.eq({x: 1}, 2)
    assert m.solve() is None


def test_extra_rows_and_objective_apply_to_one_solve_only():
    m = Model()
    x = m.var(0, 5, integer=True, cost=1.0)
    assert round(m.solve().x[x]) == 0
    assert round(m.solve([({x: 1}, 3, 5)]).x[x]) == 3
    assert round(m.solve(objective=[-1.0]).x[x]) == 5
    assert round(m.solve().x[x]) == 0


def test_bounds_of_a_variable_over_the_relaxed_feasible_set():
    m = Model()
    a = m.var(0, 100, integer=False)
    b = m.var(0, 100, integer=False)
    m.eq({a: 1, b: 1}, 30)      # a + b = 30
    m.add({a: 1}, 12, 1e30)     # a >= 12
    assert m.bounds_of(a) == pytest.approx((12.0, 30.0))
    assert m.bounds_of(b) == pytest.approx((0.0, 18.0))
    m.eq({b: 1}, 40)             # b = 40 contradicts a + b = 30 with a >= 12
    assert m.bounds_of(a) is None


def test_the_pipeline_imports_without_scipy_optimize():
    code = ("import sys, gongkai.extraction.pipeline, gongkai.extraction.milp as m; m.highs_core(); "
            "print(sorted(k for k in ('scipy.optimize', 'scipy.linalg', 'scipy.sparse') if k in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
