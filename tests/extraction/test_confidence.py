"""Confidence that can be trusted, and the review flag's contract (extraction/review_policy.py).

Seed 002 is damaged the way real sources are (a squashed table-4 row, a table not printed, an
organisation cut to a fragment) and the output must say so: low confidence, candidates, a flag with
its reasons. Raw scores (calibration `off`) so the shipped calibrator cannot mask the shape.
"""
from __future__ import annotations

import re

import pytest

from gongkai.extraction.document import SourceKind
from gongkai.models.registry import extract
from gongkai.extraction.review_policy import CONFIDENT, org_suspect, review_reasons
from tests.conftest import SEEDS, need_shared

SEED = "002_772a363d23301ca9"
T4_ROW = "0 | 0 | 2 | 2 | 4 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |"


@pytest.fixture
def text():
    need_shared()
    return (SEEDS / f"{SEED}.txt").read_text(encoding="utf-8")


def run(text: str):
    return extract(text.encode("utf-8"), "report.txt", source_kind=SourceKind.text, calibration="off")


def codes(result) -> set[str]:
    return {r.code for r in result.review_reasons}


def test_the_undamaged_seed_is_accepted_and_confident(text):
    result = run(text)
    assert not result.needs_review and result.review_reasons == []
    assert min(f.confidence for f in result.fields.values()) >= CONFIDENT


def test_a_squashed_row_whose_split_is_ambiguous_gets_low_confidence_and_candidates(text):
    # review: upheld 1, corrected 12, total 13 — squashed into "1120013…" it also cuts as 11, 2, …, 13
    assert T4_ROW in text
    result = run(text.replace(T4_ROW, "1120013" + "0" * 10 + " |"))
    for fid in ("t4.review.upheld", "t4.review.corrected"):
        cell = result.fields[fid]
        assert cell.confidence < CONFIDENT
        assert len(cell.candidates) == 2
    assert {c.value for c in result.fields["t4.review.upheld"].candidates} == {1, 11}
    assert result.needs_review
    reason = next(r for r in result.review_reasons if r.code == "ambiguous_cells")
    assert {"t4.review.upheld", "t4.review.corrected"} <= set(reason.cells)
    assert result.confidence < run(text).confidence


def test_a_row_read_with_too_few_tokens_is_not_confident(text):
    # the table-4 row loses most of its cells: whatever the fallback reads there is a guess
    result = run(text.replace(T4_ROW, "0 | 0 | 2 | 2 | 4 |"))
    low = [f for f, c in result.fields.items() if f.startswith("t4.") and c.confidence < CONFIDENT]
    assert len(low) >= 10
    assert result.needs_review
    flagged = {c for r in result.review_reasons for c in r.cells}
    assert set(low) & flagged


def test_a_document_with_an_empty_table_is_not_confident(text):
    start = text.index("二、主动公开政府信息情况")
    end = text.index("三、收到和处理政府信息公开申请情况")
    result = run(text[:start] + text[end:])
    t2 = {f: c for f, c in result.fields.items() if f.startswith("t2.")}
    assert all(c.value is None and c.confidence < 0.5 for c in t2.values())
    assert result.confidence < 0.5
    # two checks fail, and the policy lists every failing check: the table is missing, and its cells,
    # never read, are below CONFIDENT
    assert codes(result) == {"table_missing", "uncertain_cells"}
    assert all(set(r.cells) == set(t2) for r in result.review_reasons)
    assert result.needs_review


def test_a_fragment_org_is_not_accepted_silently(text):
    result = run(text)
    org = result.meta.org
    assert org and result.meta.title and org in result.meta.title
    fragment = result.model_copy(deep=True)
    fragment.meta.org = org[-2:]  # the last characters only: a cut name
    reasons = review_reasons(fragment)
    assert [r.code for r in reasons] == ["meta_org_suspect"]
    cut = result.model_copy(deep=True)
    cut.meta.org = org[1:]  # one character lost at the front: the title still shows the whole name
    assert "meta_org_suspect" in {r.code for r in review_reasons(cut)}
    assert review_reasons(result) == []


@pytest.mark.parametrize("org, title, suspect", [
    ("市", None, True),
    ("田市", "某田市统计局2023年政府信息公开工作年度报告", True),
    ("统计局", "某某市统计局2023年政府信息公开工作年度报告", True),
    ("某某市统计局", "某某市统计局2023年政府信息公开工作年度报告", False),
    ("某某市", "某某市2021年政府信息公开工作年度报告", False),
    ("某某县", None, False),
    ("年度报告", None, True),
])
def test_org_suspect(org, title, suspect):
    assert (org_suspect(org, title) is not None) == suspect


def test_every_reason_names_a_code_and_a_message(text):
    result = run(re.sub(r"四、结转下年度继续办理[^\n]*\n", "", text))
    assert result.needs_review
    for r in result.review_reasons:
        assert r.code and r.message
    assert any(r.cells for r in result.review_reasons)


def test_the_service_review_save_goes_through_the_same_policy(text):
    from gongkai.service.review.labelled import apply_edits

    result = run(text.replace(T4_ROW, "1120013" + "0" * 10 + " |"))
    assert "ambiguous_cells" in codes(result)
    assert [r.cells for r in review_reasons(result) if r.code == "ambiguous_cells"] == [
        ["t4.review.corrected", "t4.review.upheld"]]
    saved = apply_edits(result, {"t4.review.upheld": 1})  # a person saved a review: accepted
    assert not saved.needs_review and saved.review_reasons == []
    # the verified cell is no reason any more; the other one still is for the policy itself
    assert [r.cells for r in review_reasons(saved) if r.code == "ambiguous_cells"] == [["t4.review.corrected"]]


def test_a_table2_row_the_report_leaves_out_is_absent_not_doubtful(text):
    # county bureaus' exports drop the 规章 row (they cannot issue rules): its label is nowhere in the text
    assert "规章 | 0 | 0 | 0 |\n" in text
    result = run(text.replace("规章 | 0 | 0 | 0 |\n", ""))
    for fid in ("t2.rules.issued", "t2.rules.repealed", "t2.rules.in_force"):
        cell = result.fields[fid]
        assert cell.value is None and cell.status.value == "missing"
        assert cell.confidence >= CONFIDENT
    assert not result.needs_review, result.review_reasons
    # the same row lost with its label still printed (no numbers after it) is doubt, not absence
    lost = run(text.replace("规章 | 0 | 0 | 0 |\n", "规章\n"))
    assert lost.fields["t2.rules.issued"].confidence < CONFIDENT and lost.needs_review
