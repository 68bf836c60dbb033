"""The token classifier at run time: linearisation, windows, span decoding, and the shipped model
on the real seed reports (onnxruntime + numpy only)."""
from __future__ import annotations

import sys

import numpy as np
import pytest

from gongkai.extraction.document import Document, Segment, SourceKind
from gongkai.models.registry import extract, served_model
from gongkai.extraction.labelling import Labeller, Tag, bio_labels
from gongkai.models.token_classifier import (
    EMPTY, NL, SEG, WEIGHTS_DIR, ModelLabeller, decode_spans, linearise, window_owner, windows,
)
from tests.conftest import gold_for, seed_files

LABELS = bio_labels()
SHIPPED = (WEIGHTS_DIR / "token_classifier.json").exists()


def _doc(lines: list[list[str]]) -> Document:
    segs = [Segment(text=t, line=i) for i, cells in enumerate(lines) for t in cells]
    return Document(source_kind=SourceKind.html, segments=segs)


def test_linearise_marks_cells_lines_and_blank_cells():
    lin = linearise(_doc([["ab", "１2"], ["", "c d"]]))
    assert lin.keys == ["a", "b", SEG, "1", "2", NL, EMPTY, SEG, "c", " ", "d"]
    assert lin.where[3] == (1, 0) and lin.where[6] == (2, -1) and lin.where[2] == (-1, -1)


@pytest.mark.parametrize("n", [1, 100, 254, 255, 700, 2000])
def test_windows_cover_every_position_and_each_has_one_owner(n):
    wins = windows(n, 256, 192)
    assert wins[0][0] == 0 and wins[-1][1] == n
    assert all(b - a <= 254 for a, b in wins)
    owner = window_owner(n, wins)
    for i in range(n):
        a, b = wins[owner[i]]
        assert a <= i < b
    if len(wins) > 1:  # a position near a window's inner edge belongs to the next window
        assert owner[wins[0][1] - 2] == 1


def _probs(names: list[str]) -> np.ndarray:
    p = np.full((len(names), len(LABELS)), 1e-4, dtype=np.float32)
    for i, n in enumerate(names):
        p[i, LABELS.index(n)] = 1.0
    return p / p.sum(-1, keepdims=True)


def test_decode_merges_bio_into_keyed_spans_per_segment_and_splits_on_b():
    doc = _doc([["三、", "总计 12"], ["3 4", ""]])
    lin = linearise(doc)
    per_token = {  # by linear position
        0: "B-SECTION=3", 1: "I-SECTION=3",
        3: "B-T3_ROW=total", 4: "I-T3_ROW=total", 5: "O", 6: "B-VALUE", 7: "I-VALUE",
        9: "B-VALUE", 10: "O", 11: "B-VALUE",
    }
    names = [per_token.get(i, "O") for i in range(len(lin.keys))]
    spans = decode_spans(doc, lin, _probs(names), LABELS)
    got = [(s.segment, s.start, s.end, s.tag, s.key) for s in spans]
    assert got == [
        (0, 0, 2, Tag.SECTION, "3"),
        (1, 0, 2, Tag.T3_ROW, "total"),
        (1, 3, 5, Tag.VALUE, None),
        (2, 0, 1, Tag.VALUE, None),
        (2, 2, 3, Tag.VALUE, None),
        (3, 0, 0, Tag.VALUE, None),  # a blank cell once a table-3 row has begun
    ]
    assert all(0.95 < s.score <= 1.0 for s in spans)


def test_decode_starts_a_new_span_on_b_inside_a_run():
    """A squashed row (cells printed with no separator) is split where the network says B-."""
    doc = _doc([["1090000"]])
    lin = linearise(doc)
    names = ["B-VALUE", "I-VALUE", "B-VALUE", "B-VALUE", "I-VALUE", "B-VALUE", "B-VALUE"]
    spans = decode_spans(doc, lin, _probs(names), LABELS)
    assert [(s.start, s.end) for s in spans] == [(0, 2), (2, 3), (3, 5), (5, 6), (6, 7)]


