"""Cell and document confidence from reading certainty and constraint support.

Raw scores with a fixed, explainable shape, ordered by the strength of the evidence (see
`cell_confidence`): a cell is trusted when it was read as printed and a holding 勾稽 constraint
cross-checks it; it is not confident when the constraints do not pin it down, when its row's token
count did not fit (dropped, collapsed, squashed, truncated alignments), when the row's alternative
alignments disagree, when it is implied, never read, ambiguous, or a blank the sums want filled,
or when the document's reading went astray elsewhere. The document's confidence is the product
over its printed rows of each row's weakest cell, so what is missing, unresolved or ambiguous
counts. `extraction/review_policy.py` turns them into `needs_review` and its reasons.

`eval/calibrate.py` fits a calibrator on top of them (isotonic breakpoints per source kind, plus the
`needs_review` threshold) and ships it as models/calibration.json; when that file exists, `score()`
returns calibrated probabilities (numpy.interp over the breakpoints) and `review_threshold()` its
threshold. Which calibrator is a setting of the pipeline (`load_calibrator`): the shipped file by
default, `off` for the raw scores, a path for another (`--calibration`, GONGKAI_CALIBRATION).
"""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

import numpy as np

from gongkai.extraction import fields as F
from gongkai.extraction.explain import effective
from gongkai.extraction.reconcile import Cell, Outcome
from gongkai.extraction.result import ViolationKind

DIGITAL_READING = 0.995
# how far a row's alignment is trusted before the constraints speak: a row whose token count fit its
# cells is read as printed; one that did not was re-cut, and the truncated fallback is a guess
ALIGNMENT_TRUST = {"exact": 1.0, "collapsed": 0.93, "split": 0.9, "joined": 0.9, "dropped": 0.88,
                   "extra": 0.88, "truncated": 0.45, "unread": 0.3}
CONTESTED = 0.85  # the row's other candidate alignments put another value in this table-2 cell
AMBIGUOUS = 0.3  # the constraints left two or more values equally likely
RECOVERED = 0.85  # a lost cell the constraints force
NEVER_READ, NEVER_READ_IMPLIED = 0.1, 0.3  # a cell no printed row gave (its table or row not found)
MERGED = 0.9  # a sub-row the report prints merged into one line (see Outcome.merged_rows)
DOUBTFUL = 0.4  # ceiling for a cell an unresolved violation names
_MEMBERSHIP: dict[str, list[tuple[str, list[str]]]] = {}
for _name, _lhs, _rhs in F.CONSTRAINTS:
    for _f in (*_lhs, *_rhs):
        _MEMBERSHIP.setdefault(_f, []).append((_name, [*_lhs, *_rhs]))


_ACROSS_ROWS = {name: len({m.rsplit(".", 1)[0] for m in (*lhs, *rhs)}) > 1 for name, lhs, rhs in F.CONSTRAINTS}


def _holding_checks(cell: Cell, outcome: Outcome, broken: set[str]) -> list[str]:
    """The constraints that actually cross-check this cell: all their cells have a value and the
    constraint holds (one with an unread cell checks nothing, nor does one whose cell never read was
    given a value by these very sums)."""
    return [name for name, members in _MEMBERSHIP.get(cell.field, [])
            if name not in broken and all(effective(outcome.cells[m]) is not None and _was_read(outcome.cells[m])
                                          for m in members)]


def _was_read(c: Cell) -> bool:
    """A printed cell (a number, or a blank the sums count as 0) — not one no printed row gave."""
    return c.token is not None or (c.source is not None and c.source.kind == "free" and c.value is not None)


def merged_fields(merged_rows) -> set[str]:
    """Fields the report prints only as part of a merged row (`Outcome.merged_rows`, the result's
    `merged_rows`): absent by the form, not by doubt."""
    return {f"t3.{row}.{col}" for mr in merged_rows for row in mr.rows for col in mr.values}


def document_score(per_cell: dict[str, float], exclude: set[str] | frozenset = frozenset()) -> float:
    """The chance that every cell is right: the product over the printed rows of each row's weakest
    cell (a row's cells stand or fall together — one alignment per row — while rows fail apart), so
    every missing, unresolved or ambiguous row counts (merged sub-rows excluded)."""
    weakest: dict[str, float] = {}
    for f, p in per_cell.items():
        if f not in exclude:
            row = f.rsplit(".", 1)[0]
            weakest[row] = min(p, weakest.get(row, 1.0))
    return math.exp(sum(math.log(max(p, 1e-4)) for p in weakest.values()))


TROUBLED = 0.05  # a document where more than 1 cell in 20 could not be read is one whose reading went astray
UNCHECKED_IN_TROUBLE = 0.6  # ceiling there for a cell no holding constraint cross-checks
CHECKED_IN_TROUBLE = 0.93  # ceiling there for one that is cross-checked (the sums can hold on wrong cells)
CHECKED_IN_DOUBT = 0.97  # ceiling in a document with any doubtful cell at all (others: UNCHECKED_IN_TROUBLE)
BLANK_FORCED = 0.3  # a cell printed blank where the sums force a non-zero number
BLANK_AMONG_ZEROS = 0.6  # a blank cell in a row that prints its other zeros as "0" (a lost digit?)


