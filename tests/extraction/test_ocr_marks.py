"""What an OCR engine prints that is not a plain number: a mark ("-", "/") as sure as its strokes
were recognised, an accented letter over a lone 0, a page number that lost one of its dashes."""
from __future__ import annotations

import pytest

from gongkai.extraction import template as T
from gongkai.extraction.assemble import Assembled, RowReading, _token
from gongkai.extraction.confidence import raw_score
from gongkai.extraction.digitlike import as_digits
from gongkai.extraction.document import Document, Segment, SourceKind
from gongkai.extraction.labelling import Span, Tag
from gongkai.extraction.reconcile import reconcile
from gongkai.extraction.result import CellStatus
from gongkai.extraction.textnorm import PAGE_NUMBER_RE
from tests.extraction.test_reconcile_rows import t4_row, tok, zero_table3


def _mark(kind: SourceKind, char_conf: list[float] | None):
    doc = Document(source_kind=kind, segments=[Segment(text="-", char_conf=char_conf)])
    return _token(doc, Span(segment=0, start=0, end=1, tag=Tag.VALUE), "-")


def test_a_mark_read_by_ocr_carries_its_recognition_confidence():
    speck = _mark(SourceKind.pdf_scan, [0.55])  # a stray speck the recogniser read as "-"
    assert speck.status is CellStatus.slash and not speck.certain and speck.mark_prob == 0.55
    printed = _mark(SourceKind.text, None)      # a digital "-" is what the report printed
    assert printed.certain and printed.mark_prob == 1.0


@pytest.mark.parametrize("conf, confident", [(0.55, False), (None, True)])
def test_a_fees_cell_read_as_an_unsure_mark_is_not_confident(conf, confident):
    fees = RowReading(table="t2", key="fees", label="行政事业性收费", fields=T.T2_ROW_FIELDS["fees"],
                      tokens=[_mark(SourceKind.pdf_scan, None if conf is None else [conf])])
    others = [RowReading(table="t2", key=key, label=key, fields=fields, tokens=[tok(0) for _ in fields])
              for key, fields in T.T2_ROW_FIELDS.items() if key != "fees"]
    rows = [*others, fees, *zero_table3(), t4_row([0] * 15)]
    out = reconcile(Assembled(source_kind=SourceKind.pdf_scan, rows=rows))
    per_cell, _ = raw_score(out)
    assert out.cells["t2.fees.amount"].status is CellStatus.slash
    assert (per_cell["t2.fees.amount"] >= 0.9) is confident


@pytest.mark.parametrize("text, digits", [("ó", "0"), ("1Ö", "10"), ("O", "0"), ("é", None), ("12", None)])
def test_an_accented_lookalike_reads_as_its_digit(text, digits):
    assert as_digits(text) == digits


@pytest.mark.parametrize("text, folio", [("— 1 —", True), ("-1", True), ("12—", True), ("-12-", True), ("一2-", True),
                                         ("- 1", False), ("-", False), ("12", False), ("1/3", True)])
def test_a_page_number_may_have_lost_one_dash_but_two_cells_are_no_page_number(text, folio):
    assert bool(PAGE_NUMBER_RE.match(text)) is folio
