"""The one constraint check (`extraction.constraints`): the reconciler's violations and a review save's
re-check are the same function, and a cell with no value is never summed as 0."""
from __future__ import annotations

import pytest

from gongkai.extraction import fields as F
from gongkai.extraction.constraints import broken_constraints
from gongkai.models.registry import extract
from gongkai.extraction.result import CellStatus
from gongkai.service.review.labelled import apply_edits, recheck
from tests.conftest import need_shared, seed_files

ROW = "t3.row.new_received"  # new_received.total = the six applicant columns
TOTAL = "t3.new_received.total"
PARTS = [f"t3.new_received.{c}" for c in F.APPLICANT_COLUMNS]


def _consistent() -> dict[str, int]:
    """Every field 0: all 42 constraints hold."""
    return {f: 0 for f in F.ALL_FIELDS if f != "t2.fees.amount"}


def test_holding_values_break_nothing():
    assert broken_constraints(_consistent()) == []


def test_a_wrong_total_breaks_its_row_with_both_sums():
    values = _consistent() | {PARTS[0]: 3, PARTS[1]: 2, TOTAL: 4}
    broken = {b.name: b for b in broken_constraints(values)}
    assert ROW in broken
    assert (broken[ROW].lhs_value, broken[ROW].rhs_value, broken[ROW].difference) == (4, 5, -1)
    assert broken[ROW].lhs == [TOTAL] and broken[ROW].rhs == PARTS


@pytest.mark.parametrize("absent", ["none", "key"])
def test_a_cell_without_a_value_is_not_zero(absent):
    """total 5 over parts 3+2 with a third part blank: counting the blank as 0 would hold here, so the
    break is built the other way — parts 3+2+? against a total of 9 is unknown, not broken."""
    values = _consistent() | {PARTS[0]: 3, PARTS[1]: 2, TOTAL: 9}
    if absent == "none":
        values[PARTS[2]] = None
    else:
        del values[PARTS[2]]
    assert ROW not in {b.name for b in broken_constraints(values)}


def _seed_result():
    need_shared()
    return extract(seed_files()[1], labeller="rules")  # seed 001: applications in several columns


def test_a_review_save_blanking_a_cell_reports_no_break_over_it():
    """A reviewer empties a cell: the constraints over it are unknown, not broken — the service's
    re-check used to count the blank as 0 and report the report's own arithmetic error."""
    result = _seed_result()
    assert result.violations == []
    cell = next(f for f in PARTS if result.fields[f].value)  # a part with a non-zero value
    saved = apply_edits(result, {cell: None})
    assert saved.fields[cell].value is None and saved.fields[cell].status != CellStatus.number
    assert saved.violations == []


def test_a_review_save_finds_the_break_the_reconciler_finds():
    """The reconciler's violations and the review re-check name the same constraints with the same
    sums — on the pipeline's own output (nothing to re-check) and after a verified wrong value."""
    result = _seed_result()
    assert [v.constraint for v in recheck(result)] == [v.constraint for v in result.violations] == []
    value = result.fields[TOTAL].value
    saved = apply_edits(result, {TOTAL: value + 1})
    expected = {b.name: (b.lhs_value, b.rhs_value) for b in broken_constraints(
        {f: c.value if c.value is not None else c.implied for f, c in saved.fields.items()})}
    assert ROW in expected
    assert {v.constraint: (v.lhs_value, v.rhs_value) for v in saved.violations} == expected
    assert saved.violations[0].kind.value == "source_error"  # every cell verified or printed by the source


def test_the_reconciler_reports_exactly_the_broken_constraints():
    """On the seeds, the pipeline's violations are exactly what the one check finds on its values."""
    need_shared()
    for path in seed_files()[:3]:
        text = path.read_text(encoding="utf-8")
        result = extract(text.encode("utf-8"), path.name, labeller="rules")
        values = {f: c.value if c.value is not None else c.implied for f, c in result.fields.items()}
        assert [v.constraint for v in result.violations] == [b.name for b in broken_constraints(values)]