@pytest.mark.parametrize("text", ["20", "1404.43"])
def test_decode_never_splits_short_numbers_or_amounts(text):
    doc = _doc([[text]])
    lin = linearise(doc)
    spans = decode_spans(doc, lin, _probs(["B-VALUE"] * len(text)), LABELS)
    assert [(s.start, s.end) for s in spans] == [(0, len(text))]


needs_model = pytest.mark.skipif(not SHIPPED, reason="no shipped model in models/weights")


@needs_model
def test_shipped_model_loads_without_torch():
    before = "torch" in sys.modules
    lab = ModelLabeller.load_default()
    assert isinstance(lab, Labeller)
    assert lab.version and lab.labels == LABELS
    if not before:
        assert "torch" not in sys.modules


@needs_model
@pytest.mark.parametrize("path", seed_files()[:1], ids=lambda p: p.name[:3])
def test_model_labels_a_seed_report_with_rows_and_values(path):
    from gongkai.extraction.ingest import read_document

    doc = read_document(path.read_bytes(), path.name)
    spans = served_model().label(doc).spans
    tags = {s.tag for s in spans}
    assert {Tag.SECTION, Tag.T3_ROW, Tag.VALUE, Tag.ORG, Tag.YEAR} <= tags
    assert sum(s.tag is Tag.VALUE for s in spans) >= 150
    assert {s.key for s in spans if s.tag is Tag.T3_ROW} >= {"new_received", "total", "carried_forward"}


@needs_model
@pytest.mark.parametrize("path", seed_files(), ids=lambda p: p.name[:3])
def test_seed_reports_are_extracted_exactly_with_the_model(path):
    gold = gold_for(path)
    result = extract(path, labeller="model")
    wrong = {k: (v, result.fields[k].value) for k, v in gold["fields"].items() if result.fields[k].value != v}
    assert wrong == {}
    assert (result.meta.org, result.meta.year) == (gold["meta"]["org"], gold["meta"]["year"])
    assert result.fingerprint.endswith(f"+model-{served_model().version}")


def test_decode_keeps_table3_rows_in_template_order():
    """A row label the network keys out of order is re-keyed to the best order-respecting key."""
    doc = _doc([["本年新收"], ["予以公开"], ["结转下年度"], ["部分公开"]])
    lin = linearise(doc)

    def row(key: str, n: int) -> list[str]:
        return [f"B-T3_ROW={key}"] + [f"I-T3_ROW={key}"] * (n - 1)

    probs = _probs(row("new_received", 4) + ["O"] + row("granted", 4) + ["O"] + row("carried_forward", 5) + ["O"]
                   + row("partial", 4))
    # the 3rd label is unsure: carried_forward (out of order) barely beats partial
    i0 = lin.keys.index("结")
    for k in range(i0, i0 + 5):
        bi = "B" if k == i0 else "I"
        probs[k] = 1e-4
        probs[k, LABELS.index(f"{bi}-T3_ROW=carried_forward")] = 0.5
        probs[k, LABELS.index(f"{bi}-T3_ROW=partial")] = 0.45
    spans = decode_spans(doc, lin, probs, LABELS)
    assert [s.key for s in spans] == ["new_received", "granted", "partial", "partial"]


def test_an_enumerator_is_never_a_value():
    from gongkai.models.token_classifier import _valid_meta

    doc = _doc([["1、属于国家秘密"]])
    lin = linearise(doc)
    probs = _probs(["B-VALUE"] + ["B-T3_ROW=denied.state_secret"] + ["I-T3_ROW=denied.state_secret"] * 6)
    spans = _valid_meta(doc, decode_spans(doc, lin, probs, LABELS))
    assert [s.tag for s in spans] == [Tag.NOISE, Tag.T3_ROW]