def cell_confidence(cell: Cell, outcome: Outcome, broken: set[str], doubtful: set[str],
                    merged: set[str] = frozenset(), trouble: float = 0.0, zero_rows: set[str] = frozenset(),
                    source_errors: set[str] = frozenset()) -> float:
    """Raw confidence of one cell: ordered by the strength of the evidence, calibrated afterwards.

    From strongest to weakest: a row read as printed whose value holding 勾稽 constraints cross-check;
    a cell read as printed that no constraint can check (table 2, or only the report's own broken
    sums — `source_errors`); a re-cut row (dropped, collapsed, squashed, joined) whose value the
    constraints check; the same when the row's other alignments disagree (contested); a value no
    constraint checks; a re-cut value that breaks a sum; a blank where the sums want a number; an
    ambiguous, unsettled (the search stopped at its budget), implied or never-read cell. `broken`: the violated constraints (source errors
    included); `doubtful`: cells an unresolved violation names; `zero_rows`: rows that print "0";
    `trouble`: the share of the document's cells that could not be read with confidence — when the
    reading went astray elsewhere even a well-aligned row may be misplaced, so no unverified cell
    there is confident, and in a document with any doubt at all nothing is certain."""
    if cell.unsettled:  # the reconciler's search stopped before it could rule out another value
        return AMBIGUOUS
    if cell.candidates:  # table 2: its share of the row's weight (extraction/reconcile.py `_table2`)
        return AMBIGUOUS if cell.support is None else cell.support * ALIGNMENT_TRUST.get(cell.how, 0.85)
    free = cell.source is not None and cell.source.kind == "free"
    if cell.token is None and not free:
        if cell.field in merged or cell.how == "not_printed":  # absent by the form — unless the
            return _in_document(MERGED, 1.0, False, trouble)      # document's reading went astray
        return NEVER_READ_IMPLIED if cell.implied is not None else NEVER_READ
    if free and cell.value is None:
        return 0.0
    reading = RECOVERED if free else (DIGITAL_READING if cell.certain else max(min(cell.prob, 0.999), 0.05))
    if cell.value is None and cell.implied is not None:  # printed blank or "/": the sums (not the reading)
        if cell.implied != 0:                              # fill it, so they cannot vouch for it
            return BLANK_FORCED * reading
        lost = cell.token is not None and not cell.token.raw.strip()  # a printed "-", "/", "无" is a mark
        p = reading * (BLANK_AMONG_ZEROS if lost and cell.field.rsplit(".", 1)[0] in zero_rows else 1.0)
        return _in_document(p, reading, False, trouble)
    fit = cell.how == "exact" and not free
    align = 1.0 if fit else ALIGNMENT_TRUST.get(cell.how, 0.85)
    if cell.field in doubtful:
        return min(reading * align, DOUBTFUL)
    names = [name for name, _ in _MEMBERSHIP.get(cell.field, [])]
    if any(n in broken for n in names) and (not fit or cell.contested or not cell.certain):
        return reading * align * 0.5  # a re-cut or uncertain reading that breaks a sum: no finding about the report
    holding = _holding_checks(cell, outcome, broken) if names else []
    checked = bool(holding)
    # a row's own sum holding says the row is consistent, not that it is this row: with doubt in the
    # document, a table-3 row (26 of the same shape, easily shifted) needs a sum across rows to vouch
    # for it; table 4 is one row, nothing to confuse it with
    across = any(_ACROSS_ROWS[n] for n in holding) or not cell.field.startswith("t3.")
    only_own_errors = bool(names) and fit and all(n in source_errors for n in names)
    if checked:
        if fit and not cell.contested:
            p = 1.0 - (1.0 - reading) * 0.15
        else:
            p = reading * (0.95 if cell.contested else 0.98) * (0.9 if cell.how == "truncated" else 1.0)
    elif names and not only_own_errors:
        p = reading * (0.9 if fit else 0.6 * align)
    elif cell.support is not None:  # table 2: as sure as the share of the row's plausible cuts behind it
        p = reading * align * cell.support
    else:
        p = reading * (1.0 if fit else 0.85 * align) * (CONTESTED if cell.contested else 1.0)
    # only a cell read as printed, uncontested, is vouched for by a holding sum in a doubtful document: a
    # re-cut or contested cell, or one the sums themselves filled, agrees with them by construction
    return _in_document(p, reading, checked and fit and not cell.contested and (across or not trouble), trouble)


def _in_document(p: float, reading: float, checked: bool, trouble: float) -> float:
    """The ceilings a document's own doubt puts on a cell (see `cell_confidence`)."""
    if trouble > TROUBLED:
        return min(p, CHECKED_IN_TROUBLE) if checked else min(p, UNCHECKED_IN_TROUBLE) * (1.0 - trouble)
    if trouble > 0:  # such a document is flagged anyway (a cell below 0.5): only firm cells are trusted
        return min(p, CHECKED_IN_DOUBT) if checked else min(p, UNCHECKED_IN_TROUBLE * reading)
    return p


