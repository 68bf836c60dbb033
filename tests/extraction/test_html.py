"""The HTML reader: decoding, flow text, and table cells on the resolved grid."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from gongkai.extraction.document import Document, SourceKind
from gongkai.extraction.ingest.html import HtmlReadError, read_html
from gongkai.extraction.template import T3_COLUMNS, T4_FIELDS_IN_ORDER

FIXTURES = Path(__file__).parent / "fixtures" / "html"
REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
REAL_PAGES = ["putian_chengguanju_2024", "putian_shenjiju_2024"]


def rows(doc: Document, table: int) -> dict[int, list[tuple[int, str]]]:
    """{row: [(col, text), …]} for one table."""
    out: dict[int, list[tuple[int, str]]] = {}
    for seg in doc.segments:
        if seg.table == table:
            out.setdefault(seg.row, []).append((seg.col, seg.text))
    return out


def row_with(doc: Document, label: str) -> list[tuple[int, str]]:
    """The cells of the (single) table row that has a cell containing `label`."""
    found = [cells for t in {s.table for s in doc.segments if s.table is not None}
             for cells in rows(doc, t).values() if any(label in text for _, text in cells)]
    assert len(found) == 1, f"{label!r} is in {len(found)} rows"
    return found[0]


def flow_lines(doc: Document) -> list[str]:
    return [s.text for s in doc.segments if s.table is None]


# ---- table 3: rowspan label columns, colspan header ---------------------------------------------

@pytest.fixture(scope="module")
def table3() -> Document:
    return read_html((FIXTURES / "table3_word.html").read_bytes(), "table3_word.html")


def test_table3_header_is_placed_on_the_grid(table3):
    header = rows(table3, 0)
    assert header[0] == [(0, "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"),
                         (3, "申请人情况")]  # Word's trailing empty border cell is dropped
    assert header[1] == [(3, "自然人"), (4, "法人或其他组织"), (9, "总计")]
    # labels split over several <p> (or a <br>) inside one cell are one label
    assert header[2] == [(4, "商业企业"), (5, "科研机构"), (6, "社会公益组织"),
                         (7, "法律服务机构"), (8, "其他")]


def test_table3_every_data_row_is_labels_then_seven_values(table3):
    data_rows = [cells for r, cells in rows(table3, 0).items() if r >= 3]
    assert len(data_rows) == 25
    for cells in data_rows:
        labels, values = cells[:-7], cells[-7:]
        assert [c for c, _ in values] == list(range(3, 10)), cells
        assert labels and all(c < 3 and text for c, text in labels), cells


def test_table3_rowspan_labels_appear_once_in_their_first_row(table3):
    texts = [s.text for s in table3.segments if s.table == 0]
    assert texts.count("三、本年度办理结果") == 1
    assert texts.count("（三）不予公开") == 1
    assert row_with(table3, "（一）予以公开")[:2] == [(0, "三、本年度办理结果"), (1, "（一）予以公开")]
    assert row_with(table3, "1.属于国家秘密")[:2] == [(1, "（三）不予公开"), (2, "1.属于国家秘密")]
    assert row_with(table3, "2.其他法律行政法规禁止公开")[0] == (2, "2.其他法律行政法规禁止公开")
    assert row_with(table3, "1.本机关不掌握相关政府信息")[0] == (1, "（四）无法提供")


def test_table3_values_and_ragged_rows(table3):
    values = [t for _, t in row_with(table3, "本年新收政府信息公开申请数量")[1:]]
    assert values == ["5", "1", "0", "0", "2", "0", "8"]
    # 三、… spans only down to (六); (七)总计 then restarts at column 0 with colspan 3
    assert row_with(table3, "（七）总计") == [(0, "（七）总计"), (3, "5"), (4, "1"), (5, "0"), (6, "0"),
                                             (7, "1"), (8, "0"), (9, "7")]
    assert row_with(table3, "（二）部分公开")[0] == (1, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）")


def test_printed_blank_value_is_kept_as_empty_text(table3):
    assert row_with(table3, "3.其他")[1:4] == [(3, "0"), (4, "0"), (5, "")]


def test_table_rows_are_lines_and_text_before_the_table_is_its_own_line(table3):
    assert flow_lines(table3) == ["三、收到和处理政府信息公开申请情况"]
    for line in table3.lines()[1:]:
        assert len({(table3.segments[i].table, table3.segments[i].row) for i in line}) == 1
    assert table3.source_kind is SourceKind.html and table3.name == "table3_word.html"
    assert all(s.span is None for s in table3.segments)


# ---- table 4: two header rows -------------------------------------------------------------------

@pytest.fixture(scope="module")
def table4() -> Document:
    return read_html((FIXTURES / "table4_two_headers.html").read_bytes())


def test_table4_headers_on_the_grid(table4):
    grid = rows(table4, 0)
    assert grid[0] == [(0, "行政复议"), (5, "行政诉讼")]
    assert grid[1] == [(0, "结果维持"), (1, "结果纠正"), (2, "其他结果"), (3, "尚未审结"), (4, "总计"),
                       (5, "未经复议直接起诉"), (10, "复议后起诉")]
    assert [c for c, _ in grid[2]] == list(range(5, 15))
    assert [t for _, t in grid[2]] == ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 2


def test_table4_value_row_has_fifteen_cells_in_order(table4):
    assert rows(table4, 0)[3] == list(enumerate("2 1 0 1 4 0 1 0 0 1 1 0 0 0 1".split()))


def test_title_hint_from_title_element(table4):
    assert table4.title_hint == "某县审计局2024年政府信息公开工作年度报告"
    assert flow_lines(table4) == ["四、政府信息公开行政复议、行政诉讼情况"]  # <title>/<style> not text


# ---- decoding -----------------------------------------------------------------------------------

PAGE = ("<p>莆田市审计局2024年政府信息公开工作年度报告</p>"
        "<table><tr><td>一、本年新收政府信息公开申请数量</td><td>3</td></tr></table>")


def test_gbk_page_without_charset_declaration():
    doc = read_html(PAGE.encode("gbk"))
    assert flow_lines(doc) == ["莆田市审计局2024年政府信息公开工作年度报告"]
    assert row_with(doc, "本年新收")[1] == (1, "3")


def test_gb2312_declared_in_meta_with_gbk_only_characters():
    page = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
            "<title>朱镕基路街道办事处年度报告</title></head><body><p>朱镕基路街道</p></body></html>")
    doc = read_html(page.encode("gbk"))  # 镕 is GBK but not GB2312: decoded with the superset
    assert doc.title_hint == "朱镕基路街道办事处年度报告"
    assert flow_lines(doc) == ["朱镕基路街道"]


def test_stale_gb2312_declaration_on_utf8_bytes():
    page = '<meta charset="gb2312"><p>政府信息公开工作年度报告</p>'
    assert flow_lines(read_html(page.encode("utf-8"))) == ["政府信息公开工作年度报告"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "gb18030"])
def test_bom_and_other_encodings(encoding):
    assert row_with(read_html(PAGE.encode(encoding)), "本年新收")[1] == (1, "3")


def test_fragment_without_html_wrapper_with_style_and_nested_divs():
    page = ('<div class=TRS_Editor><style type="text/css">.TRS_Editor P{font-size:12pt;}</style>'
            '<div class="TRS_Editor"><style>p{}</style><div><div><p>　　一、总体情况</p>'
            "<p>&nbsp;</p><p>　　2024年，我局<strong>主动公开</strong>信息24条。</p></div></div></div></div>")
    assert flow_lines(read_html(page.encode("utf-8"))) == ["一、总体情况", "2024年，我局主动公开信息24条。"]


def test_hidden_elements_scripts_and_comments_are_dropped():
    page = ("<div><script>var a='不要';</script><!-- 注释 --><p>正文</p>"
            '<div id="qb-sougou-search" style="display: none; opacity: 0;"><p>翻译</p></div>'
            '<p style="DISPLAY:NONE">隐藏</p><p hidden>也隐藏</p></div>')
    assert flow_lines(read_html(page.encode("utf-8"))) == ["正文"]


def test_br_splits_lines_and_whitespace_rules():
    page = "<p>标题：某局2024年度报告<br>第一行<br/>Word  export 2024 年\n 总 计</p><h2>二、主动公开</h2>"
    doc = read_html(page.encode("utf-8"))
    assert flow_lines(doc) == ["标题：某局2024年度报告", "第一行", "Word export 2024 年总计", "二、主动公开"]
    assert [s.line for s in doc.segments] == [0, 1, 2, 3]
    assert doc.title_hint == "某局2024年度报告"


def test_title_hint_from_h1():
    doc = read_html("<h1>某市2024年政府信息公开工作年度报告</h1><p>正文</p>".encode("utf-8"))
    assert doc.title_hint == "某市2024年政府信息公开工作年度报告"


def test_leading_empty_cells_are_layout():
    page = "<table><tr><td>名称</td><td>值</td><td>备注</td></tr><tr><td></td><td>5</td><td> </td></tr></table>"
    assert rows(read_html(page.encode("utf-8")), 0)[1] == [(1, "5"), (2, "")]


def test_nested_layout_table_is_flattened_not_duplicated():
    page = ("<table><tr><td>导航</td><td><p>三、收到和处理政府信息公开申请情况</p>"
            "<table><tr><td>总计</td><td>7</td></tr></table></td></tr></table>")
    doc = read_html(page.encode("utf-8"))
    assert [(s.table, s.row, s.col, s.text) for s in doc.segments] == [
        (0, 0, 0, "导航"),
        (None, None, None, "三、收到和处理政府信息公开申请情况"),
        (1, 0, 0, "总计"), (1, 0, 1, "7"),
    ]


def test_cell_holding_a_whole_article_is_read_as_paragraphs():
    paragraphs = ["一、总体情况", "2024年，本机关" + "认真贯彻落实政府信息公开条例" * 20, "二、主动公开政府信息情况"]
    page = "<table><tr><td>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</td></tr></table>"
    assert flow_lines(read_html(page.encode("utf-8"))) == paragraphs


@pytest.mark.parametrize("data", [
    bytes(range(256)) * 8,
    random.Random(0).randbytes(4096),
    bytes(b for b in random.Random(1).randbytes(4096) if b),  # no NUL bytes to give it away
    b"\x89PNG\r\n\x1a\n" + random.Random(2).randbytes(512),
], ids=["all-bytes", "random", "random-no-nul", "png"])
def test_binary_garbage_raises(data):
    with pytest.raises(HtmlReadError):
        read_html(data)


@pytest.mark.parametrize("page", [b"", b"   \n", b"<!-- only a comment -->", b"<html><body><script>x()</script>"
                                  b'<div style="display:none">a</div><p>&nbsp;</p></body></html>'])
def test_page_without_text_raises(page):
    with pytest.raises(HtmlReadError):
        read_html(page)


# ---- the real pages ------------------------------------------------------------------------------

@pytest.fixture(scope="module", params=REAL_PAGES)
def real(request) -> tuple[Document, dict]:
    html = REAL / f"{request.param}.html"
    if not html.exists():
        pytest.skip(f"real data not available at {REAL} (../shared is not mounted)")
    gold = json.loads((REAL / f"{request.param}.gold.json").read_text("utf-8"))["fields"]
    return read_html(html.read_bytes(), html.name), gold


def test_real_table3_new_received_row(real):
    doc, gold = real
    cells = row_with(doc, "本年新收政府信息公开申请数量")
    assert [int(t) for _, t in cells[1:]] == [gold[f"t3.new_received.{c}"] for c in T3_COLUMNS]
    assert [c for c, _ in cells[1:]] == list(range(3, 10))


def test_real_table4_value_row(real):
    doc, gold = real
    table = next(s.table for s in doc.segments if s.text == "复议后起诉")
    values = rows(doc, table)[max(rows(doc, table))]
    assert [c for c, _ in values] == list(range(15))
    assert [int(t) for _, t in values] == [gold[f] for f in T4_FIELDS_IN_ORDER]


def test_real_page_drops_styles_and_the_hidden_search_widget(real):
    doc, _ = real
    text = "".join(s.text for s in doc.segments)
    assert "TRS_Editor" not in text and "翻译" not in text
    assert flow_lines(doc)[-1] == "（此件主动公开）"
