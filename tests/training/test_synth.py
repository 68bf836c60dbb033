"""The synthetic corpus: gold satisfies the 勾稽 constraints (except injected source errors),
labels align to characters, and the same seed gives the same bytes."""
from __future__ import annotations

import json
import re

import pytest

from gongkai.extraction import fields as F
from gongkai.extraction.labelling import all_labels
from gongkai.training.synth.content import OTHER_FIELDS, violated
from gongkai.training.synth.corpus import generate, make_sample
from gongkai.training.synth.layouts import LAYOUTS
from gongkai.training.synth.sample import SampleSpec, make_html, make_text

LABELS = set(all_labels())
MIXED = SampleSpec(noise={"clean": 1, "light": 1, "heavy": 1}, source_error_rate=0.3, merged_other_rate=0.2)


@pytest.fixture(scope="module")
def text_samples():
    return [make_text(11, i, MIXED) for i in range(150)]


@pytest.fixture(scope="module")
def html_samples():
    return [make_html(12, i, MIXED) for i in range(30)]


def _merged(gold):
    return gold.get("merged_rows", {}).get("t3.other")


def test_gold_satisfies_constraints_except_listed_source_errors(text_samples):
    n_err = 0
    for s in text_samples:
        g = s.gold
        assert set(g["fields"]) | set(g["missing"]) == set(F.ALL_FIELDS)
        assert violated(g["fields"], _merged(g)) == g["source_errors"]
        n_err += bool(g["source_errors"])
    assert 0 < n_err < len(text_samples)


def test_clean_reports_satisfy_all_42_constraints():
    assert len(F.CONSTRAINTS) == 42
    for i in range(100):
        g = make_text(3, i, SampleSpec(source_error_rate=0.0)).gold
        assert g["source_errors"] == [] and violated(g["fields"], _merged(g)) == []


def test_merged_other_row_drops_the_21_other_fields():
    g = make_text(4, 0, SampleSpec(merged_other_rate=1.0)).gold
    assert sorted(g["missing"]) == sorted(OTHER_FIELDS) and len(g["missing"]) == 21
    assert not set(g["missing"]) & set(g["fields"])


def _check_spans(text, spans):
    prev_end = 0
    for sp in spans:
        s, e, name = sp[:3]
        assert 0 <= s < e <= len(text), sp
        assert s >= prev_end, f"overlapping spans at {sp}"
        assert name in LABELS, name
        if len(sp) == 4:
            assert name == "VALUE" and sp[3] in F.ALL_FIELDS
        prev_end = e


def _value_of(fid, text):
    return float(text) if fid == "t2.fees.amount" else int(text)


def test_labels_are_in_bounds_non_overlapping_and_known(text_samples, html_samples):
    for s in text_samples + html_samples:
        _check_spans(s.text, s.spans)


def test_value_spans_parse_to_their_gold_value(text_samples, html_samples):
    checked = 0
    for s in text_samples + html_samples:
        altered = set(s.gold["noise"]["altered"])
        for sp in s.spans:
            if len(sp) == 4 and sp[3] not in altered:
                assert _value_of(sp[3], s.text[sp[0]:sp[1]]) == s.gold["fields"][sp[3]], (s.id, sp)
                checked += 1
    assert checked > 10000


def test_every_printed_field_has_a_value_span_unless_collapsed_or_dropped(text_samples):
    for s in text_samples:
        n = s.gold["noise"]
        seen = {sp[3] for sp in s.spans if len(sp) == 4}
        lost = set(n["collapsed"]) | set(n["dropped"])
        assert set(s.gold["fields"]) - seen <= lost, s.id


def test_structural_labels_present(text_samples):
    for s in text_samples[:40]:
        names = {sp[2] for sp in s.spans}
        assert {"ORG", "NARRATIVE", "SECTION=3", "T3_ROW=granted", "T3_COL=natural_person"} <= names, s.id


def test_each_layout_family_is_produced(text_samples):
    produced = {s.gold["layout"] for s in text_samples}
    assert produced == set(LAYOUTS), set(LAYOUTS) - produced
    assert {s.gold["layout"] for s in [make_html(12, i, MIXED) for i in range(40)]} == {"site", "fragment", "word"}