CALIBRATION_FILE = Path(__file__).resolve().parents[1] / "models" / "calibration.json"
DEFAULT_REVIEW_THRESHOLD = 0.0  # uncalibrated, the document product has no scale: the cell checks alone decide


@lru_cache(maxsize=4)
def _read_calibrator(path: str) -> dict | None:
    p = Path(path)
    return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else None


CALIBRATION_OFF = ("off", "none", "0")


def load_calibrator(setting: str | None = "") -> dict | None:
    """The calibrator a `setting` names: empty for the shipped models/calibration.json, `off` (or
    `none`, `0`) for none (raw scores), else the path of another calibrator file."""
    setting = setting or ""
    if setting.lower() in CALIBRATION_OFF:
        return None
    return _read_calibrator(setting or str(CALIBRATION_FILE))


def _curve(table: dict | None, source_kind: str | None) -> dict | None:
    if not table:
        return None
    return table.get("by_source_kind", {}).get(source_kind or "", table.get("default"))


def apply_curve(curve: dict | None, p: float) -> float:
    """Map a raw score through isotonic breakpoints (identity without a curve)."""
    if not curve:
        return p
    return float(np.interp(p, curve["x"], curve["y"]))


AMBIGUOUS_CEILING = 0.89  # a cell with candidates is never confident, whatever its kind scores on average
# nor is one whose raw score is no better than an unchecked cell's in a troubled document: a blank where a
# lost digit may be, a re-cut value no sum checks, one that breaks a sum — the curve's average for that
# level (mostly right cells) says nothing about which of them is the wrong one
THIN_EVIDENCE = UNCHECKED_IN_TROUBLE


def calibrate(per_cell: dict[str, float], document: float, source_kind: str | None,
              calibrator: dict | None, exclude: set[str] | frozenset = frozenset(),
              ambiguous: set[str] | frozenset = frozenset()) -> tuple[dict[str, float], float]:
    """Map raw scores through the calibrator. With `document_from_cells` (version 2) the document's
    input is the product of its *calibrated* cells (`exclude`: merged sub-rows), then its own curve.
    `ambiguous`: the cells with candidates — the pooled curve may lift their level (most such cells of
    a kind are right), but a value with a rival reading is not one to trust unread, so they stay below
    the confident line, as do cells of raw score at most `THIN_EVIDENCE`."""
    if calibrator is None:
        return per_cell, document
    cc = _curve(calibrator.get("cell"), source_kind)
    dc = _curve(calibrator.get("document"), source_kind)
    if cc:
        xs = np.fromiter(per_cell.values(), float, len(per_cell))
        ys = np.interp(xs, cc["x"], cc["y"])
        per_cell = {f: (min(y, AMBIGUOUS_CEILING) if f in ambiguous or x <= THIN_EVIDENCE else y)
                    for f, x, y in zip(per_cell, xs.tolist(), ys.tolist())}
        if calibrator.get("document_from_cells"):
            document = document_score(per_cell, exclude)
    return per_cell, apply_curve(dc, document)


def review_threshold(cal: dict | None) -> float:
    """The `needs_review` threshold of calibrator `cal` (the default one without)."""
    return float(cal["review_threshold"]) if cal and "review_threshold" in cal else DEFAULT_REVIEW_THRESHOLD


def score(outcome: Outcome, source_kind: str | None, calibrator: dict | None) -> tuple[dict[str, float], float]:
    """Per-cell and document confidence (calibrated by `calibrator`, raw without one)."""
    per_cell, document = raw_score(outcome)
    kind = getattr(source_kind, "value", source_kind)
    return calibrate(per_cell, document, kind, calibrator, merged_fields(outcome.merged_rows),
                     {f for f, c in outcome.cells.items() if c.candidates})


def raw_score(outcome: Outcome) -> tuple[dict[str, float], float]:
    """Per-cell raw confidence, and the document's: the product of its cells' (the chance that all are
    right if they were independent), so every missing, unresolved or ambiguous cell counts."""
    broken = {v.constraint for v in outcome.violations}
    doubtful = {f for v in outcome.violations if v.kind is ViolationKind.unresolved for f in v.cells}
    merged = merged_fields(outcome.merged_rows)
    own = {v.constraint for v in outcome.violations if v.kind is ViolationKind.source_error}
    zero_rows = {f.rsplit(".", 1)[0] for f, c in outcome.cells.items()
                 if c.value == 0 and c.token is not None and c.token.raw.strip() == "0"}
    def one(f: str, c: Cell, trouble: float) -> float:
        return cell_confidence(c, outcome, broken, doubtful, merged, trouble, zero_rows, own)

    first = {f: one(f, c, 0.0) for f, c in outcome.cells.items()}
    trouble = sum(p < 0.5 for p in first.values()) / max(len(first), 1)
    per_cell = {f: one(f, c, trouble) for f, c in outcome.cells.items()} if trouble else first
    return per_cell, document_score(per_cell, merged)
