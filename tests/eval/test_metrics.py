"""The benchmark metrics on hand-made documents whose answers are known by counting."""
from __future__ import annotations

import pytest

from gongkai.eval import metrics as M
from tests.eval.fakes import gold, result


def test_field_accuracy_skips_missing_and_treats_blank_as_null():
    g = gold({"t2.a": 1, "t3.b": 2, "t3.c": None, "t4.d": 5}, missing={"t4.d"})
    r = result({"t2.a": 1, "t3.b": 3, "t3.c": None, "t4.d": 0})
    assert M.field_accuracy([(r, g)]) == pytest.approx(2 / 3)
    assert M.table_accuracy([(r, g)]) == {"t2": 1.0, "t3": 0.5, "t4": None}


def test_blank_is_not_zero_and_floats_compare_to_a_millionth():
    g = gold({"t2.fees": 12.5, "t2.a": 0, "t2.b": None})
    r = result({"t2.fees": 12.5000001, "t2.a": None, "t2.b": 0})
    assert M.field_accuracy([(r, g)]) == pytest.approx(1 / 3)


def test_a_failed_document_counts_every_field_wrong():
    g = gold({"t2.a": 1, "t2.b": 2})
    ok = result({"t2.a": 1, "t2.b": 2})
    assert M.field_accuracy([(ok, g), (None, g)]) == 0.5
    assert M.document_exact([(ok, g), (None, g)]) == 0.5


def test_document_exact_needs_exactly_the_gold_source_errors():
    g = gold({"t4.a": 3}, source_errors={"t4.review"})
    right = result({"t4.a": 3}, violations=[("t4.review", "source_error")])
    extra = result({"t4.a": 3}, violations=[("t4.review", "source_error"), ("t4.total", "source_error")])
    silent = result({"t4.a": 3})
    assert [M.is_exact(r, g) for r in (right, extra, silent)] == [True, False, False]


def test_meta_accuracy():
    g = gold({"t2.a": 1})
    pairs = [(result({"t2.a": 1}), g), (result({"t2.a": 1}, year=2022), g), (result({"t2.a": 1}, org=None), g)]
    assert M.meta_accuracy(pairs) == {"org": pytest.approx(2 / 3), "year": pytest.approx(2 / 3),
                                      "both": pytest.approx(1 / 3)}


def test_constraint_pass_rate_counts_distinct_violated_constraints():
    g = gold({"t2.a": 1})
    r = result({"t2.a": 1}, violations=[("c1", "source_error"), ("c2", "unresolved"), ("c2", "unresolved")])
    got = M.constraint_pass_rate([(r, g), (None, g)])  # failed documents are not counted here
    n = len(M.F.CONSTRAINTS)
    assert got == {"pass": pytest.approx((n - 2) / n), "unresolved": pytest.approx(1 / n)}


def test_correction_precision_and_recall():
    # b: first read 3, corrected to 2 (right); c: first read 4 = gold, wrongly "corrected" to 7;
    # e: first read 9, never corrected. Wrong first readings: b, e -> one fixed.
    g = gold({"t3.a": 1, "t3.b": 2, "t3.c": 4, "t3.e": 8})
    r = result({"t3.a": 1, "t3.b": 2, "t3.c": 7, "t3.e": 9}, corrected={"t3.b": "3", "t3.c": "4"},
               corrections=[("t3.b", 2), ("t3.c", 7)])
    assert M.correction_scores([(r, g)]) == {"corrections": 2, "precision": 0.5, "wrong_first_readings": 2,
                                             "recall": 0.5}


def test_a_lost_cell_recovered_counts_as_a_fixed_first_reading():
    g = gold({"t3.a": 5})
    r = result({"t3.a": 5}, corrected={"t3.a": ""}, corrections=[("t3.a", 5)])
    assert M.correction_scores([(r, g)])["recall"] == 1.0


def test_parse_raw():
    assert [M.parse_raw(s) for s in ("1,234", " 7 ", "12.50", "/", "", "无", None)] == [1234, 7, 12.5, None, None, None, None]


def test_source_error_precision_recall():
    g = gold({"t4.a": 1}, source_errors={"x", "y"})
    r = result({"t4.a": 1}, violations=[("x", "source_error"), ("z", "source_error"), ("y", "unresolved")])
    assert M.source_error_scores([(r, g)]) == {"reported": 2, "expected": 2, "precision": 0.5, "recall": 0.5}


def test_review_rate_and_residual_error_of_accepted_documents():
    g = gold({"t2.a": 1})
    pairs = [(result({"t2.a": 1}), g), (result({"t2.a": 2}), g),  # accepted: one wrong
             (result({"t2.a": 2}, review=True), g), (None, g)]  # flagged, and a failure
    assert M.review_scores(pairs) == {"review_rate": 0.5, "accepted": 2, "residual_error": 0.5}