def test_same_seed_same_bytes_different_seed_differs():
    for kind in ("text", "html"):
        a, b = make_sample(kind, 7, 3, MIXED), make_sample(kind, 7, 3, MIXED)
        assert a.text == b.text and a.spans == b.spans and a.gold == b.gold and a.data == b.data
        assert make_sample(kind, 8, 3, MIXED).text != a.text
        assert make_sample(kind, 7, 4, MIXED).text != a.text


def test_html_bytes_decode_to_labelled_text(html_samples):
    encs = set()
    for s in html_samples:
        encs.add(s.gold["encoding"])
        assert s.data.decode(s.gold["encoding"]) == s.text
        if s.gold["layout"] == "fragment":
            assert "<html" not in s.text
    assert {"utf-8"} < encs


def test_corpus_files_round_trip(tmp_path):
    rows = generate(tmp_path, 3, ["text", "html"], 5, lambda k: MIXED)
    assert len(rows) == 6
    for r in rows:
        gold = json.loads((tmp_path / f"{r['id']}.gold.json").read_text("utf-8"))
        lab = json.loads((tmp_path / f"{r['id']}.labels.json").read_text("utf-8"))
        text = (tmp_path / r["file"]).read_bytes().decode(lab["encoding"])
        assert len(text) == lab["length"]
        _check_spans(text, lab["spans"])
        assert gold["kind"] == r["kind"] and "noise" in gold and "missing" in gold
    again = tmp_path / "again"
    generate(again, 3, ["text", "html"], 5, lambda k: MIXED)
    for r in rows:
        assert (again / r["file"]).read_bytes() == (tmp_path / r["file"]).read_bytes()


def _fonts():
    from gongkai.training.synth.pdf import fonts_available

    return fonts_available()


@pytest.mark.usefixtures("cjk_font")
def test_pdf_is_deterministic_and_has_text_layer():
    import pypdfium2 as pdfium

    a, b = make_sample("pdf", 1, 0, SampleSpec()), make_sample("pdf", 1, 0, SampleSpec())
    assert a.data == b.data and a.data.startswith(b"%PDF")
    doc = pdfium.PdfDocument(a.data)
    text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    assert "本年新收政府信息公开申请数量" in text and a.gold["meta"]["org"] in text.replace("\n", "")
    assert a.gold["pdf"]["t3_pages"]


@pytest.mark.usefixtures("cjk_font")
def test_scan_is_image_only_pdf_with_degradation_gold():
    import pypdfium2 as pdfium

    s = make_sample("scan", 1, 0, SampleSpec(dpi=(100,)))
    assert s.gold["dpi"] == 100 and s.gold["degradation"]["pages"]
    doc = pdfium.PdfDocument(s.data)
    assert len(doc) == len(s.gold["degradation"]["pages"])
    assert doc[0].get_textpage().get_text_range().strip() == ""
    assert make_sample("scan", 1, 0, SampleSpec(dpi=(100,))).data == s.data


# ---- the real-world families (training/synth/layouts/crawled.py, converted.py) ------------------

def _family(layout, n=40, seed=21):
    return [make_text(seed, i, SampleSpec(layouts={layout: 1}, noise={"clean": 1}, merged_other_rate=0.1))
            for i in range(n)]


def _ops(samples):
    out = set()
    for s in samples:
        out |= {k for k, v in s.gold["noise"]["ops"].items() if v}
    return out


def _zeroed(gold):
    """Gold values with printed-blank cells (None) counted as 0, as the sums count them."""
    return {k: (0 if v is None else v) for k, v in gold["fields"].items()}


def _body_lines(text):
    return text.split("\n")


@pytest.mark.parametrize("layout", ["collapsed", "spanline", "squashed_page", "converter_md", "ocr_md"])
def test_family_gold_holds_labels_align_and_bytes_repeat(layout):
    samples = _family(layout, 25)
    for s in samples:
        g = s.gold
        assert g["layout"] == layout
        assert set(g["fields"]) | set(g["missing"]) == set(F.ALL_FIELDS)
        assert violated(g["fields"], _merged(g)) == violated(_zeroed(g), _merged(g)) == g["source_errors"] == []
        _check_spans(s.text, s.spans)
        altered = set(g["noise"]["altered"])
        seen = set()
        for sp in s.spans:
            if len(sp) == 4:
                seen.add(sp[3])
                if sp[3] not in altered:
                    assert _value_of(sp[3], s.text[sp[0]:sp[1]]) == g["fields"][sp[3]], (s.id, sp)
        assert set(g["fields"]) - seen <= set(g["noise"]["collapsed"]), s.id
    again = make_text(21, 3, SampleSpec(layouts={layout: 1}, noise={"clean": 1}, merged_other_rate=0.1))
    assert again.text == samples[3].text and again.spans == samples[3].spans and again.gold == samples[3].gold


