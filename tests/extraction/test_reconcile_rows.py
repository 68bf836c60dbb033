"""The reconciler on hand-built rows: no labeller, no shared file, only what it is given.

Each test states one promise of `extraction.reconcile.reconcile` on an `Assembled` built here:
readings that satisfy the 勾稽关系 pass as read, a digital misprint is a source error kept as printed,
and contradictory or empty readings still end in an answer (doubtful cells with candidates), never
in "no solution".
"""
from __future__ import annotations

from gongkai.extraction import fields as F
from gongkai.extraction import template as T
from gongkai.extraction.assemble import Assembled, Reading, RowReading, Token
from gongkai.extraction.document import SourceKind
from gongkai.extraction.reconcile import reconcile
from gongkai.extraction.result import CellStatus, Provenance, ViolationKind

PROV = Provenance(page=1, line=0)


def tok(value: int | None, *alternatives: tuple[int, float], certain: bool = True) -> Token:
    if value is None:
        return Token(raw="", status=CellStatus.blank, provenance=PROV)
    readings = [Reading(value=value, prob=1.0 - sum(p for _, p in alternatives))]
    readings += [Reading(value=v, prob=p) for v, p in alternatives]
    return Token(raw=str(value), status=CellStatus.number, readings=readings,
                 certain=certain and not alternatives, provenance=PROV)


def t3_row(key: str, values: list) -> RowReading:
    tokens = [v if isinstance(v, Token) else tok(v) for v in values]
    return RowReading(table="t3", key=key, label=key, fields=T.t3_row_fields(key), tokens=tokens)


def zero_table3(**rows: list) -> list[RowReading]:
    """A consistent table 3 where only new_received/granted/total carry `n` natural persons, with
    `rows` overriding a printed row's tokens."""
    n = 3
    seven = {key: [0] * 7 for key in F.T3_ROWS}
    for key in ("new_received", "granted", "total"):
        seven[key] = [n, 0, 0, 0, 0, 0, n]
    seven.update(rows)
    return [t3_row(key, seven[key]) for key in F.T3_ROWS]


def t4_row(values: list) -> RowReading:
    return RowReading(table="t4", key="t4", label="t4", fields=T.T4_FIELDS_IN_ORDER,
                      tokens=[tok(v) for v in values])


def assembled(rows: list[RowReading], kind: SourceKind = SourceKind.text) -> Assembled:
    return Assembled(source_kind=kind, rows=rows + [t4_row([0] * 15)])


def test_consistent_readings_pass_as_read():
    out = reconcile(assembled(zero_table3()))
    assert out.cells["t3.granted.natural_person"].value == 3
    assert out.violations == [] and out.corrections == []
    assert all(c.candidates == [] for c in out.cells.values())


def test_a_digital_misprint_is_a_source_error_kept_as_printed():
    out = reconcile(assembled(zero_table3(granted=[3, 0, 0, 0, 0, 0, 4])))
    assert out.cells["t3.granted.total"].value == 4
    assert out.corrections == []
    # the misprinted total breaks its row and the column of totals; changing it alone mends both, so
    # both violations name it, and being read with certainty it is the report's own error
    found = {v.constraint: (v.kind, v.cells) for v in out.violations}
    assert found == {"t3.row.granted": (ViolationKind.source_error, ["t3.granted.total"]),
                     "t3.col.total": (ViolationKind.source_error, ["t3.granted.total"])}


def test_an_ocr_misread_with_a_lookalike_is_corrected_by_the_sums():
    misread = tok(8, (3, 0.1))  # printed 3, read 8 with 3 as the second reading
    out = reconcile(assembled(zero_table3(granted=[misread, 0, 0, 0, 0, 0, 3]), SourceKind.ocr_text))
    cell = out.cells["t3.granted.natural_person"]
    assert cell.value == 3 and cell.corrected is not None and cell.corrected.before == "8"
    assert out.violations == []


def test_contradictory_readings_still_get_an_answer_with_candidates():
    # a merged group row claims its eight sub-rows sum to 1 in every column, while the sub-rows as
    # printed say 2: no reading satisfies both, the old model was infeasible
    rows = zero_table3(**{"denied.state_secret": [0, 2, 0, 0, 0, 0, 2]})
    group = RowReading(table="t3", key="denied", label="（三）不予公开", fields=T.t3_row_fields(
        "denied.state_secret"), tokens=[tok(1)] * 7,
        merged_rows=[k for k in F.T3_ROWS if k.startswith("denied.")])
    out = reconcile(assembled(rows[:4] + [group] + rows[4:]))
    assert not any("no solution" in w for w in out.warnings)
    assert [w for w in out.warnings if "left unread" in w] and all(
        w.startswith("t3.denied:") for w in out.warnings if "left unread" in w)
    # the sub-rows, consistent with every sum, stand as printed; the group row's values are not asserted
    assert out.cells["t3.denied.state_secret.commercial"].value == 2
    assert [m.values for m in out.merged_rows] == [{c: None for c in T.T3_COLUMNS}]
    assert set(out.cells) == set(T.ALL_FIELDS)


def test_a_value_beyond_every_bound_does_not_break_the_model():
    huge = tok(10**9)  # a squashed run taken as one number, far beyond any count a report prints
    out = reconcile(assembled(zero_table3(granted=[huge, 0, 0, 0, 0, 0, 3])))
    assert not any("no solution" in w for w in out.warnings)
    assert out.cells["t3.new_received.total"].value == 3
    cell = out.cells["t3.granted.natural_person"]
    assert cell.value == 3 and not cell.certain  # refused as a count; what the sums force, doubtful


def test_empty_readings_are_an_answer_not_a_failure():
    rows = [t3_row(key, []) for key in F.T3_ROWS]
    out = reconcile(Assembled(source_kind=SourceKind.text, rows=rows))
    assert not any("no solution" in w for w in out.warnings)
    assert all(out.cells[f].value is None for f in T.t3_row_fields("granted"))
    assert out.violations == []


def test_a_search_stopped_at_its_budget_leaves_what_it_controls_unsettled(monkeypatch):
    """When HiGHS stops at the node budget (`solve.SEARCH_NODES`) its point is used, but the cells
    the alignments and readings control are unsettled (never confident) and the reason is said; the
    cells read as printed in rows that fit stay as they were."""
    from gongkai.extraction import milp
    from gongkai.extraction.confidence import cell_confidence

    real_solve = milp.Model.solve

    def stopped(self, *args, **kwargs):
        sol = real_solve(self, *args, **kwargs)
        return None if sol is None else milp.Solution(sol.x, sol.fun, optimal=False, nodes=kwargs.get("node_limit") or 0)

    # a misread with a lookalike: the sums pick 3, but the search did not prove it
    rows = zero_table3(granted=[tok(8, (3, 0.3)), 0, 0, 0, 0, 0, 3])
    monkeypatch.setattr(milp.Model, "solve", stopped)
    out = reconcile(assembled(rows))
    assert any("stopped at its budget" in w for w in out.warnings)
    assert out.cells["t3.granted.natural_person"].unsettled
    assert not out.cells["t3.total.natural_person"].unsettled
    assert cell_confidence(out.cells["t3.granted.natural_person"], out, set(), set()) < 0.5