def test_ece_known_values():
    assert M.ece([(0.9, True)] * 9 + [(0.9, False)]) == pytest.approx(0.0)
    assert M.ece([(1.0, True), (1.0, False)]) == pytest.approx(0.5)
    # two bins: [0.2 conf, 0% right] and [0.8 conf, 100% right] -> (0.2 + 0.2) / 2
    assert M.ece([(0.2, False), (0.8, True)], bins=2) == pytest.approx(0.2)
    assert M.ece([]) is None


def test_reliability_bins():
    bins = M.reliability([(0.05, False), (0.07, True), (0.95, True), (1.0, True)], bins=10)
    assert [(b["lo"], b["count"], b["accuracy"]) for b in bins] == [(0.0, 2, 0.5), (0.9, 2, 1.0)]
    assert bins[0]["confidence"] == pytest.approx(0.06)


def test_review_curve_and_threshold():
    g = gold({"t2.a": 1})
    pairs = [(result({"t2.a": 1}), g), (result({"t2.a": 1}), g), (result({"t2.a": 2}), g), (result({"t2.a": 1}), g)]
    conf = [0.9, 0.8, 0.5, 0.6]
    structural = [False, False, False, True]
    curve = M.review_curve(pairs, structural, conf, [0.0, 0.55, 0.85])
    assert [(c["review_rate"], c["residual_error"]) for c in curve] == [
        (0.25, pytest.approx(1 / 3)), (0.5, 0.0), (0.75, 0.0)]
    assert M.threshold_for_residual(curve, 0.01)["threshold"] == 0.55


def test_metrics_read_real_extraction_results_too(seed_result):
    r, g = seed_result
    s = M.summary([(r, g)])
    assert s["field_accuracy"] == 1.0 and s["document_exact"] == 1.0 and s["ece"]["cell"] is not None


def test_trust_scores_count_silent_errors_confident_wrong_cells_and_meta():
    from gongkai.eval.metrics import trust_scores

    g = gold({"a": 1, "b": 2})
    pairs = [
        (result({"a": 1, "b": 2}), g),  # right, accepted
        (result({"a": 1, "b": 3}, conf=0.95), g),  # wrong at 0.95, not flagged: silent + 1 confident wrong
        (result({"a": 1, "b": 3}, conf=0.5, review=True), g),  # wrong but flagged and not confident
        (result({"a": 1, "b": 2}, org="某某区"), gold({"a": 1, "b": 2}, org="某某区人民政府")),  # seat left out: right
        (result({"a": 1, "b": 2}, org="某县"), g),  # wrong org, not flagged: silent
        (result({"a": 1, "b": 2}, review=True), g),  # right but flagged
    ]
    t = trust_scores(pairs)
    assert t["silent_errors"] == 2
    assert t["confident_wrong_cells"] == 1
    assert t["wrong_documents"] == 3
    assert t["right_documents_flagged"] == 1
    assert t["review_rate"] == pytest.approx(2 / 6)
    assert t["residual_error"] == pytest.approx(2 / 4)


def test_leave_one_org_out_never_calibrates_an_org_with_its_own_reports():
    pytest.importorskip("sklearn")
    from gongkai.eval import calibrate as C
    from gongkai.eval.datasets import Sample
    from gongkai.eval.runner import Ablation, Record

    seen = []
    real_fit = C.fit

    def spy(records, target=0.01, fitted_on=()):
        seen.append({r.sample.gold.org for r in records})
        return real_fit(records, target, fitted_on)

    recs = []
    for i, org in enumerate(["甲市人民政府", "甲市人民政府", "乙县人民政府", "丙区人民政府"]):
        g = gold({"a": 1, "b": 2}, org=org)
        r = result({"a": 1, "b": 2 if i else 3}, conf=0.99, org=org)
        recs.append(Record(sample=Sample(id=f"s{i}", source=None, gold=g), ablation=Ablation(), result=r))
    C.fit = spy
    try:
        pairs = C.leave_one_org_out(recs, [])
    finally:
        C.fit = real_fit
    assert len(pairs) == 4 and len(seen) == 3
    for fold, held in zip(seen, sorted({"甲市人民政府", "乙县人民政府", "丙区人民政府"})):
        assert held not in fold


def test_trust_counts_as_the_held_out_scorer_counts():
    g = gold({"t2.a": 1, "t2.b": 2}, org="三明市人民政府")
    pairs = [
        (result({"t2.a": 1, "t2.b": 2}, org="三明市"), g),                     # right; org with its seat left out
        (result({"t2.a": 1, "t2.b": 3}, conf=0.95, org="三明市人民政府"), g),   # silent, one confident wrong cell
        (result({"t2.a": 1, "t2.b": 3}, conf=0.5, review=True, org="三明市人民政府"), g),  # wrong but flagged
        (result({"t2.a": 1, "t2.b": 2}, org="某县", year=2020), g),              # meta wrong, not flagged: silent
        (None, g),                                                            # failed: reviewed, not silent
    ]
    c = M.trust_counts(pairs)
    assert c == {"documents": 5, "meta_right": 6, "meta_total": 10, "silent": 2, "confident_wrong": 1,
                 "reviewed": 2}
    assert M.org_matches("三明市", "三明市人民政府（福建省）") and not M.org_matches("三", "三明市")
