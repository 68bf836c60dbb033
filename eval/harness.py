"""`gongkai eval`: datasets × ablations → metrics.json, report.md, report.html and plots.

    gongkai eval                                   # seeds + every synthetic split
    gongkai eval --dataset seeds --dataset text-noisy --limit 50 --report out/bench
    gongkai eval --report out/new --compare docs/benchmarks/metrics.json   # exit 1 on regression

The first ablation (default rules/full) is the primary one: top-level numbers are its. The
calibrator in force (models/calibration.json, or --calibration) is applied to the raw scores;
both raw and calibrated ECE are reported.
"""
from __future__ import annotations

import datetime as dt
import json
import pickle
import statistics
import subprocess
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

from gongkai.eval import metrics as M
from gongkai.eval.calibrate import apply
from gongkai.eval.datasets import REPO, Dataset, resolve
from gongkai.eval.runner import Ablation, Record, model_available, parse_ablations, run
from gongkai.training.synth.splits import SPLITS

__all__ = ["evaluate", "build_metrics", "compare", "progress_bar", "DEFAULT_DATASETS"]

DEFAULT_DATASETS = ("real", *SPLITS)  # real = ../shared/data/real + the seeds, reported first
BINS = 15


class _Bar:
    def __init__(self, prog):
        self.prog, self.tasks = prog, {}

    def _set(self, key: str, done: int, total: int) -> None:
        if self.prog is None:
            return
        if key not in self.tasks:
            self.tasks[key] = self.prog.add_task(key, total=total)
        self.prog.update(self.tasks[key], completed=done, total=total)

    def generate(self, name: str, done: int, total: int) -> None:
        self._set(f"generate {name}", done, total)

    def phase(self, phase: str, done: int, total: int) -> None:
        self._set(phase, done, total)


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[_Bar]:
    if not enabled:
        yield _Bar(None)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), transient=False) as prog:
        yield _Bar(prog)


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain", "-uno"], cwd=REPO, capture_output=True, text=True, timeout=5)
        return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return ""


def _round(obj, nd: int = 5):
    if isinstance(obj, float):
        return round(obj, nd)
    if isinstance(obj, dict):
        return {k: _round(v, nd) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_round(v, nd) for v in obj]
    return obj


def _timing(records: Sequence[Record]) -> dict:
    ok = [r for r in records if r.result is not None]
    secs = sorted(r.seconds for r in ok)
    pages = sum(r.pages for r in ok)
    mem = [r.mem_mb for r in ok if r.mem_mb is not None]
    if not secs:
        return {"documents": 0}
    return {
        "documents": len(ok), "pages": pages,
        "seconds_per_document": statistics.fmean(secs),
        "seconds_per_document_median": statistics.median(secs),
        "seconds_per_document_p95": secs[min(len(secs) - 1, int(0.95 * len(secs)))],
        "seconds_per_document_max": secs[-1],
        "seconds_per_page": sum(secs) / pages if pages else None,
        "ingest_seconds_per_document": statistics.fmean(r.ingest_s for r in ok),
        "peak_memory_mb": max(mem) if mem else None,
        "peak_memory_mb_median": statistics.median(mem) if mem else None,
        "timeouts": sum(r.error.startswith("timeout") for r in records),
    }


def _group(records: Sequence[Record], key) -> dict[str, list[Record]]:
    out: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        k = key(r)
        if k not in (None, ""):
            out[str(k)].append(r)
    return dict(sorted(out.items()))


def _brief(pairs: Sequence[tuple]) -> dict:
    return {"documents": len(pairs), "field_accuracy": M.field_accuracy(pairs),
            "document_exact": M.document_exact(pairs)}


