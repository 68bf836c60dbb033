"""Fit the confidence calibrator and the review threshold; ship them as models/calibration.json.

    gongkai eval calibrate                       # validation splits → models/calibration.json
    python -m gongkai.eval.calibrate --limit 100 --out models/calibration.json

The data are the `val-*` splits of training/synth/splits.py: the benchmark generators with seeds no
benchmark split uses (noisy text, crawler, pdftotext, HTML, scans at every dpi). The raw scores of
extraction/confidence.py are mapped by isotonic regression (scikit-learn, fitting only) to the
observed probability that a cell is right, and that the whole document is exact — one curve for
all sources plus one per source kind with enough data. The JSON holds the breakpoints only
(applied with numpy.interp at run time: no pickle, no scikit-learn needed to extract).

`review_threshold`: the lowest calibrated document confidence to accept without review such that
at most `target` (0: the review contract) of the accepted documents of the validation set have any
wrong field, never above the confident line 0.9
(documents flagged for structural reasons — ambiguity, unresolved violations, missing
metadata — are reviewed whatever their confidence).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import pickle
from collections import defaultdict
from pathlib import Path
from typing import Sequence

import numpy as np

from gongkai.eval import metrics as M
from gongkai.eval.runner import Record
from gongkai.training.synth.splits import VALIDATION_SPLITS
from gongkai.extraction.confidence import CALIBRATION_FILE, calibrate, merged_fields
from gongkai.extraction.review_policy import CONFIDENT, review_reasons

__all__ = ["fit_isotonic", "fit", "apply", "choose_threshold", "VALIDATION", "main"]

VALIDATION = tuple(VALIDATION_SPLITS)  # every validation split, the families' included
MIN_CELLS_PER_KIND = 2000
MIN_DOCS_PER_KIND = 40


PRIOR_WEIGHT = 20.0  # pseudo-observations per raw-score level that the raw score itself is right
DOCUMENT_PRIOR_WEIGHT = 2.0  # documents are a hundred times fewer than cells


def fit_isotonic(x: Sequence[float], y: Sequence[float], max_points: int = 200,
                 prior_weight: float = PRIOR_WEIGHT) -> dict:
    """Monotone map raw score → P(right) as breakpoints {"x": [...], "y": [...]}.

    Each raw level (to 0.01) also counts `prior_weight` pseudo-observations right with the raw
    score's own probability (a beta prior): a level seen a handful of times stays near its raw
    score instead of taking the accuracy of its few samples, so a kind of reading the data has
    barely seen cannot become confident because the few seen were right."""
    from sklearn.isotonic import IsotonicRegression

    xs, ys = np.asarray(x, float), np.asarray(y, float)
    w = np.ones_like(xs)
    if prior_weight > 0 and len(xs):
        levels = np.unique(np.round(xs, 2))
        xs = np.concatenate([xs, levels, levels])
        ys = np.concatenate([ys, np.ones_like(levels), np.zeros_like(levels)])
        w = np.concatenate([w, prior_weight * levels, prior_weight * (1.0 - levels)])
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip").fit(xs, ys, sample_weight=w)
    bx, by = iso.X_thresholds_, iso.y_thresholds_
    if len(bx) > max_points:  # keep the curve small: resample on quantiles of the data
        q = np.unique(np.quantile(xs, np.linspace(0, 1, max_points)))
        bx, by = q, iso.predict(q)
    return {"x": [round(float(v), 6) for v in bx], "y": [round(float(v), 6) for v in by], "n": int(len(x))}


def _pairs_by_kind(records: Sequence[Record], level: str) -> dict[str, list[tuple[float, bool]]]:
    out: dict[str, list] = defaultdict(list)
    for rec in records:
        if rec.result is None:
            continue
        pairs = [(rec.result, rec.sample.gold)]
        got = M.cell_pairs(pairs) if level == "cell" else M.document_pairs(pairs)
        out[rec.result.source_kind] += got
        out[""] += got
    return out


def _table(records: Sequence[Record], level: str, min_n: int) -> dict:
    by = _pairs_by_kind(records, level)
    table = {"default": fit_isotonic(*zip(*by.pop(""))), "by_source_kind": {}}
    for kind, pairs in sorted(by.items()):
        if len(pairs) >= min_n:
            table["by_source_kind"][kind] = fit_isotonic(*zip(*pairs))
    return table


def apply(records: Sequence[Record], calibrator: dict | None) -> list[tuple]:
    """(calibrated result, gold) pairs: confidences mapped, needs_review re-decided with the
    calibrator's threshold (the pipeline does the same at run time)."""
    from dataclasses import replace

    from gongkai.extraction.confidence import DEFAULT_REVIEW_THRESHOLD

    threshold = calibrator.get("review_threshold", DEFAULT_REVIEW_THRESHOLD) if calibrator else DEFAULT_REVIEW_THRESHOLD
    out = []
    for rec in records:
        r = rec.result
        if r is None:
            out.append((None, rec.sample.gold))
            continue
        cells, doc = calibrate({k: f.confidence for k, f in r.fields.items()}, r.confidence, r.source_kind,
                               calibrator, merged_fields(r.merged_rows), {k for k, f in r.fields.items() if f.candidates})
        fields = {k: replace(f, confidence=cells[k]) for k, f in r.fields.items()}
        cal = replace(r, fields=fields, confidence=doc)
        reasons = review_reasons(cal, threshold)
        cal.needs_review, cal.review_codes = bool(reasons), tuple(x.code for x in reasons)
        out.append((cal, rec.sample.gold))
    return out


