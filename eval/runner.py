"""Run the extractor over datasets × ablations: cached ingestion, at most `workers` processes, a
per-document timeout, and compact records that the metrics read.

Each task runs in a forked child process, so a sample that hangs (or eats memory) is killed at
its timeout and recorded as failed without stalling the run. Phase 1 ingests every sample once
(into the DocumentCache); phase 2 runs each ablation on the cached Document.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import time
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any, Callable, Sequence

from gongkai.eval.cache import DocumentCache
from gongkai.eval.datasets import Sample

__all__ = ["Ablation", "parse_ablations", "SlimResult", "Record", "run_tasks", "run", "model_available",
           "DEFAULT_ABLATIONS"]

DEFAULT_ABLATIONS = ("rules/full", "rules/no_alternatives", "rules/off", "model/full")
MODES = ("full", "no_alternatives", "off")


@dataclass(frozen=True)
class Ablation:
    labeller: str = "rules"
    reconcile: str = "full"

    @property
    def name(self) -> str:
        return f"{self.labeller}/{self.reconcile}"


def parse_ablations(spec: str | Sequence[str] | None) -> list[Ablation]:
    """"rules/full,rules/off,model/full" (a bare mode means rules/MODE, a bare labeller LABELLER/full)."""
    items = spec.split(",") if isinstance(spec, str) else list(spec or DEFAULT_ABLATIONS)
    out = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        lab, _, mode = item.partition("/") if "/" in item else (
            ("rules", "", item) if item in MODES else (item, "", "full"))
        if lab not in ("rules", "model") or mode not in MODES:
            raise ValueError(f"unknown ablation {item!r}: LABELLER/MODE with rules|model and {'|'.join(MODES)}")
        if Ablation(lab, mode) not in out:
            out.append(Ablation(lab, mode))
    return out


def model_available() -> str | None:
    """None when the model labeller loads, else why not."""
    try:
        from gongkai.models.registry import get_labeller

        get_labeller("model")
        return None
    except Exception as exc:  # noqa: BLE001 - any failure to load means: skip that ablation
        return f"{type(exc).__name__}: {exc}"[:300]


# ---- compact results (the parent keeps thousands; an ExtractionResult is far heavier) -------------

@dataclass(slots=True)
class SlimField:
    value: int | float | None
    confidence: float
    corrected_from: str | None = None
    ambiguous: bool = False
    status: str = "number"

    @property
    def candidates(self) -> bool:  # what extraction.review_policy asks of a field
        return self.ambiguous


@dataclass(slots=True)
class SlimViolation:
    constraint: str
    kind: str
    cells: tuple[str, ...] = ()


@dataclass(slots=True)
class SlimMerged:
    rows: tuple[str, ...]
    values: tuple[str, ...]  # the columns printed


@dataclass(slots=True)
class SlimCorrection:
    field: str
    after: int | float | None


@dataclass(slots=True)
class SlimMeta:
    org: str | None
    year: int | None
    title: str | None = None


@dataclass
class SlimResult:
    """What the metrics read of an ExtractionResult (same attribute names)."""

    meta: SlimMeta
    fields: dict[str, SlimField]
    violations: list[SlimViolation]
    corrections: list[SlimCorrection]
    confidence: float
    needs_review: bool
    source_kind: str = ""
    merged_rows: list[SlimMerged] = field(default_factory=list)
    review_codes: tuple[str, ...] = ()

    @classmethod
    def of(cls, r) -> "SlimResult":
        return cls(
            meta=SlimMeta(r.meta.org, r.meta.year, r.meta.title),
            fields={k: SlimField(f.value, f.confidence, f.corrected_from, bool(f.candidates), f.status.value)
                    for k, f in r.fields.items()},
            violations=[SlimViolation(v.constraint, v.kind.value, tuple(v.cells)) for v in r.violations],
            corrections=[SlimCorrection(c.field, c.after) for c in r.corrections],
            confidence=r.confidence, needs_review=r.needs_review, source_kind=r.meta.source_kind.value,
            merged_rows=[SlimMerged(tuple(m.rows), tuple(m.values)) for m in r.merged_rows],
            review_codes=tuple(x.code for x in r.review_reasons))

    @property
    def structural_review(self) -> bool:
        """Review reasons other than the document-confidence threshold (extraction/review_policy.py)."""
        from gongkai.extraction.review_policy import review_reasons

        return bool(review_reasons(self, 0.0))


@dataclass
class Record:
    sample: Sample
    ablation: Ablation
    result: SlimResult | None = None
    error: str = ""  # "timeout: …", "refused: …", "crash: …"
    ingest_s: float = 0.0
    extract_s: float = 0.0
    pages: int = 1
    mem_mb: float | None = None
    extra: dict = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return self.ingest_s + self.extract_s


# ---- the process pool -------------------------------------------------------------------------

def _rss_mb(key: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _child(conn, fn: Callable, args: tuple) -> None:
    try:  # peak RSS of this task alone: reset the high-water mark, measure above the fork's RSS
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    base = _rss_mb("VmRSS")
    try:
        out = ("ok", fn(*args))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, never raised there
        from gongkai.extraction.pipeline import ExtractionError

        tag = "refused" if isinstance(exc, ExtractionError) or type(exc).__name__ == "IngestError" else "crash"
        out = (tag, f"{type(exc).__name__}: {exc}"[:300])
    peak = _rss_mb("VmHWM")
    mem = (peak - base) if peak is not None and base is not None else None
    try:
        conn.send((*out, mem))
    finally:
        conn.close()
        os._exit(0)


def run_tasks(fn: Callable, tasks: Sequence[tuple], workers: int = 2, timeout: float = 60.0,
              on_done: Callable[[int, tuple], None] | None = None) -> list[tuple]:
    """fn(*task) for every task in ≤ `workers` forked processes; each answer is (status, payload, mem_mb)
    with status ok | refused | crash | timeout. The parent keeps no state a child could corrupt."""
    ctx = mp.get_context("fork")
    workers = max(1, min(workers, 2))
    todo = list(enumerate(tasks))[::-1]
    running: dict[int, tuple[Any, Any, float]] = {}
    out: list[tuple] = [("crash", "not run", None)] * len(tasks)

    def finish(i: int, answer: tuple) -> None:
        out[i] = answer
        if on_done:
            on_done(i, answer)

    while todo or running:
        while todo and len(running) < workers:
            i, args = todo.pop()
            r, w = ctx.Pipe(duplex=False)
            p = ctx.Process(target=_child, args=(w, fn, args), daemon=True)
            p.start()
            w.close()
            running[i] = (p, r, time.monotonic())
        ready = wait([r for _, r, _ in running.values()], timeout=0.25)
        now = time.monotonic()
        for i, (p, r, started) in list(running.items()):
            if r in ready:
                try:
                    answer = r.recv()
                except (EOFError, OSError):
                    p.join(timeout=5)
                    answer = ("crash", f"worker died (exit code {p.exitcode})", None)
                p.join(timeout=5)
                r.close()
                del running[i]
                finish(i, answer)
            elif now - started > timeout:
                p.kill()
                p.join(timeout=5)
                r.close()
                del running[i]
                finish(i, ("timeout", f"timeout after {timeout:.0f} s", None))
    return out


# ---- the two phases ---------------------------------------------------------------------------

def _ingest(path: str, cache_root: str | None) -> dict:
    doc, seconds, cached = DocumentCache(Path(cache_root) if cache_root else None).get(Path(path))
    return {"seconds": seconds, "pages": doc.pages, "cached": cached}


def _extract(path: str, cache_root: str | None, labeller: str, mode: str) -> dict:
    from gongkai.models.registry import extract_document

    doc, ingest_s, _ = DocumentCache(Path(cache_root) if cache_root else None).get(Path(path))
    start = time.perf_counter()
    # raw scores (calibration off): the harness applies the calibrator itself
    result = extract_document(doc, labeller=labeller, reconcile_mode=mode, calibration="off")
    return {"result": SlimResult.of(result), "seconds": time.perf_counter() - start, "ingest_s": ingest_s,
            "pages": doc.pages}


def _warm(labellers: set[str]) -> None:
    """Import the pipeline (and build the labellers) once here, so forked children start warm, and
    pin the ingestion-code version for the whole run (children inherit it): an edit to a reader
    during the run must not make phase 2 miss the cache phase 1 filled."""
    import gongkai.extraction.ingest  # noqa: F401
    from gongkai.eval.cache import ingest_version
    from gongkai.models.registry import get_labeller

    ingest_version()
    for name in labellers:
        try:
            get_labeller(name)
        except Exception:  # noqa: BLE001 - the child reports it per sample
            pass


def run(samples: Sequence[Sample], ablations: Sequence[Ablation], *, workers: int = 2, timeout: float = 60.0,
        ingest_timeout: float = 600.0, cache_root: Path | None = None,
        progress: Callable[[str, int, int], None] | None = None) -> list[Record]:
    """Every sample under every ablation; returns one Record per (sample, ablation)."""
    root = str(cache_root) if cache_root is not None else None
    _warm({ab.labeller for ab in ablations})
    ingested: dict[int, tuple] = {}

    def tick(phase: str, total: int) -> Callable[[int, tuple], None]:
        done = [0]

        def on_done(_i: int, _a: tuple) -> None:
            done[0] += 1
            if progress:
                progress(phase, done[0], total)
        return on_done

    answers = run_tasks(_ingest, [(str(s.source), root) for s in samples], workers, ingest_timeout,
                        tick("ingest", len(samples)))
    ingested = dict(enumerate(answers))
    tasks, index = [], []
    records: list[Record] = []
    for i, s in enumerate(samples):
        status, payload, mem = ingested[i]
        for ab in ablations:
            rec = Record(sample=s, ablation=ab)
            if status != "ok":
                rec.error = f"{status}: {payload}"
            else:
                rec.ingest_s, rec.pages = payload["seconds"], payload["pages"]
                rec.extra["ingest_mem_mb"] = mem
                tasks.append((str(s.source), root, ab.labeller, ab.reconcile))
                index.append(len(records))
            records.append(rec)
    for k, (status, payload, mem) in enumerate(run_tasks(_extract, tasks, workers, timeout,
                                                         tick("extract", len(tasks)))):
        rec = records[index[k]]
        if status == "ok":
            rec.result, rec.extract_s = payload["result"], payload["seconds"]
        else:
            rec.error = f"{status}: {payload}"
            rec.extract_s = timeout if status == "timeout" else 0.0
        im = rec.extra.get("ingest_mem_mb")
        rec.mem_mb = max(x for x in (mem, im, 0.0) if x is not None)
    return records