def build_metrics(datasets: Sequence[Dataset], records: Sequence[Record], ablations: Sequence[Ablation],
                  calibrator: dict | None, notes: Sequence[str] = (), command: str = "") -> dict:
    """The metrics.json object (see eval/README.md for its keys)."""
    primary = ablations[0].name
    by_ab = _group(records, lambda r: r.ablation.name)
    prim = by_ab.get(primary, [])
    pairs = apply(prim, calibrator)
    raw_pairs = [(r.result, r.sample.gold) for r in prim]
    cells, docs = M.cell_pairs(pairs), M.document_pairs(pairs)
    out = M.summary(pairs, BINS)
    out["ece_raw"] = {"cell": M.ece(M.cell_pairs(raw_pairs), BINS), "document": M.ece(M.document_pairs(raw_pairs), BINS)}
    out["review_raw"] = M.review_scores(raw_pairs)
    out["reliability"] = {"cell": M.reliability(cells, BINS), "document": M.reliability(docs, BINS),
                          "cell_raw": M.reliability(M.cell_pairs(raw_pairs), BINS),
                          "document_raw": M.reliability(M.document_pairs(raw_pairs), BINS)}
    out["timing"] = _timing(prim)
    structural = [r is None or r.structural_review for r, _ in pairs]
    conf = [r.confidence if r is not None else 0.0 for r, _ in pairs]
    out["review_curve"] = M.review_curve(pairs, structural, conf, [i / 50 for i in range(51)])
    out["primary_ablation"] = primary
    index = {id(r): p for r, p in zip(prim, pairs)}

    def pairs_of(recs: Sequence[Record]) -> list[tuple]:
        return [index[id(r)] for r in recs]

    out["datasets"] = {}
    for ds in datasets:
        recs = [r for r in prim if r.sample.dataset == ds.name]
        p = pairs_of(recs)
        entry = M.summary(p, BINS)
        entry["note"] = ds.note
        entry["timing"] = _timing(recs)
        entry["by_layout"] = {k: _brief(pairs_of(v)) for k, v in _group(recs, lambda r: r.sample.layout).items()}
        entry["by_noise"] = {k: _brief(pairs_of(v)) for k, v in _group(recs, lambda r: r.sample.gold.noise).items()}
        entry["by_dpi"] = {k: _brief(pairs_of(v)) for k, v in _group(recs, lambda r: r.sample.gold.dpi).items()}
        entry["by_degradation"] = {k: _brief(pairs_of(v))
                                   for k, v in _group(recs, lambda r: r.sample.gold.degradation).items()}
        entry["failures"] = [f"{r.sample.id}: {r.error}" for r in recs if r.error][:20]
        if getattr(ds, "by_family", False):
            entry["families"] = {k: M.summary(pairs_of(v), BINS) for k, v in _group(recs, lambda r: r.sample.layout).items()}
            entry["wrong_documents"] = {r.sample.id: sorted(f for f in q[1].scored if not M.field_right(q[0], q[1], f))[:6]
                                        for r in recs for q in [index[id(r)]] if not M.is_exact(*q)}
        out["datasets"][ds.name] = entry
    out["ablations"] = {}
    for ab in ablations:
        recs = by_ab.get(ab.name, [])
        p = apply(recs, calibrator)
        entry = M.summary(p, BINS)
        entry["timing"] = _timing(recs)
        entry["datasets"] = {ds.name: {**_brief([q for r, q in zip(recs, p) if r.sample.dataset == ds.name]),
                                       **{k: v for k, v in M.correction_scores(
                                           [q for r, q in zip(recs, p) if r.sample.dataset == ds.name]).items()
                                          if k in ("precision", "recall")}}
                             for ds in datasets}
        out["ablations"][ab.name] = entry
    out["config"] = {
        "command": command, "commit": _git_commit(),
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "datasets": {ds.name: {"documents": len(ds.samples), "note": ds.note} for ds in datasets},
        "ablations": [a.name for a in ablations],
        "calibrator": ({k: calibrator.get(k) for k in ("created", "fitted_on", "review_threshold",
                                                        "validation_review_rate", "validation_residual_error",
                                                        "real_leave_one_org_out")}
                       if calibrator else None),
        "ece_bins": BINS, "notes": list(notes),
    }
    return _round(out)


def compare(new: dict, old: dict, tolerance: float) -> tuple[dict, list[str]]:
    """Deltas new − old, and the regressions beyond `tolerance` in field accuracy (overall and per
    dataset present in both)."""
    def get(d: dict, path: str):
        for part in path.split("."):
            d = d.get(part) if isinstance(d, dict) else None
        return d

    keys = ["field_accuracy", "document_exact", "ece.cell", "ece.document", "review.review_rate",
            "review.residual_error", "corrections.precision", "corrections.recall", "source_errors.precision",
            "source_errors.recall", "timing.seconds_per_document"]
    deltas: dict = {"overall": {}, "datasets": {}}
    for k in keys:
        a, b = get(new, k), get(old, k)
        deltas["overall"][k] = {"new": a, "old": b, "delta": (a - b) if a is not None and b is not None else None}
    bad = []
    na, oa = new.get("field_accuracy"), old.get("field_accuracy")
    if na is not None and oa is not None and na < oa - tolerance:
        bad.append(f"overall field accuracy {oa:.4%} → {na:.4%}")
    for name, entry in new.get("datasets", {}).items():
        prev = old.get("datasets", {}).get(name)
        if not prev:
            continue
        a, b = entry.get("field_accuracy"), prev.get("field_accuracy")
        deltas["datasets"][name] = {"new": a, "old": b, "delta": (a - b) if a is not None and b is not None else None}
        if a is not None and b is not None and a < b - tolerance:
            bad.append(f"{name}: field accuracy {b:.4%} → {a:.4%}")
    return _round(deltas, 6), bad