def _t3_rows(text):
    """(label line, the lines up to the next label) for each table-3 row label of a one-cell-per-line text."""
    lines = [ln.strip() for ln in text.splitlines()]
    a = next(i for i, ln in enumerate(lines) if "本年新收政府信息公开申请数量" in ln)
    b = next(i for i, ln in enumerate(lines) if i > a and "政府信息公开行政复议" in ln)
    return lines[a:b]


def test_collapsed_prints_runs_once_and_breaks_labels_over_lines():
    samples = _family("collapsed")
    for s in samples:
        lines = [ln for ln in s.text.split("\n") if ln.strip()]
        assert all(a != b for a, b in zip(lines, lines[1:])), s.id  # no run of equal lines survives
        g = s.gold["fields"]
        if all(g[f"t4.{x}"] == 0 for x in ("review.total", "litigation_direct.total", "litigation_after_review.total")):
            tail = lines[lines.index(next(ln for ln in lines if ln.startswith("复议后起诉"))):]
            assert sum(ln == "0" for ln in tail[:40]) == 1, s.id  # an all-zero table 4 is one 0
        zero_rows = [r for r in F.T3_ROWS if all(g.get(f"t3.{r}.{c}", 1) == 0 for c in F.T3_COLUMNS)]
        if zero_rows:
            assert set(s.gold["noise"]["collapsed"]) >= {f"t3.{zero_rows[0]}.total"}
    assert {"header_split", "enum_line", "broken_label", "interleaved_group_label", "row_twice",
            "partial_split"} <= _ops(samples)
    broken = next(s for s in samples if s.gold["noise"]["ops"].get("interleaved_group_label"))
    rows = _t3_rows(broken.text)
    # a group label around its first sub-row: （三） / 不予 / [1. /] 属于国家秘密 / 公开
    i = next(k for k, ln in enumerate(rows) if ln.rstrip() in ("（三）", "(三)", "（四）", "(四)", "（五）", "(五)",
                                                              "（六）", "(六)"))
    assert rows[i + 1] and not rows[i + 1][0].isdigit() and len(rows[i + 1]) < 4
    enum = next(s for s in samples if s.gold["noise"]["ops"].get("enum_line"))
    assert any(ln in ("1.", "1. ", "1、") for ln in enum.text.split("\n"))


def test_collapsed_table2_remnants_leave_the_rules_row_unprinted():
    samples = _family("collapsed", 80)
    no_rules = [s for s in samples if s.gold["noise"]["ops"].get("t2_no_rules_row")]
    assert no_rules
    for s in no_rules:
        assert set(T2_RULES) <= set(s.gold["missing"]) and not set(T2_RULES) & set(s.gold["fields"])
        t2 = s.text[s.text.index("第二十条"):s.text.index("第二十条第（五）项") if "第二十条第（五）项" in s.text else None]
        assert "\n规章\n" not in t2
    assert any("\n规范性文件\n" in s.text for s in samples)


T2_RULES = ("t2.rules.issued", "t2.rules.repealed", "t2.rules.in_force")


def test_spanline_is_crlf_with_numbers_over_two_spans():
    samples = _family("spanline")
    split = 0
    for s in samples:
        assert "\n" not in s.text.replace("\r\n", "")
        by_field: dict = {}
        for sp in s.spans:
            if len(sp) == 4:
                by_field.setdefault(sp[3], []).append(sp)
        for fid, sps in by_field.items():
            if len(sps) == 2 and fid in s.gold["noise"]["altered"]:  # one cell, two spans: 1 / 62 = 162
                a, b = sps
                assert s.text[a[1]:b[0]] == "\r\n"
                assert _value_of(fid, s.text[a[0]:a[1]] + s.text[b[0]:b[1]]) == s.gold["fields"][fid]
                split += 1
    assert split >= 10
    assert any("\r\n1.\r\n" in s.text for s in samples)


