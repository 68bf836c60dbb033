"""Cell confidence on hand-built rows: what the constraints do not pin down is not confident.

No labeller and no shared file: each test builds the `Assembled` rows a broken source gives (a
crawler's collapsed run, a squashed one-line page, an OCR table printing "-" for nothing) and checks
the raw score (`extraction.confidence.raw_score`) and the calibrated one, the latter through a
calibrator that would lift every level to 1.0 — the worst a pooled isotonic curve can do.
"""
from __future__ import annotations

from gongkai.extraction import template as T
from gongkai.extraction.align import CellSource
from gongkai.extraction.assemble import Assembled, RowReading, Token
from gongkai.extraction.confidence import (UNCHECKED_IN_TROUBLE, calibrate, cell_confidence, raw_score,
                                           score)
from gongkai.extraction.reconcile import Cell, reconcile
from gongkai.extraction.result import CellStatus
from gongkai.extraction.review_policy import CONFIDENT
from tests.extraction.test_reconcile_rows import PROV, assembled, tok, zero_table3

LIFT_ALL = {"cell": {"default": {"x": [0.0, 1.0], "y": [1.0, 1.0]}, "by_source_kind": {}}}


def t2_row(key: str, *tokens: Token) -> RowReading:
    return RowReading(table="t2", key=key, label=key, fields=T.T2_ROW_FIELDS[key], tokens=list(tokens))


def raw_token(raw: str) -> Token:
    """One printed cell as a digit run (a squashed row) or a mark."""
    if raw.isdigit():
        return tok(int(raw)).model_copy(update={"raw": raw})
    return Token(raw=raw, status=CellStatus.blank, provenance=PROV)


def with_t2(*rows: RowReading, table3: list[RowReading] | None = None) -> Assembled:
    """A whole document: table 2 printed as read (zeros) except `rows`, table 3 `table3`, table 4 zeros."""
    given = {r.key for r in rows}
    printed = [t2_row(key, *(tok(0) for _ in fields)) for key, fields in T.T2_ROW_FIELDS.items() if key not in given]
    asm = assembled(table3 if table3 is not None else zero_table3())
    return asm.model_copy(update={"rows": [*rows, *printed, *asm.rows]})


def test_a_collapsed_run_that_cuts_two_ways_gets_candidates_and_stays_below_the_confident_line():
    # "0 0 3" or "0 3 3" collapsed by a crawler into "0 3": the repealed count is 0 or 3
    out = reconcile(with_t2(t2_row("normative", tok(0), tok(3))))
    repealed = out.cells["t2.normative.repealed"]
    assert set(repealed.candidates) == {0, 3}
    assert 0.0 < repealed.support < 0.9
    raw, _ = raw_score(out)
    assert raw["t2.normative.repealed"] < CONFIDENT
    lifted, _ = calibrate(raw, 0.5, "text", LIFT_ALL, ambiguous={f for f, c in out.cells.items() if c.candidates})
    assert lifted["t2.normative.repealed"] < CONFIDENT
    assert lifted["t2.licensing.decisions"] == 1.0  # the cap is for cells with candidates only


def test_a_squashed_run_with_one_plausible_cut_is_supported_by_the_whole_row():
    # "000" over three cells cuts only as 0|0|0 ("00" is no number): nothing to doubt
    out = reconcile(with_t2(t2_row("rules", raw_token("000"))))
    for f in T.T2_ROW_FIELDS["rules"]:
        assert out.cells[f].value == 0 and not out.cells[f].candidates
        assert out.cells[f].support > 0.95
    raw, _ = raw_score(out)
    assert min(raw[f] for f in T.T2_ROW_FIELDS["rules"]) > 0.8


def test_a_dash_among_zeros_is_a_mark_but_an_empty_cell_may_be_a_lost_digit():
    dash = zero_table3(carried_over=[0, 0, raw_token("-"), 0, 0, 0, 0])
    empty = zero_table3(carried_over=[0, 0, raw_token(""), 0, 0, 0, 0])
    f = "t3.carried_over.research"
    with_dash, _ = raw_score(reconcile(with_t2(table3=dash)))
    with_empty, _ = raw_score(reconcile(with_t2(table3=empty)))
    assert with_dash[f] >= CONFIDENT
    assert with_empty[f] < CONFIDENT


def test_in_a_troubled_document_a_re_cut_cell_agreeing_with_the_sums_is_not_vouched_for():
    out = reconcile(with_t2())
    cell = out.cells["t3.granted.natural_person"]
    firm = cell_confidence(cell, out, set(), set(), trouble=0.2)
    recut = Cell(**{**cell.__dict__, "how": "dropped", "contested": True})
    filled = Cell(**{**cell.__dict__, "source": CellSource("free"), "token": None, "certain": False})
    assert firm >= CONFIDENT
    assert cell_confidence(recut, out, set(), set(), trouble=0.2) <= UNCHECKED_IN_TROUBLE
    assert cell_confidence(filled, out, set(), set(), trouble=0.2) <= UNCHECKED_IN_TROUBLE


def test_score_caps_ambiguous_cells_through_the_shipped_path():
    out = reconcile(with_t2(t2_row("normative", tok(0), tok(3))))
    cells, _ = score(out, "text", LIFT_ALL)
    assert cells["t2.normative.repealed"] < CONFIDENT
    assert cells["t2.normative.issued"] == 1.0 or out.cells["t2.normative.issued"].candidates