def evaluate(dataset_names: Sequence[str] = (), *, report: Path, ablations: str | Sequence[str] | None = None,
             limit: int | None = None, scan_limit: int | None = None, compare_to: Path | None = None,
             tolerance: float = 0.002, calibration: Path | None = None, timeout: float = 60.0,
             workers: int = 2, progress: bool = True, cache: bool = True, plots: bool = True,
             command: str = "", save_records: Path | None = None,
             from_records: Path | None = None, extra_notes: Sequence[str] = ()) -> tuple[dict, list[str]]:
    """Run everything, write `report`/{metrics.json, report.md, report.html, *.png}; returns the
    metrics and the list of regressions against `compare_to` (empty when none or not comparing).
    `save_records` keeps the raw per-document records (pickle, local use only); `from_records`
    re-scores such a file instead of running (e.g. after fitting a new calibrator)."""
    from gongkai.extraction.confidence import load_calibrator

    names = list(dataset_names) or list(DEFAULT_DATASETS)
    abls = parse_ablations(ablations)
    notes = []
    if any(a.labeller == "model" for a in abls):
        why = model_available()
        if why:
            abls = [a for a in abls if a.labeller != "model"]
            notes.append(f"model ablations skipped: the model labeller is not available ({why})")
    if not abls:
        raise ValueError("no ablation left to run")
    if calibration is not None:
        calibrator = json.loads(Path(calibration).read_text(encoding="utf-8"))
    else:
        calibrator = load_calibrator()
    if calibrator is None:
        notes.append("no calibrator: raw confidences (fit one with `gongkai eval calibrate`)")
    report = Path(report)
    if from_records is not None:
        with Path(from_records).open("rb") as fh:
            saved = pickle.load(fh)  # noqa: S301 - a file this harness wrote
        datasets, records, abls = saved["datasets"], saved["records"], saved["ablations"]
        notes = ([n for n in saved.get("notes", []) if "calibrator" not in n] + [n for n in notes if "calibrator" in n]
                 + list(extra_notes))
        command = saved.get("command", "") + f"  (re-scored with --from-records at {dt.date.today()})"
        metrics = build_metrics(datasets, records, abls, calibrator, notes, command)
        return _finish(metrics, records, report, compare_to, tolerance, plots)
    with progress_bar(progress) as bar:
        datasets = []
        for name in names:
            lim = scan_limit if (scan_limit and SPLITS.get(name) and SPLITS[name].kind == "scan") else limit
            datasets.append(resolve(name, limit=lim, progress=bar.generate))
        samples = [s for ds in datasets for s in ds.samples]
        records = run(samples, abls, workers=workers, timeout=timeout, progress=bar.phase,
                      cache_root=(REPO / "data" / "cache" / "ingest") if cache else None)
    notes += list(extra_notes)
    if save_records is not None:
        Path(save_records).parent.mkdir(parents=True, exist_ok=True)
        Path(save_records).write_bytes(pickle.dumps({"datasets": datasets, "records": records, "ablations": abls,
                                                     "notes": notes, "command": command}))
    metrics = build_metrics(datasets, records, abls, calibrator, notes, command)
    return _finish(metrics, records, report, compare_to, tolerance, plots)


def _finish(metrics: dict, records, report: Path, compare_to: Path | None, tolerance: float,
            plots: bool) -> tuple[dict, list[str]]:
    from gongkai.eval.report import write_report

    regressions: list[str] = []
    if compare_to is not None:
        old = json.loads(Path(compare_to).read_text(encoding="utf-8"))
        metrics["compare"], regressions = compare(metrics, old, tolerance)
        metrics["compare"].update(against=str(compare_to), tolerance=tolerance, regressions=regressions)
    report.mkdir(parents=True, exist_ok=True)
    (report / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    write_report(metrics, report, records=records, plots=plots)
    return metrics, regressions
