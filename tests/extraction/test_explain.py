"""What the reconciler shows of its answer (extraction/explain.py), on cells built here.

No solver decision is involved: the cells are set as if the solver had settled them, and each test
states what the user must then see — which readings count as corrections, which broken sum names
which cells, when a break is the report's own error, what a cell displays when the sums could not
choose, and how a figure the prose states is set beside the table.
"""
from __future__ import annotations

from gongkai.extraction import explain
from gongkai.extraction import template as T
from gongkai.extraction.align import CellSource
from gongkai.extraction.assemble import Reading, Token
from gongkai.extraction.constraints import broken_constraints
from gongkai.extraction.reconcile import Cell
from gongkai.extraction.result import CellStatus, NarrativeFigure, Provenance, ViolationKind

U = 1000.0  # bound on every cell in the explanation model; far above the counts used here
GRANTED = T.t3_row_fields("granted")  # natural_person … other_org, total


def token(value: int, *alternatives: int, certain: bool = True) -> Token:
    readings = [Reading(value=value, prob=0.9 if alternatives else 1.0)]
    readings += [Reading(value=v, prob=0.1 / len(alternatives)) for v in alternatives]
    return Token(raw=str(value), status=CellStatus.number, readings=readings, certain=certain and not alternatives,
                 provenance=Provenance(page=1, line=0))


def read(f: str, value: int, **kw) -> Cell:
    """A cell read as printed from one token."""
    return Cell(f, token(value), CellSource("token", 0), value=value, status=CellStatus.number, **kw)


def consistent() -> dict[str, Cell]:
    """Every cell printed 0, except 3 natural persons asked, granted and so closed: every sum holds."""
    cells = {f: read(f, 0) for f in T.ALL_FIELDS}
    for row in ("new_received", "granted", "total"):
        for col in ("natural_person", "total"):
            cells[f"t3.{row}.{col}"] = read(f"t3.{row}.{col}", 3)
    assert broken_constraints({f: explain.effective(c) for f, c in cells.items()}) == []
    return cells


def test_consistent_cells_have_nothing_to_explain():
    cells = consistent()
    assert explain.violations(cells, U) == []
    assert explain.corrections(cells) == []


def test_one_misprinted_cell_is_the_smallest_explanation_of_both_sums_it_breaks():
    cells = consistent()
    cells["t3.granted.natural_person"] = read("t3.granted.natural_person", 4)  # row total and column say 3
    assert explain.smallest_explanations(cells, U) == [{"t3.granted.natural_person"}]
    found = {v.constraint: (v.kind, v.cells, v.difference) for v in explain.violations(cells, U)}
    assert found == {  # read with certainty from a digital source: the report's own error, kept
        "t3.row.granted": (ViolationKind.source_error, ["t3.granted.natural_person"], -1.0),
        "t3.col.natural_person": (ViolationKind.source_error, ["t3.granted.natural_person"], -1.0),
    }
    assert cells["t3.granted.natural_person"].value == 4  # explaining never fixes the printed value


def test_a_break_explained_by_an_uncertain_cell_is_unresolved():
    cells = consistent()
    cells["t3.granted.natural_person"] = read("t3.granted.natural_person", 4, certain=False)
    assert {v.kind for v in explain.violations(cells, U)} == {ViolationKind.unresolved}


def test_a_total_is_preferred_among_equally_small_explanations_and_the_other_is_listed():
    # review cases printed 1 upheld but a total of 0: the total or the upheld cell alone mends the sum
    # (no other cell can: counts are not negative); the total is the cell a person computes, the likelier typo
    cells = consistent()
    cells["t4.review.upheld"] = read("t4.review.upheld", 1)
    assert explain.smallest_explanations(cells, U) == [{"t4.review.total"}, {"t4.review.upheld"}]
    [violation] = explain.violations(cells, U)
    assert (violation.constraint, violation.cells, violation.alternatives) == (
        "t4.review", ["t4.review.total"], [["t4.review.upheld"]])


def test_a_sum_over_a_cell_without_a_value_is_not_checked_but_an_implied_value_is():
    cells = consistent()
    cells["t3.granted.commercial"] = Cell("t3.granted.commercial", None, CellSource("free"), value=None,
                                          status=CellStatus.slash)
    cells["t3.granted.total"] = read("t3.granted.total", 4)  # would break the row if "/" counted as 0 …
    assert [v.constraint for v in explain.violations(cells, U)] == ["t3.col.total"]  # … it is skipped
    cells["t3.granted.commercial"].implied = 0  # the sums force 0 on the "/": now the row is checked too
    assert [v.constraint for v in explain.violations(cells, U)] == ["t3.row.granted", "t3.col.total"]


def test_corrections_list_each_replaced_reading_with_why():
    cells = consistent()
    lost = "t3.new_received.commercial"
    cells[lost] = Cell(lost, None, CellSource("free"), "dropped", value=0, status=CellStatus.number)
    squashed = "t3.granted.natural_person"
    cells[squashed] = Cell(squashed, Token(raw="30000003", status=CellStatus.number,
                                           readings=[Reading(value=30000003, prob=1.0)], provenance=Provenance()),
                           CellSource("const", 0, 3, (0,)), "split", value=3, status=CellStatus.number)
    misread = "t3.total.natural_person"
    cells[misread] = Cell(misread, token(8, 3), CellSource("token", 0), value=3, status=CellStatus.number)
    out = {c.field: (c.before, c.after, c.reason) for c in explain.corrections(cells)}
    assert out == {
        lost: ("", 0, "cell lost in reading; its value is forced by the 勾稽关系"),
        squashed: ("30000003", 3, "squashed cells split"),
        misread: ("8", 3, "an alternative reading satisfies the 勾稽关系"),
    }
    assert cells[misread].corrected is not None and cells[misread].corrected.constraints == [
        "t3.row.total", "t3.col.natural_person", "t3.balance.natural_person"]  # the sums it is in


def test_an_ambiguous_table3_cell_is_no_correction_and_shows_what_was_printed():
    cells = consistent()
    f = "t3.granted.natural_person"
    cells[f] = Cell(f, token(1, 7), CellSource("token", 0), value=7, status=CellStatus.number, candidates=[1, 7])
    explain.keep_printed_where_ambiguous(cells)
    assert cells[f].value == 1  # the printed reading, not the solver's pick among equals
    assert explain.corrections(cells) == []


def test_a_stated_figure_is_set_beside_the_table_and_a_contradiction_warns():
    cells = consistent()
    agrees = NarrativeFigure(key="granted", fields=["t3.granted.total"], value=3, phrase="予以公开3件")
    contradicts = NarrativeFigure(key="new_received", fields=["t3.new_received.total"], value=5, phrase="收到申请5件")
    unknown = NarrativeFigure(key="review", fields=["t4.review.total"], value=1, phrase="复议1件")
    cells["t4.review.total"] = Cell("t4.review.total")  # not read
    warnings: list[str] = []
    out = explain.checked_narrative([agrees, contradicts, unknown], cells, warnings)
    assert [(f.table_value, f.agrees) for f in out] == [(3, True), (3, False), (None, None)]
    assert warnings == ["the report's text states “收到申请5件” but its table gives 3"]
