"""The synthetic corpus: gold satisfies the 勾稽 constraints (except injected source errors),
labels align to characters, and the same seed gives the same bytes."""
from __future__ import annotations

import json

import pytest

from extraction import fields as F
from models.labels import all_labels
from training.synth.content import OTHER_FIELDS, violated
from training.synth.corpus import generate, make_sample
from training.synth.layouts import LAYOUTS
from training.synth.sample import SampleSpec, make_html, make_text

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
    from training.synth.pdf import fonts_available

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