def test_fuse_rows_takes_the_networks_reading_only_of_rows_the_rules_lost():
    from gongkai.extraction.assemble import assemble
    from gongkai.extraction.labelling import LabelledDocument
    from gongkai.models.rules import RuleLabeller
    from gongkai.models.hybrid import fuse_rows

    doc = _doc([["三、收到和处理政府信息公开申请情况"],
                ["一、本年新收政府信息公开申请数量", "2", "1", "0", "0", "0", "0", "3"],
                ["二、上年结转政府信息公开申请数量", "0", "0", "0", "0", "0", "0", "0"],
                ["（一）予以公开", "1", "0", "0", "0", "0", "0", "1"]])
    truth = RuleLabeller().label(doc)
    assert [r.key for r in assemble(truth).rows] == ["new_received", "carried_over", "granted"]
    # the rules lose the first row's label (as on a garbled line) …
    lost = [s.model_copy(update={"tag": Tag.NOISE, "key": None}) if s.key == "new_received" else s
            for s in truth.spans]
    rules = LabelledDocument(document=doc, spans=lost)
    assert "new_received" not in {r.key for r in assemble(rules).rows}
    # … the network finds it, but reads the next row with a cell too few
    dropped = next(i for i, s in enumerate(truth.spans) if s.segment == 16)
    model = LabelledDocument(document=doc, spans=truth.spans[:dropped] + truth.spans[dropped + 1:])
    fused = assemble(fuse_rows(rules, model))
    got = {r.key: [t.raw for t in r.tokens] for r in fused.rows}
    assert got["new_received"] == ["2", "1", "0", "0", "0", "0", "3"]
    assert len(got["carried_over"]) == 7 and not fused.warnings  # the rules' own row is kept
    # and a network that finds nothing new changes nothing
    assert fuse_rows(truth, model).spans == truth.spans


class _NoNetwork:
    """An ONNX session stand-in that fails the test if the network is run."""

    def run(self, *_a, **_k):
        raise AssertionError("the network ran although the rules settle the report")


def _settling_doc() -> Document:
    from gongkai.extraction.ingest import read_document

    path = seed_files()[0]
    return read_document(path.read_bytes(), path.name)


@needs_model
@pytest.mark.skipif(not seed_files(), reason="../shared is not beside the repository")
def test_the_network_is_not_run_when_the_rules_read_every_row():
    from gongkai.models.rules import RuleLabeller
    from gongkai.models.hybrid import HybridLabeller, rules_settle
    from gongkai.models.token_classifier import WEIGHTS_DIR

    doc = _settling_doc()
    rules = RuleLabeller().label(doc)
    assert rules_settle(rules)
    network = ModelLabeller.from_dir(WEIGHTS_DIR)
    network._session = _NoNetwork()
    labelled = HybridLabeller(RuleLabeller(), network).label(doc)
    assert labelled.spans == rules.spans and labelled.labeller == "model"


@needs_model
@pytest.mark.skipif(not seed_files(), reason="../shared is not beside the repository")
def test_a_row_the_rules_lose_brings_the_network_in():
    from gongkai.models.rules import RuleLabeller
    from gongkai.models.hybrid import HybridLabeller, rules_settle
    from gongkai.models.token_classifier import WEIGHTS_DIR

    doc = _settling_doc()
    rules = RuleLabeller().label(doc)
    row = next(s for s in rules.spans if s.tag is Tag.T3_ROW and s.key == "granted")
    seg = doc.segments[row.segment]
    garbled = seg.model_copy(update={"text": seg.text[:row.start] + "□" * (row.end - row.start) + seg.text[row.end:]})
    doc2 = doc.model_copy(update={"segments": [garbled if i == row.segment else s
                                               for i, s in enumerate(doc.segments)]})
    assert not rules_settle(RuleLabeller().label(doc2))
    network = ModelLabeller.from_dir(WEIGHTS_DIR)
    network._session = _NoNetwork()
    with pytest.raises(AssertionError, match="the network ran"):
        HybridLabeller(RuleLabeller(), network).label(doc2)