def test_squashed_page_is_one_line_with_cells_concatenated():
    samples = _family("squashed_page", 20)
    for s in samples:
        head, body = s.text.split("正文 " + "=" * 20 + "\n")
        assert body.count("\n") == 1 and body.endswith("\n")
        vals = [sp for sp in s.spans if len(sp) == 4]
        row = [sp for sp in vals if sp[3].startswith("t3.new_received.")]
        assert all(a[1] == b[0] for a, b in zip(row, row[1:])), s.id  # 80|1|0|0|0|0|81 as 801000081
        assert re.search("数量 ?" + "".join(s.text[a:b] for a, b, *_ in row), s.text)
        t4 = [sp for sp in vals if sp[3].startswith("t4.")]
        assert len(t4) == 15


def _table_rows(text):
    return [ln for ln in text.splitlines() if ln.startswith("|")]


def test_converter_markdown_phenomena():
    samples = _family("converter_md")
    assert {"label_wrapped", "label_detached", "vertical_label_split", "t2_reordered", "t4_header_merged",
            "value_pushed_out", "footer_row", "footer_line"} <= _ops(samples)
    for s in samples:
        ops = s.gold["noise"]["ops"]
        rows = _table_rows(s.text)
        if ops.get("t4_header_merged"):
            widths = [ln.count("|") - 1 for ln in rows]
            assert any(a == 12 and b == 15 for a, b in zip(widths, widths[1:])), s.id  # 12 labels over 15 numbers
        if ops.get("value_pushed_out"):
            outside = [sp for sp in s.spans if len(sp) == 4
                       and not s.text[s.text.rfind("\n", 0, sp[0]) + 1:].startswith("|")]
            assert len(outside) == 1, s.id
        if ops.get("footer_line") or ops.get("footer_row"):
            assert re.search(r"— \d —", s.text)
        if ops.get("t2_reordered"):
            order = [s.text.index(a) for a in ("第二十条第（一）项", "第二十条第（五）项", "第二十条第（六）项",
                                               "第二十条第（八）项") if a in s.text]
            assert order != sorted(order) or len(order) < 4


def test_ocr_markdown_phenomena():
    samples = _family("ocr_md")
    assert {"t3_cut", "wrong_header", "dash_cell", "t4_pieces", "misread"} <= _ops(samples)
    for s in samples:
        ops = s.gold["noise"]["ops"]
        if ops.get("t3_cut"):
            assert re.search(r"\| (数据|列|Column )1 \|", s.text)
        if ops.get("dash_cell"):
            dashed = [sp for sp in s.spans if len(sp) == 4 and s.text[sp[0]:sp[1]] == "-"]
            assert dashed and all(s.gold["fields"][sp[3]] is None for sp in dashed)
        if ops.get("t4_pieces"):
            tables = [t for t in s.text.split("\n\n") if t.startswith("|") and "T4" in "".join(
                sp[2] for sp in s.spans if s.text.find(t) <= sp[0] < s.text.find(t) + len(t))]
            assert len(tables) == 3, s.id  # 行政复议 / 未经复议直接起诉 / 复议后起诉, each a table


def test_heavy_ocr_noise_prints_accented_zeros_and_page_numbers_missing_a_dash():
    """Two things real scans show: a speck over a lone 0 read `ó` (the digit, altered, still the
    field's value span) and a page number whose dash the recogniser lost (`-3`, a NOISE line)."""
    from gongkai.extraction.digitlike import as_digits

    samples = [make_text(5, i, SampleSpec(noise={"heavy": 1})) for i in range(40)]
    accented = [(s, sp) for s in samples for sp in s.spans
                if len(sp) == 4 and "ó" in s.text[sp[0]:sp[1]]]
    assert accented and all(sp[3] in s.gold["noise"]["altered"] and sp[2] == "VALUE" for s, sp in accented)
    assert all(int(as_digits(s.text[sp[0]:sp[1]])) == s.gold["fields"][sp[3]] for s, sp in accented)
    folios = [(s, m) for s in samples for m in re.finditer(r"^[ \t]*(-\d|\d—)[ \t]*$", s.text, re.M)]
    assert folios
    for s, m in folios:
        covering = [sp for sp in s.spans if sp[0] <= m.start(1) < sp[1]]
        assert all(sp[2] == "NOISE" for sp in covering)
