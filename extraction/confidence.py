"""Cell and document confidence from reading certainty and constraint support.

Uncalibrated scores with a fixed, explainable shape; `eval/` fits a calibrator on top of them.
A cell is trusted more when a satisfied 勾稽 constraint cross-checks it and less when it was
recovered, re-aligned or left ambiguous.
"""
from __future__ import annotations

from extraction import fields as F
from extraction.reconcile import Cell, Outcome
from extraction.result import ViolationKind

DIGITAL_READING = 0.995
_MEMBERSHIP: dict[str, list[tuple[str, list[str]]]] = {}
for _name, _lhs, _rhs in F.CONSTRAINTS:
    for _f in (*_lhs, *_rhs):
        _MEMBERSHIP.setdefault(_f, []).append((_name, [*_lhs, *_rhs]))


def cell_confidence(cell: Cell, outcome: Outcome, broken: set[str], doubtful: set[str]) -> float:
    if cell.candidates:
        return 0.3
    if cell.value is None:
        return 0.9 if cell.implied is not None else 0.0
    reading = DIGITAL_READING if cell.certain else max(min(cell.prob, 0.999), 0.05)
    if cell.how not in ("exact",):
        reading *= 0.9
    if cell.source is not None and cell.source.kind == "free":
        reading = 0.9
    if cell.field in doubtful:
        return min(reading, 0.4)
    checks = [name for name, _ in _MEMBERSHIP.get(cell.field, []) if name not in broken]
    if cell.field in _MEMBERSHIP and not checks:
        return reading * 0.8
    if checks:
        return 1.0 - (1.0 - reading) * 0.15
    return reading


def score(outcome: Outcome) -> tuple[dict[str, float], float]:
    # a source error is a finding about the report, not doubt about our reading of it
    broken = {v.constraint for v in outcome.violations if v.kind is not ViolationKind.source_error}
    doubtful = {f for v in outcome.violations if v.kind is ViolationKind.unresolved for f in v.cells}
    per_cell = {f: cell_confidence(c, outcome, broken, doubtful) for f, c in outcome.cells.items()}
    present = [p for f, p in per_cell.items() if outcome.cells[f].value is not None or outcome.cells[f].candidates]
    document = min(present) if present else 0.0
    return per_cell, document