def choose_threshold(pairs: Sequence[tuple], target: float = 0.0) -> dict:
    done = [(r, g) for r, g in pairs]
    structural = [r is None or r.structural_review for r, _ in done]
    conf = [r.confidence if r is not None else 0.0 for r, _ in done]
    grid = sorted({0.0, CONFIDENT, *(round(c, 6) for c in conf), 1.0 + 1e-9})
    curve = M.review_curve(done, structural, conf, grid)
    best = M.threshold_for_residual(curve, target) or curve[-1]
    return {"threshold": best["threshold"], "review_rate": best["review_rate"],
            "residual_error": best["residual_error"], "curve": curve}


def _document_table(records: Sequence[Record], cell_table: dict, min_n: int) -> dict:
    """Document curves over the product of the calibrated cells (what `calibrate` feeds them)."""
    probe = {"cell": cell_table, "document": None, "document_from_cells": True}
    by: dict[str, list] = defaultdict(list)
    for (r, g), rec in zip(apply(records, probe), records):
        if r is None:
            continue
        pair = (r.confidence, M.is_exact(r, g))
        by[r.source_kind].append(pair)
        by[""].append(pair)
    table = {"default": fit_isotonic(*zip(*by.pop("")), prior_weight=DOCUMENT_PRIOR_WEIGHT), "by_source_kind": {}}
    for kind, pairs in sorted(by.items()):
        if len(pairs) >= min_n:
            table["by_source_kind"][kind] = fit_isotonic(*zip(*pairs), prior_weight=DOCUMENT_PRIOR_WEIGHT)
    return table


def fit(records: Sequence[Record], target: float = 0.0, fitted_on: Sequence[str] = ()) -> dict:
    cells = _table(records, "cell", MIN_CELLS_PER_KIND)
    cal = {
        "version": 2,
        "method": "isotonic",
        "fitted_on": list(fitted_on),
        "created": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%MZ"),
        "documents": sum(r.result is not None for r in records),
        "cell": cells,
        "document_from_cells": True,
        "document": _document_table(records, cells, MIN_DOCS_PER_KIND),
    }
    pick = choose_threshold(apply(records, {**cal, "review_threshold": 0.0}), target)
    if pick["threshold"] > CONFIDENT:
        # never above the line that makes a cell confident: a document at P(exact) ≥ 0.9 is confident too; the
        # threshold catches documents whose many slightly doubtful cells add up, not one validation document
        pick = max((c for c in pick["curve"] if c["threshold"] <= CONFIDENT), key=lambda c: c["threshold"])
    cal.update(review_threshold=round(pick["threshold"], 6), target_residual_error=target,
               validation_review_rate=round(pick["review_rate"], 4),
               validation_residual_error=round(pick["residual_error"], 4))
    return cal


REAL = ("real", "seeds")


def org_of(rec: Record) -> str:
    """The fold of a real report: its organisation as gold names it."""
    return (rec.sample.gold.org or rec.sample.id).strip()


def leave_one_org_out(real: Sequence[Record], synthetic: Sequence[Record], target: float = 0.0) -> list[tuple]:
    """(calibrated result, gold) for every real record, each calibrated by a calibrator fitted on the
    synthetic validation records and the real records of every *other* organisation."""
    out: dict[int, tuple] = {}
    for org in sorted({org_of(r) for r in real}):
        held = [r for r in real if org_of(r) == org]
        cal = fit([*synthetic, *(r for r in real if org_of(r) != org)], target)
        for rec, pair in zip(held, apply(held, cal)):
            out[id(rec)] = pair
    return [out[id(r)] for r in real]


