"""The calibrator: fitted breakpoints, applied at run time without scikit-learn, and the threshold."""
from __future__ import annotations

import json

import numpy as np
import pytest

from gongkai.eval import metrics as M
from gongkai.extraction import confidence as C


def test_isotonic_fit_is_monotone_and_matches_bin_accuracy():
    pytest.importorskip("sklearn")
    from gongkai.eval.calibrate import fit_isotonic

    rng = np.random.default_rng(0)
    x = rng.choice([0.3, 0.9, 0.999], size=3000)
    truth = {0.3: 0.2, 0.9: 0.95, 0.999: 0.995}
    y = rng.random(3000) < np.vectorize(truth.get)(x)
    curve = fit_isotonic(x, y)
    assert curve["x"] == sorted(curve["x"]) and curve["y"] == sorted(curve["y"])
    for raw, p in truth.items():
        assert C.apply_curve(curve, raw) == pytest.approx(p, abs=0.04)
    calibrated = [(C.apply_curve(curve, a), b) for a, b in zip(x, y)]
    assert M.ece(calibrated) < M.ece(list(zip(x, y)))


def test_calibrate_maps_cells_and_document_per_source_kind():
    cal = {"cell": {"default": {"x": [0, 1], "y": [0, 0.5]},
                    "by_source_kind": {"pdf_scan": {"x": [0, 1], "y": [0, 0.25]}}},
           "document": {"default": {"x": [0, 1], "y": [0.1, 0.1]}}}
    cells, doc = C.calibrate({"a": 1.0, "b": 0.5}, 0.7, "text", cal)
    assert cells == {"a": 0.5, "b": 0.25} and doc == pytest.approx(0.1)
    cells, _ = C.calibrate({"a": 1.0}, 0.7, "pdf_scan", cal)
    assert cells == {"a": 0.25}
    assert C.calibrate({"a": 1.0}, 0.7, "text", None) == ({"a": 1.0}, 0.7)


def test_calibrator_setting_names_a_file_or_off(tmp_path):
    path = tmp_path / "cal.json"
    path.write_text(json.dumps({"review_threshold": 0.42, "cell": None, "document": None}))
    assert C.review_threshold(C.load_calibrator(str(path))) == 0.42
    assert C.load_calibrator("off") is None and C.review_threshold(None) == C.DEFAULT_REVIEW_THRESHOLD


def test_shipped_calibrator_is_plain_breakpoints():
    if not C.CALIBRATION_FILE.exists():
        pytest.skip("no models/calibration.json shipped")
    cal = json.loads(C.CALIBRATION_FILE.read_text(encoding="utf-8"))
    assert 0.0 <= cal["review_threshold"] <= 1.0
    for level in ("cell", "document"):
        for curve in (cal[level]["default"], *cal[level]["by_source_kind"].values()):
            assert len(curve["x"]) == len(curve["y"]) and curve["y"] == sorted(curve["y"])


def test_choose_threshold_keeps_residual_error_under_target():
    from gongkai.eval.calibrate import choose_threshold
    from tests.eval.fakes import gold, result

    g = gold({"t2.a": 1})
    pairs = [(result({"t2.a": 1}, doc_conf=c), g) for c in (0.99, 0.98, 0.97, 0.9)]
    pairs += [(result({"t2.a": 2}, doc_conf=0.95), g)]
    pick = choose_threshold(pairs, target=0.01)
    assert pick["threshold"] == pytest.approx(0.97) and pick["residual_error"] == 0.0
    assert pick["review_rate"] == pytest.approx(2 / 5)