def _real_and_seed_texts() -> list:
    from tests.conftest import REAL

    real = sorted(REAL.glob("*.txt")) + sorted(REAL.glob("*.html")) if REAL.exists() else []
    return seed_files() + real


@needs_model
@pytest.mark.parametrize("path", _real_and_seed_texts(), ids=lambda p: p.name[:24])
def test_skipping_the_network_never_changes_the_hybrid_labelling(path, monkeypatch):
    """Whether or not the network is skipped, the hybrid's spans are the same (the gate is exact)."""
    import gongkai.models.hybrid as hybrid
    from gongkai.extraction.ingest import read_document

    doc = read_document(path.read_bytes(), path.name)
    lab = served_model("hybrid")
    gated = lab.label(doc)
    monkeypatch.setattr(hybrid, "rules_settle", lambda _rules: False)
    assert lab.label(doc).spans == gated.spans


@needs_model
def test_the_served_model_is_the_network_composed_with_the_rules():
    """`models.registry` composes the hybrid (models/hybrid.py) from the two labellers; `pure` is
    the network alone. Neither reads GONGKAI_MODEL_MODE: the mode is a parameter."""
    from gongkai.models.hybrid import HybridLabeller
    from gongkai.models.rules import RuleLabeller

    network = ModelLabeller.load_default()
    hybrid = served_model()
    assert isinstance(hybrid, HybridLabeller) and isinstance(hybrid.rules, RuleLabeller)
    assert hybrid.network is network and hybrid.version == network.version + "+hybrid"
    assert hybrid.name == network.name == "model"
    assert served_model("pure") is network


@needs_model
@pytest.mark.parametrize("path", _real_and_seed_texts(), ids=lambda p: p.name[:24])
def test_leaving_the_narrative_unread_never_changes_the_hybrid_labelling(path, monkeypatch):
    """The hybrid with the network kept off the narrative sections labels every real report and seed
    as with the network over the whole text (the rules' settling gate off, so it runs): the same spans
    with the same tags, scores within 0.05 — the shipped network is quantised dynamically (activation
    scales per batch), so a window's probabilities move a little with the windows batched beside it."""
    import gongkai.models.hybrid as hybrid
    from gongkai.extraction.ingest import read_document

    doc = read_document(path.read_bytes(), path.name)
    lab = served_model("hybrid")
    monkeypatch.setattr(hybrid, "rules_settle", lambda _rules: False)
    skipped = lab.label(doc)
    monkeypatch.setattr(hybrid, "narrative_bodies", lambda _rules: [])
    whole = lab.label(doc)
    same = lambda spans: [s.model_copy(update={"score": 0.0}) for s in spans]  # noqa: E731
    assert same(whole.spans) == same(skipped.spans)
    assert max((abs(a.score - b.score) for a, b in zip(whole.spans, skipped.spans)), default=0.0) < 0.05



@needs_model
@pytest.mark.parametrize("path", _real_and_seed_texts(), ids=lambda p: p.name[:24])
def test_the_batch_size_never_changes_an_extraction(path, monkeypatch):
    """The network runs its windows a few at a time (`BATCH`) for a fast first call. Batched 16 at a
    time, as it was first served, it gives every real report and seed the same result (the rules'
    settling gate off, so the network runs): the same values, confidences and review flag. Its raw
    labelling may differ in a character or two (activations are quantised per call); the fusion with
    the rules and the reconciliation absorb that, and this checks they do."""
    import gongkai.models.hybrid as hybrid
    from gongkai.models.token_classifier import BATCH

    network = ModelLabeller.load_default()
    assert network.batch == BATCH < 16
    monkeypatch.setattr(hybrid, "rules_settle", lambda _rules: False)
    small = extract(path)
    monkeypatch.setattr(network, "batch", 16)
    large = extract(path)
    cells = lambda r: {k: (f.value, f.raw, f.confidence) for k, f in r.fields.items()}  # noqa: E731
    assert cells(small) == cells(large)
    assert small.needs_review == large.needs_review

