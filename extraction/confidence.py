"""Cell and document confidence from reading certainty and constraint support.

Raw scores with a fixed, explainable shape: a cell is trusted more when a satisfied 勾稽
constraint cross-checks it and less when it was recovered, re-aligned or left ambiguous.

`eval/calibrate.py` fits a calibrator on top of them (isotonic breakpoints per source kind, plus the
`needs_review` threshold) and ships it as models/calibration.json; when that file exists, `score()`
returns calibrated probabilities (numpy.interp over the breakpoints) and `review_threshold()` its
threshold. `GONGKAI_CALIBRATION=off` gives the raw scores, `=PATH` another calibrator.
"""
from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

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


CALIBRATION_FILE = Path(__file__).resolve().parents[1] / "models" / "calibration.json"
DEFAULT_REVIEW_THRESHOLD = 0.8  # on raw document confidence, when no calibrator is shipped


@lru_cache(maxsize=4)
def _read_calibrator(path: str) -> dict | None:
    p = Path(path)
    return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else None


def load_calibrator() -> dict | None:
    """The calibrator in force: $GONGKAI_CALIBRATION (a path, or `off`), else models/calibration.json."""
    env = os.environ.get("GONGKAI_CALIBRATION", "")
    if env.lower() in ("off", "none", "0"):
        return None
    return _read_calibrator(env or str(CALIBRATION_FILE))


def _curve(table: dict | None, source_kind: str | None) -> dict | None:
    if not table:
        return None
    return table.get("by_source_kind", {}).get(source_kind or "", table.get("default"))


def apply_curve(curve: dict | None, p: float) -> float:
    """Map a raw score through isotonic breakpoints (identity without a curve)."""
    if not curve:
        return p
    return float(np.interp(p, curve["x"], curve["y"]))


def calibrate(per_cell: dict[str, float], document: float, source_kind: str | None,
              calibrator: dict | None) -> tuple[dict[str, float], float]:
    if calibrator is None:
        return per_cell, document
    cc = _curve(calibrator.get("cell"), source_kind)
    dc = _curve(calibrator.get("document"), source_kind)
    if cc:
        xs = np.fromiter(per_cell.values(), float, len(per_cell))
        ys = np.interp(xs, cc["x"], cc["y"])
        per_cell = dict(zip(per_cell, ys.tolist()))
    return per_cell, apply_curve(dc, document)


def review_threshold() -> float:
    cal = load_calibrator()
    return float(cal["review_threshold"]) if cal and "review_threshold" in cal else DEFAULT_REVIEW_THRESHOLD


def score(outcome: Outcome, source_kind: str | None = None) -> tuple[dict[str, float], float]:
    """Per-cell and document confidence (calibrated when a calibrator is in force)."""
    per_cell, document = raw_score(outcome)
    kind = getattr(source_kind, "value", source_kind)
    return calibrate(per_cell, document, kind, load_calibrator())


def raw_score(outcome: Outcome) -> tuple[dict[str, float], float]:
    # a source error is a finding about the report, not doubt about our reading of it
    broken = {v.constraint for v in outcome.violations if v.kind is not ViolationKind.source_error}
    doubtful = {f for v in outcome.violations if v.kind is ViolationKind.unresolved for f in v.cells}
    per_cell = {f: cell_confidence(c, outcome, broken, doubtful) for f, c in outcome.cells.items()}
    present = [p for f, p in per_cell.items() if outcome.cells[f].value is not None or outcome.cells[f].candidates]
    document = min(present) if present else 0.0
    return per_cell, document