def trust_report(pairs: Sequence[tuple]) -> dict:
    """The figures issue 13 asks for: silent errors, confident wrong cells, review rate, residual error,
    cell and document ECE."""
    return {**M.trust_scores(pairs), "ece_cell": M.ece(M.cell_pairs(pairs)), "ece_document": M.ece(M.document_pairs(pairs))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m gongkai.eval.calibrate", description=__doc__.split("\n\n")[0])
    ap.add_argument("--dataset", action="append", help=f"validation data (default: {', '.join(VALIDATION)})")
    ap.add_argument("--limit", type=int, default=None, help="first N samples of each dataset")
    ap.add_argument("--scan-limit", type=int, default=None, help="first N samples of the scan splits (OCR is slow)")
    ap.add_argument("--out", type=Path, default=CALIBRATION_FILE)
    ap.add_argument("--target", type=float, default=0.0,
                    help="max share of accepted validation documents with an error (the contract: 0)")
    ap.add_argument("--labeller", default="model")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--real", action="store_true",
                    help="also fit on the real reports + seeds (../shared/data/real, seeds)")
    ap.add_argument("--loo", action="store_true",
                    help="measure leave-one-organisation-out over real + seeds (no file written)")
    ap.add_argument("--reuse", action="store_true", help="reuse the records the last run kept (no extraction)")
    a = ap.parse_args(argv)
    if a.loo:
        report = loo_command(a.dataset or list(VALIDATION), a.limit, a.target, a.labeller, a.timeout, a.workers,
                             a.scan_limit, a.reuse)
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return 0
    cal = calibrate_command(a.dataset or list(VALIDATION), a.limit, a.out, a.target, a.labeller, a.timeout, a.workers,
                            a.scan_limit, real=a.real, reuse=a.reuse)
    print(json.dumps({k: v for k, v in cal.items() if k not in ("cell", "document")}, ensure_ascii=False))
    return 0


def _records(datasets: Sequence[str], limit: int | None, labeller: str, timeout: float, workers: int,
             scan_limit: int | None, keep_name: str, reuse: bool) -> tuple[list[Record], list[str]]:
    """Run the extractor (raw scores) over `datasets`; the records are kept under data/cache/ so a
    refit needs no re-run (`reuse`)."""
    from gongkai.eval.datasets import REPO, resolve
    from gongkai.eval.harness import progress_bar
    from gongkai.eval.runner import Ablation, run
    from gongkai.training.synth.splits import SPLITS, VALIDATION_SPLITS

    def lim(name: str) -> int | None:
        if name in REAL:
            return None
        split = SPLITS.get(name) or VALIDATION_SPLITS.get(name)
        return scan_limit if scan_limit and split is not None and split.kind == "scan" else limit

    names = [f"{d}" + (f" (first {lim(d)})" if lim(d) else "") for d in datasets]
    keep = REPO / "data" / "cache" / keep_name
    if reuse and keep.is_file():
        return pickle.loads(keep.read_bytes()), names
    with progress_bar() as bar:
        samples = [s for name in datasets for s in resolve(name, limit=lim(name), progress=bar.generate).samples]
        records = run(samples, [Ablation(labeller, "full")], workers=workers, timeout=timeout, progress=bar.phase,
                      cache_root=REPO / "data" / "cache" / "ingest")
    keep.parent.mkdir(parents=True, exist_ok=True)
    keep.write_bytes(pickle.dumps(records))
    return records, names


def loo_command(datasets: Sequence[str], limit: int | None, target: float = 0.0, labeller: str = "model",
                timeout: float = 120.0, workers: int = 2, scan_limit: int | None = None, reuse: bool = False) -> dict:
    """Leave-one-organisation-out over real + seeds, beside the raw (uncalibrated) figures."""
    synthetic, syn_names = _records(datasets, limit, labeller, timeout, workers, scan_limit,
                                    f"calibration-records-{labeller}.pkl", reuse)
    real, _ = _records(REAL, None, labeller, timeout, workers, None, f"real-records-{labeller}.pkl", reuse)
    real = [r for r in real if r.result is not None or r.error]
    raw = [(r.result, r.sample.gold) for r in real]
    return {"fitted_on": syn_names + ["real + seeds of the other organisations"],
            "organisations": len({org_of(r) for r in real}),
            "real_loo": trust_report(leave_one_org_out(real, synthetic, target)),
            "real_raw": trust_report(raw),
            "failed": [f"{r.sample.id}: {r.error}" for r in real if r.error]}


def calibrate_command(datasets: Sequence[str], limit: int | None, out: Path, target: float = 0.0,
                      labeller: str = "rules", timeout: float = 60.0, workers: int = 2,
                      scan_limit: int | None = None, real: bool = False, reuse: bool = False) -> dict:
    records, names = _records(datasets, limit, labeller, timeout, workers, scan_limit,
                              f"calibration-records-{labeller}.pkl", reuse)
    loo = None
    if real:
        more, _ = _records(REAL, None, labeller, timeout, workers, None, f"real-records-{labeller}.pkl", reuse)
        loo = trust_report(leave_one_org_out(more, records, target))
        records, names = [*records, *more], [*names, *REAL]
    cal = fit(records, target, fitted_on=names)
    if loo is not None:  # what this calibrator's way of fitting gives on organisations it has not seen
        cal["real_leave_one_org_out"] = {k: (round(v, 6) if isinstance(v, float) else v) for k, v in loo.items()}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(cal, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return cal


if __name__ == "__main__":
    raise SystemExit(main())
