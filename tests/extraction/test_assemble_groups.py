"""A table-3 group label with numbers beside it, while its sub-rows are printed apart.

On a scan the tall group cell (（六）其他处理) sits beside its first sub-row; when that sub-row's label
is lost (wrapped, misread), its numbers follow the group label and read as a merged row — a row the
older form prints for the whole group, whose sub-rows are then "absent by the form" and confident.
With the other sub-rows read on their own, the report prints the sub-rows: the numbers are the one
unread sub-row's, or, with several unread, nobody's (set aside), never a merged row.
"""
from __future__ import annotations

from gongkai.extraction.assemble import assemble
from gongkai.extraction.document import Document, Segment, SourceKind
from gongkai.extraction.labelling import LabelledDocument, Span, Tag
from gongkai.extraction.reconcile import reconcile
from tests.extraction.test_reconcile_rows import assembled, zero_table3

GROUP = ("（六）其他处理", Tag.T3_GROUP, "other")
CORRECTION = ("1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", Tag.T3_ROW, "other.overdue_correction")
FEE = ("2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", Tag.T3_ROW, "other.overdue_fee")
OTHER = ("3.其他", Tag.T3_ROW, "other.other")


def _labelled(*rows: tuple[tuple[str, Tag, str], list[int]]) -> LabelledDocument:
    """Each row: its label line (text, tag, key) and the numbers printed after it, one segment each."""
    segments, spans = [], []
    for (text, tag, key), values in rows:
        spans.append(Span(segment=len(segments), start=0, end=len(text), tag=tag, key=key))
        segments.append(Segment(text=text, line=len(segments)))
        for v in values:
            spans.append(Span(segment=len(segments), start=0, end=len(str(v)), tag=Tag.VALUE))
            segments.append(Segment(text=str(v), line=len(segments)))
    return LabelledDocument(document=Document(source_kind=SourceKind.ocr_text, segments=segments), spans=spans)


def _t3(asm) -> dict[str, list[str]]:
    return {r.key: [t.raw for t in r.tokens] for r in asm.rows if r.table == "t3"}


def test_numbers_beside_a_group_label_are_its_one_unread_sub_rows():
    asm = assemble(_labelled((GROUP, [1, 0, 0, 0, 0, 0, 1]), (FEE, [0] * 7), (OTHER, [2, 0, 0, 0, 0, 0, 2])))
    assert _t3(asm) == {"other.overdue_correction": ["1", "0", "0", "0", "0", "0", "1"],
                        "other.overdue_fee": ["0"] * 7, "other.other": ["2", "0", "0", "0", "0", "0", "2"]}
    assert not any(r.merged_rows for r in asm.rows)


def test_with_several_sub_rows_unread_the_numbers_are_nobodys_and_nothing_is_absent_by_the_form():
    asm = assemble(_labelled((GROUP, [1, 0, 0, 0, 0, 0, 1]), (OTHER, [2, 0, 0, 0, 0, 0, 2])))
    assert _t3(asm) == {"other.other": ["2", "0", "0", "0", "0", "0", "2"]}
    assert [r.key for r in asm.set_aside] == ["other"]
    rows = [r for r in zero_table3() if not r.key.startswith("other.")] + asm.rows
    out = reconcile(assembled(rows))
    assert out.merged_rows == []


def test_a_group_printed_as_one_row_is_still_a_merged_row():
    """The older form: the group's numbers on one line and no sub-row printed — a merged row."""
    asm = assemble(_labelled((GROUP, [1, 0, 0, 0, 0, 0, 1])))
    assert [(r.key, r.merged_rows) for r in asm.rows] == [
        ("other", ["other.overdue_correction", "other.overdue_fee", "other.other"])]
