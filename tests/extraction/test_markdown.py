"""Markdown as PDF-to-Markdown converters (MinerU, Marker, Docling) and VLM/OCR services write it.

The fixtures in `fixtures/markdown/` are hand-shaped complete reports (values satisfying all 42
constraints, gold beside each): `converter_*` reproduce the converters' habits (wrapped labels
whose tails sit on rows of their own, vertical group labels split over rows, table-2 blocks out of
order, merged table-4 headers, a value pushed out above its table, page footers inside a table,
`<br>` in cells, HTML tables inside the Markdown, spans repeated into every cell), `ocr_*` a VLM's
(table 3 cut into per-group tables under `数据1…` / `列1…` headers, a wrong header row pasted over
the last rows, `-` for empty cells, table 4 in three pieces, misread characters, `**bold**`).
The focused tests below feed one phenomenon each through ingest → rule labeller → assembler.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from gongkai.extraction.assemble import assemble
from gongkai.extraction.document import SourceKind
from gongkai.extraction.ingest import read_document
from gongkai.extraction.ingest.text import read_text
from gongkai.models.registry import extract
from gongkai.extraction.result import CellStatus
from gongkai.extraction.labelling import Tag
from gongkai.models.rules import RuleLabeller

FIXTURES = Path(__file__).parent / "fixtures" / "markdown"
CASES = sorted(p.stem for p in FIXTURES.glob("*.md"))


def _same(got, want) -> bool:
    if got is None or want is None:
        return got is want
    return abs(float(got) - float(want)) < 1e-6


def test_fixtures_cover_both_families():
    assert sum(c.startswith("converter_") for c in CASES) >= 4
    assert sum(c.startswith("ocr_") for c in CASES) >= 3


@pytest.mark.parametrize("case", CASES)
def test_fixture_extracts_exactly(case):
    gold = json.loads((FIXTURES / f"{case}.gold.json").read_text(encoding="utf-8"))
    result = extract(FIXTURES / f"{case}.md")
    wrong = {k: (result.fields[k].value, v) for k, v in gold["fields"].items() if not _same(result.fields[k].value, v)}
    assert not wrong, wrong
    assert result.meta.org == gold["meta"]["org"]
    assert result.meta.year == gold["meta"]["year"]
    for k, v in gold["fields"].items():
        if v is None:  # an empty cell of the scan, printed `-`: kept as read, never made 0
            assert result.fields[k].status in (CellStatus.slash, CellStatus.blank)
            assert result.fields[k].raw in ("-", "")


def test_fixture_with_dashes_keeps_them():
    gold = json.loads((FIXTURES / "ocr_vlm_1.gold.json").read_text(encoding="utf-8"))
    assert any(v is None for v in gold["fields"].values())  # the case the loop above checks exists


# ---- focused: one phenomenon each -----------------------------------------------------------------

HEAD = "# 某某县人民政府2023年政府信息公开工作年度报告\n\n## 三、收到和处理政府信息公开申请情况\n\n"
T3_HEADER = ("| 申请人情况 | 自然人 | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | 总计 |\n"
             "|---|---|---|---|---|---|---|---|\n")


T3_LABELS = [("new_received", "一、本年新收政府信息公开申请数量"), ("carried_over", "二、上年结转政府信息公开申请数量"),
             ("granted", "（一）予以公开"), ("partial", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
             ("denied.state_secret", "（三）不予公开 1.属于国家秘密"), ("denied.law_forbidden", "2.其他法律行政法规禁止公开"),
             ("denied.three_safety", "3.危及“三安全一稳定”"), ("denied.third_party", "4.保护第三方合法权益"),
             ("denied.internal_affairs", "5.属于三类内部事务信息"), ("denied.process_info", "6.属于四类过程性信息"),
             ("denied.enforcement_file", "7.属于行政执法案卷"), ("denied.query_item", "8.属于行政查询事项"),
             ("unable.not_held", "（四）无法提供 1.本机关不掌握相关政府信息"), ("unable.need_creation", "2.没有现成信息需要另行制作"),
             ("unable.unclear", "3.补正后申请内容仍不明确"), ("not_processed.petition", "（五）不予处理 1.信访举报投诉类申请"),
             ("not_processed.duplicate", "2.重复申请"), ("not_processed.publication", "3.要求提供公开出版物"),
             ("not_processed.excessive", "4.无正当理由大量反复申请")]


def _table3(*rows: str, upto: int = len(T3_LABELS)) -> str:
    """Table 3 as a pipe grid: its first rows (all zero) up to `upto`, then `rows` as given."""
    cols = "| " + " | ".join(["0"] * 7) + " |"
    return HEAD + T3_HEADER + "".join(f"| {label} {cols}\n" for _, label in T3_LABELS[:upto]) + "".join(
        r + "\n" for r in rows)


def _rows(text: str) -> dict[str, list[str]]:
    asm = assemble(RuleLabeller().label(read_text(text)))
    return {r.key: [t.raw for t in r.tokens] for r in asm.rows}, asm


def test_detached_label_tail_keeps_the_row_its_cells():
    text = HEAD + (
        "| 一、本年新收政府信息公开申请数量 | | | 3 | 0 | 0 | 0 | 0 | 0 | 3 |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n"
        "| 二、上年结转政府信息公开申请数量 | | | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n"
        "| 三、本年度 | （一）予以公开 | | 1 | 0 | 0 | 0 | 0 | 0 | 1 |\n"  # a vertical group label split
        "| 办理结果 | （二）部分公开（区分处理的，只计这一情形，不计其他 | | | | | | | | |\n"  # over two rows
        "| | 情形） | | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n"
        "| | （三）不予 | 1.属于国家秘密 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n"
        "| | 公开 | 2.其他法律行政法规禁止公开 | 2 | 0 | 0 | 0 | 0 | 0 | 2 |\n"
        "| | | 3.危及“三安全一稳定” | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n")
    rows, asm = _rows(text)
    assert rows["new_received"] == ["3", "0", "0", "0", "0", "0", "3"]  # label columns' empty cells are layout
    assert rows["granted"] == ["1", "0", "0", "0", "0", "0", "1"]
    assert rows["partial"] == ["0"] * 7  # the head's empty cells are not the row's
    assert rows["denied.law_forbidden"] == ["2", "0", "0", "0", "0", "0", "2"]
    assert not asm.warnings


def test_detached_label_tail_below_the_numbers():
    text = _table3(
        "| 5.要求行政机关确认或重新出具已 | | | | | | | |",  # the label's head, empty cells
        "| 获取信息 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |",  # its tail beside the numbers
        "| （六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开 | 2 | 0 | 0 | 0 | 0 | 0 | 2 |",
        "| 申请 | | | | | | | |",  # numbers on the row above, the tail below
        "| 2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |")
    rows, asm = _rows(text)
    assert rows["not_processed.confirm"] == ["1", "0", "0", "0", "0", "0", "1"]
    assert rows["other.overdue_correction"] == ["2", "0", "0", "0", "0", "0", "2"]
    assert rows["other.overdue_fee"] == ["0"] * 7
    assert not asm.warnings


def test_a_row_left_blank_keeps_its_blank_cells():
    text = HEAD + T3_HEADER + "| 二、上年结转政府信息公开申请数量 | | | | | | | |\n| （一）予以公开 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |\n"
    rows, _ = _rows(text)
    assert rows["carried_over"] == [""] * 7  # printed blank, not dropped and not 0
    assert rows["granted"] == ["1", "0", "0", "0", "0", "0", "1"]


@pytest.mark.parametrize("generic", ["| 项目 | 数据1 | 数据2 | 数据3 | 数据4 | 数据5 | 数据6 | 总计 |",
                                     "| 列1 | 列2 | 列3 | 列4 | 列5 | 列6 | 列7 | 列8 |"])
def test_generic_headers_of_per_group_tables_are_not_values(generic):
    text = HEAD + T3_HEADER + (
        "| （一）予以公开 | 5 | 1 | 0 | 0 | 0 | 0 | 6 |\n\n"
        f"{generic}\n|---|---|---|---|---|---|---|---|\n"
        "| （二）部分公开（区分处理的，只计这一情形，不计其他情形） | 1 | 0 | 0 | 0 | 0 | 0 | 1 |\n\n"
        f"{generic}\n|---|---|---|---|---|---|---|---|\n"
        "| （三）不予公开 1.属于国家秘密 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n")
    rows, asm = _rows(text)
    assert rows["granted"] == ["5", "1", "0", "0", "0", "0", "6"]
    assert rows["partial"] == ["1", "0", "0", "0", "0", "0", "1"]
    assert rows["denied.state_secret"] == ["0"] * 7
    assert "total" not in rows


@pytest.mark.parametrize("pasted", [
    "| 申请人情况 | 自然人 | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | 总计 |",
    "| 行政诉讼 | 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | | |"])
def test_header_row_pasted_over_the_last_rows(pasted):
    text = _table3(
        "| 5.要求行政机关确认或重新出具已获取信息 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |",
        "| （六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |",
        "| 2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |",
        pasted, "|---|---|---|---|---|---|---|---|",
        "| 3.其他 | 2 | 0 | 0 | 0 | 0 | 0 | 2 |",
        "| **（七）总计** | **9** | **1** | 0 | 0 | 0 | 0 | **10** |",
        "| 四、结转下年度继续办理 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |")
    rows, _ = _rows(text)
    assert rows["other.other"] == ["2", "0", "0", "0", "0", "0", "2"]
    assert rows["total"] == ["9", "1", "0", "0", "0", "0", "10"]
    assert rows["carried_forward"] == ["1", "0", "0", "0", "0", "0", "1"]


def test_page_footer_inside_a_table_is_noise():
    text = _table3(
        "| （四）无法提供 1.本机关不掌握相关政府信息 | 4 | 0 | 0 | 0 | 0 | 0 | 4 |",
        "| — 5 — | | | | | | | |",
        "| 2.没有现成信息需要另行制作 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |", upto=12)
    ld = RuleLabeller().label(read_text(text))
    footer = [s for s in ld.spans if "5 —" in ld.document.segments[s.segment].text]
    assert footer and all(s.tag is Tag.NOISE for s in footer)
    rows, asm = _rows(text)
    assert rows["unable.not_held"] == ["4", "0", "0", "0", "0", "0", "4"]
    assert rows["unable.need_creation"] == ["1", "0", "0", "0", "0", "0", "1"]
    assert not asm.warnings


T2 = ("# 某某局2023年政府信息公开工作年度报告\n\n## 二、主动公开政府信息情况\n\n"
      "| 第二十条第（六）项 | |\n|---|---|\n| 信息内容 | 本年处理决定数量 |\n| 行政处罚 | 7 |\n| 行政强制 | 0 |\n\n"
      "{above}\n\n| 第二十条第（八）项 | |\n|---|---|\n| 信息内容 | 本年收费金额（单位：万元） |\n| 行政事业性收费 | {cell} |\n")


def test_value_pushed_out_above_its_table_fills_the_empty_cell():
    rows, asm = _rows(T2.format(above="12.5", cell=""))
    assert rows["fees"] == ["12.5"]
    assert rows["coercion"] == ["0"]  # the stray number is not the open row's
    assert not asm.warnings


def test_a_number_above_a_full_table_is_not_forced_into_it():
    rows, asm = _rows(T2.format(above="12.5", cell="3"))
    assert rows["fees"] == ["3"] and rows["coercion"] == ["0"]
    assert any("'12.5'" in w for w in asm.warnings)


def test_spans_repeated_into_every_cell_are_read_once():
    text = ("# 某某局2023年政府信息公开工作年度报告\n\n## 二、主动公开政府信息情况\n\n"
            "| 第二十条第（一）项 | 第二十条第（一）项 | 第二十条第（一）项 | 第二十条第（一）项 |\n|---|---|---|---|\n"
            "| 信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |\n| 规章 | 0 | 0 | 0 |\n"
            "| 第二十条第（五）项 | 第二十条第（五）项 | 第二十条第（五）项 | 第二十条第（五）项 |\n"
            "| 信息内容 | 本年处理决定数量 | 本年处理决定数量 | 本年处理决定数量 |\n| 行政许可 | 5 | 5 | 5 |\n")
    rows, _ = _rows(text)
    assert rows["rules"] == ["0", "0", "0"]  # equal values under distinct headers stay three cells
    assert rows["licensing"] == ["5"]  # one value spread over the merged header's columns


def test_html_tables_inside_markdown_are_read_as_grids_and_the_prose_as_lines():
    data = ("# 某某县人民政府2023年政府信息公开工作年度报告\n\n## 一、总体情况\n\n全年共收到申请3件。\n\n"
            "## 二、主动公开政府信息情况\n\n<table><tr><td>信息内容</td><td>本年处理决定数量</td></tr>"
            "<tr><td>行政许可</td><td>12</td></tr></table>\n\n## 五、存在的主要问题及改进情况\n\n无。\n").encode()
    doc = read_document(data, "x.md")
    assert doc.source_kind is SourceKind.text
    cells = [s for s in doc.segments if s.table is not None]
    assert [s.text for s in cells] == ["信息内容", "本年处理决定数量", "行政许可", "12"]
    assert any(s.text == "## 五、存在的主要问题及改进情况" for s in doc.segments)
    rows, _ = _rows(data.decode())
    assert rows["licensing"] == ["12"]


def test_markup_is_blanked_in_place():
    text = "前言\n| **（七）总计** | 第一行<br>第二行 | **10** |\n"
    doc = read_text(text)
    for seg in doc.segments:
        a, b = seg.span
        assert text[a:b].replace("*", " ").replace("<br>", "    ").strip() == seg.text.strip()
    assert [s.text for s in doc.segments if s.table is not None] == ["（七）总计", "第一行    第二行", "10"]


def test_a_value_printed_once_in_a_merged_cell_is_one_cell():
    text = ("# 某某局2023年政府信息公开工作年度报告\n\n## 二、主动公开政府信息情况\n\n"
            "| 第二十条第（六）项 |  |  |  |\n|---|---|---|---|\n| 信息内容 | 本年处理决定数量 |  |  |\n"
            "| 行政处罚 | 33 |  |  |\n| 行政强制 | 0 |  |  |\n| 第二十条第（一）项 |  |  |  |\n"
            "| 信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |\n| 规章 | 0 |  | 0 |\n")
    rows, asm = _rows(text)
    assert rows["punishment"] == ["33"] and rows["coercion"] == ["0"]
    assert rows["rules"] == ["0", "", "0"]  # under three headers an empty cell is a printed blank
    assert not asm.warnings


def test_table4_value_pushed_out_above_its_grid():
    o = " | ".join(["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 3)
    text = ("# 某某局2023年政府信息公开工作年度报告\n\n## 四、政府信息公开行政复议、行政诉讼情况\n\n5\n\n"
            f"| 行政复议 | 行政诉讼 |\n|---|---|\n| {o} |\n"
            "| 1 | 0 | 3 | 1 |  | 1 | 1 | 0 | 0 | 2 | 0 | 0 | 0 | 0 | 0 |\n")
    rows, _ = _rows(text)
    assert rows["t4"] == ["1", "0", "3", "1", "5", "1", "1", "0", "0", "2", "0", "0", "0", "0", "0"]


def test_a_lookalike_letter_alone_in_a_grid_cell_is_an_uncertain_digit():
    text = _table3("| （四）无法提供 1.本机关不掌握相关政府信息 | 5 | O | 0 | 0 | 0 | 0 | 5 |", upto=12)
    asm = assemble(RuleLabeller().label(read_text(text)))
    row = next(r for r in asm.rows if r.key == "unable.not_held")
    assert [t.raw for t in row.tokens] == ["5", "O", "0", "0", "0", "0", "5"]
    assert row.tokens[1].value == 0 and not row.tokens[1].certain
    plain = assemble(RuleLabeller().label(read_text(text.replace("| ", "  ").replace(" |", "  "))))
    row = next(r for r in plain.rows if r.key == "unable.not_held")
    assert "O" not in [t.raw for t in row.tokens]  # outside a grid a digital text's `O` is a letter


def test_a_group_heading_row_with_empty_cells_is_no_merged_row():
    text = _table3("| 三、本年度办理结果 | | | | | | | |", "| （一）予以公开 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |", upto=2)
    rows, _ = _rows(text)
    assert "results" not in rows
    assert rows["granted"] == ["1", "0", "0", "0", "0", "0", "1"]
