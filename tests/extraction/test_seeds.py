"""End to end on the real reports we have: every gold field, the metadata, and the findings."""
from __future__ import annotations

import json

import pytest

from gongkai.models.registry import extract
from tests.conftest import REAL, gold_for, need_shared, seed_files


def _wrong(result, gold):
    return {k: (v, result.fields[k].value) for k, v in gold["fields"].items() if result.fields[k].value != v}


@pytest.mark.parametrize("path", seed_files(), ids=lambda p: p.name[:3])
def test_seed_reports_are_extracted_exactly(path):
    gold = gold_for(path)
    result = extract(path)
    assert _wrong(result, gold) == {}
    assert len(gold["fields"]) == 200
    assert (result.meta.org, result.meta.year) == (gold["meta"]["org"], gold["meta"]["year"])
    assert result.violations == []
    # every seed is accepted without review, also seed 000 whose rows lost a cell each ("read as
    # dropped"): the sums force every lost cell, so no cell is in doubt and no check fails
    assert not result.needs_review and result.review_reasons == []


@pytest.mark.parametrize("name", ["hongze_qu_2023", "hongze_qu_2024", "huaian_shi_2024"])
def test_pdftotext_layouts_match_gold(name):
    need_shared()
    path = REAL / f"{name}.pdftotext.txt"
    gold, meta = gold_for(path), json.loads((REAL / f"{name}.meta.json").read_text(encoding="utf-8"))
    result = extract(path)
    assert _wrong(result, gold) == {}
    assert (result.meta.org, result.meta.year) == (gold["meta"]["org"], gold["meta"]["year"])
    assert sorted(v.constraint for v in result.violations) == sorted(meta["source_violations"])
    assert all(v.kind.value == "source_error" for v in result.violations)


def test_printed_arithmetic_errors_are_reported_and_kept():
    need_shared()
    result = extract(REAL / "hongze_qu_2023.pdftotext.txt")
    by_name = {v.constraint: v for v in result.violations}
    review = by_name["t4.review"]
    assert (review.lhs_value, review.rhs_value) == (0, 11)
    assert review.cells == ["t4.review.total"]
    assert result.fields["t4.review.total"].value == 0  # printed value kept, not "fixed"
    assert result.corrections == []


def test_merged_other_rows_stay_missing_with_the_merged_row_reported():
    need_shared()
    result = extract(REAL / "hongze_qu_2024.pdftotext.txt")
    assert [m.label for m in result.merged_rows] == ["（六）其他处理"]
    for f in ("t3.other.other.natural_person", "t3.other.overdue_fee.total"):
        assert result.fields[f].status.value == "missing"
        assert result.fields[f].value is None
        assert result.fields[f].implied == 0  # the merged row is all zero: the sums force each sub-row


def test_missing_section_two_heading_and_six_before_five():
    need_shared()
    path = sorted(seed_files())[2]
    gold = gold_for(path)
    text = path.read_text(encoding="utf-8")
    text = text.replace("二、主动公开政府信息情况\n", "")
    five, six = text.index("五、存在的主要问题及改进情况"), text.index("六、其他需要报告的事项")
    text = text[:five] + text[six:] + "\n" + text[five:six]
    result = extract(text.encode("utf-8"), "reordered.txt")
    assert _wrong(result, gold) == {}


def test_labels_broken_one_character_per_line():
    need_shared()
    path = sorted(seed_files())[2]
    gold = gold_for(path)
    text = path.read_text(encoding="utf-8")
    label = "(三)不予公开 | 1.属于国家秘密 |"
    assert label in text
    text = text.replace(label, "\n".join("(三)不予公开") + "\n1.属于国家秘密 |")
    result = extract(text.encode("utf-8"), "vertical.txt")
    assert _wrong(result, gold) == {}
