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
import math
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from extraction import fields as F
from extraction.reconcile import Cell, Outcome
from extraction.result import ViolationKind

DIGITAL_READING = 0.995
# how far a row's alignment is trusted before the constraints speak: a row whose token count fit its
# cells is read as printed; one that did not was re-cut, and the truncated fallback is a guess
ALIGNMENT_TRUST = {"exact": 1.0, "collapsed": 0.93, "split": 0.9, "joined": 0.9, "dropped": 0.88,
                   "extra": 0.88, "truncated": 0.45}
CONTESTED = 0.85  # the row's other candidate alignments put another value in this cell
AMBIGUOUS = 0.3  # the constraints left two or more values equally likely
RECOVERED = 0.85  # a lost cell the constraints force
NEVER_READ, NEVER_READ_IMPLIED = 0.1, 0.3  # a cell no printed row gave (its table or row not found)
MERGED = 0.9  # a sub-row the report prints merged into one line (see Outcome.merged_rows)
DOUBTFUL = 0.4  # ceiling for a cell an unresolved violation names
_MEMBERSHIP: dict[str, list[tuple[str, list[str]]]] = {}
for _name, _lhs, _rhs in F.CONSTRAINTS:
    for _f in (*_lhs, *_rhs):
        _MEMBERSHIP.setdefault(_f, []).append((_name, [*_lhs, *_rhs]))


def _effective(c: Cell):
    return c.value if c.value is not None else c.implied


def _holding_checks(cell: Cell, outcome: Outcome, broken: set[str]) -> list[str]:
    """The constraints that actually cross-check this cell: all their cells have a value and the
    constraint holds (one with an unread cell checks nothing)."""
    return [name for name, members in _MEMBERSHIP.get(cell.field, [])
            if name not in broken and all(_effective(outcome.cells[m]) is not None for m in members)]


def merged_fields(outcome: Outcome) -> set[str]:
    """Fields the report prints only as part of a merged row: absent by the form, not by doubt."""
    return {f"t3.{row}.{col}" for mr in outcome.merged_rows for row in mr.rows for col in mr.values}


def cell_confidence(cell: Cell, outcome: Outcome, broken: set[str], doubtful: set[str],
                    merged: set[str] = frozenset(), trouble: float = 0.0) -> float:
    """Raw confidence of one cell (monotone in how likely it is right; calibrated afterwards).

    `broken`: constraints violated (source errors included); `doubtful`: cells an unresolved violation
    names; `trouble`: the share of the document's cells that could not be read with confidence — a
    reading that went astray elsewhere makes even well-aligned rows less certain."""
    if cell.candidates:
        return AMBIGUOUS
    free = cell.source is not None and cell.source.kind == "free"
    if cell.token is None and not free:
        if cell.field in merged:
            return MERGED
        return NEVER_READ_IMPLIED if cell.implied is not None else NEVER_READ
    if free:
        if cell.value is None:
            return 0.0
        reading = RECOVERED
    else:
        reading = DIGITAL_READING if cell.certain else max(min(cell.prob, 0.999), 0.05)
    reading *= ALIGNMENT_TRUST.get(cell.how, 0.85)
    if cell.contested:
        reading *= CONTESTED
    reading *= 1.0 - 0.5 * trouble
    if cell.field in doubtful:
        return min(reading, DOUBTFUL)
    names = [name for name, _ in _MEMBERSHIP.get(cell.field, [])]
    if any(n in broken for n in names) and (cell.how != "exact" or cell.contested or not cell.certain):
        return reading * 0.5  # a re-cut or uncertain reading that breaks a sum is no finding about the report
    checks = _holding_checks(cell, outcome, broken)
    if cell.field in _MEMBERSHIP and not checks:
        return reading * 0.8
    if checks:
        return 1.0 - (1.0 - reading) * (0.5 if cell.contested or cell.how == "truncated" else 0.15)
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
    """Per-cell raw confidence, and the document's: the product of its cells' (the chance that all are
    right if they were independent), so every missing, unresolved or ambiguous cell counts."""
    broken = {v.constraint for v in outcome.violations}
    doubtful = {f for v in outcome.violations if v.kind is ViolationKind.unresolved for f in v.cells}
    merged = merged_fields(outcome)
    first = {f: cell_confidence(c, outcome, broken, doubtful, merged) for f, c in outcome.cells.items()}
    trouble = sum(p < 0.5 for p in first.values()) / max(len(first), 1)
    per_cell = {f: cell_confidence(c, outcome, broken, doubtful, merged, trouble) if trouble else first[f]
                for f, c in outcome.cells.items()}
    log_p = sum(math.log(max(p, 1e-4)) for f, p in per_cell.items() if f not in merged)
    return per_cell, math.exp(log_p)
