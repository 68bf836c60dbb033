"""The report's own words as evidence: figures stated in section 一, used by the reconciler and checked."""
from __future__ import annotations

import pytest

from gongkai.extraction.document import SourceKind
from gongkai.extraction.ingest.text import read_text
from gongkai.extraction.narrative import narrative_figures
from gongkai.models.registry import extract
from gongkai.models.rules import RuleLabeller
from tests.conftest import REAL, need_shared


def figures(prose: str) -> dict[str, int]:
    doc = read_text("2023年某某局政府信息公开工作年度报告\n一、总体情况\n" + prose + "\n二、主动公开政府信息情况\n",
                    "r.txt", source_kind=SourceKind.text)
    return {f.key: f.value for f in narrative_figures(RuleLabeller().label(doc))}


def test_stated_figures_are_read_with_their_fields():
    got = figures("全年共收到政府信息公开申请81件，其中予以公开22件，部分公开3件，不予公开1件；"
                  "结转下年度继续办理2件。全年发生行政复议2件、行政诉讼1件。")
    assert got == {"new_received": 81, "granted": 22, "partial": 3, "denied": 1, "carried_forward": 2,
                   "review": 2, "litigation": 1}


def test_a_number_after_a_negation_or_in_another_sentence_is_not_claimed():
    got = figures("全年未发生行政复议、行政诉讼情况。召开新闻发布会3次，发布信息120条。")
    assert got == {}


def test_a_figure_split_over_crawler_lines_is_still_read():
    got = figures("2023年我局共受理依申请公开信息\n8\n件，均按期答复。")
    assert got == {"new_received": 8}


def test_a_narrative_that_contradicts_the_table_is_a_finding_and_the_table_is_kept():
    need_shared()
    # the squashed page says 收到…申请75件 in its prose; table 3's sums settle 74
    result = extract(REAL / "pingtan_zonghe_shiyanqu_2022.crawler.txt")
    stated = {f.key: f for f in result.narrative}
    assert stated["new_received"].value == 75 and stated["new_received"].table_value == 74
    assert stated["new_received"].agrees is False
    assert result.fields["t3.new_received.total"].value == 74
    assert any("75件" in w and "74" in w for w in result.warnings)
    # the same prose states table 2's normative documents, which the squashed digits cannot settle alone
    assert stated["normative_in_force"].agrees and stated["normative_issued"].agrees


def test_the_narrative_settles_what_a_collapsed_table_2_row_leaves_open():
    need_shared()
    # "4 / 16" over three cells: 4/4/16 or 4/16/16; the prose says 新公布4件，废止、失效4件
    result = extract(REAL / "putian_chengguanju_2024.crawler.txt")
    assert [result.fields[f"t2.normative.{c}"].value for c in ("issued", "repealed", "in_force")] == [4, 4, 16]
    assert all(f.agrees for f in result.narrative if f.key.startswith("normative"))