def _sections(*keys_and_tables: str) -> "LabelledDocument":
    """A hand-built rule labelling: one segment per item, `S<k>` a section-k heading, `V` a value."""
    from gongkai.extraction.labelling import LabelledDocument, Span

    items = list(keys_and_tables)
    doc = _doc([[f"text {i}"] for i in range(len(items))])
    spans = []
    for i, item in enumerate(items):
        if item.startswith("S"):
            spans.append(Span(segment=i, start=0, end=6, tag=Tag.SECTION, key=item[1:]))
        elif item == "V":
            spans.append(Span(segment=i, start=0, end=4, tag=Tag.VALUE))
        else:
            spans.append(Span(segment=i, start=0, end=6, tag=Tag.NARRATIVE))
    return LabelledDocument(document=doc, spans=spans)


def test_the_narrative_is_the_body_of_section_one_and_all_from_section_five():
    from gongkai.models.hybrid import narrative_bodies

    lab = _sections("T", "S1", "N", "N", "S2", "V", "S3", "V", "S4", "V", "S5", "N", "S6", "N")
    assert narrative_bodies(lab) == [((1, 6), (4, 0)), ((10, 6), (14, 0))]


@pytest.mark.parametrize("items, kept", [
    (("S1", "N", "S2", "V", "S4", "V", "S5", "N"), 0),  # section 3's heading not found: nothing is skipped
    (("S1", "N", "S3", "V", "S2", "V", "S4", "V", "S5", "N"), 0),  # headings out of order
    (("S1", "N", "V", "S2", "V", "S3", "V", "S4", "V", "S5", "N"), 1),  # a value in section 1's body: read it
    (("S1", "N", "S2", "V", "S3", "V", "S4", "V", "S5", "V"), 1),  # a value after section 5's heading
    (("S1", "N", "S2", "V", "S3", "V", "S4", "V"), 1),  # no section 5: only section 1's body
])
def test_the_narrative_is_left_unread_only_where_the_rules_are_sure_of_it(items, kept):
    from gongkai.models.hybrid import narrative_bodies

    assert len(narrative_bodies(_sections(*items))) == kept


class _CountingSession:
    """Stands in for the ONNX session: logits that name each window's first id, and a count of rows run."""

    def __init__(self, n_labels: int):
        self.n_labels, self.rows = n_labels, 0

    def run(self, _names, feeds):
        x = feeds["input_ids"]
        self.rows += len(x)
        logits = np.zeros((*x.shape, self.n_labels), dtype=np.float32)
        logits[..., 1] = 5.0  # every position: label 1
        return [logits]


@needs_model
def test_a_window_inside_the_narrative_is_not_run_and_reads_as_narrative():
    from gongkai.models.token_classifier import WEIGHTS_DIR

    network = ModelLabeller.from_dir(WEIGHTS_DIR)
    network._session = session = _CountingSession(len(network.labels))
    n = 6 * network.max_len
    ids = np.ones(n, dtype=np.int64)
    wins = windows(n, network.max_len, network.stride)
    full = network.probabilities(ids)
    assert session.rows == len(wins)
    known = np.zeros(n, dtype=bool)
    known[network.max_len:4 * network.max_len] = True
    session.rows = 0
    part = network.probabilities(ids, known)
    inside = [w for w, (a, b) in enumerate(wins) if known[a:b].all()]
    assert inside and session.rows == len(wins) - len(inside)
    narrative = network.labels.index("I-NARRATIVE")
    unread = np.isin(window_owner(n, wins), inside)
    assert (part[unread].argmax(1) == narrative).all() and np.array_equal(part[~unread], full[~unread])
