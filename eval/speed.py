"""The speed report (`make bench` → `docs/benchmarks/speed.md`): how long a report takes, where
the time goes, how much memory a scan needs, and how many reports the service gets through.

    python -m gongkai.eval.speed --out docs/benchmarks/speed.md [--scan-dir DIR] [--scans 2] [--repeats 3]

Measured in one run, so the figures compare with each other even on a busy box:
- text/HTML/PDF-text: `extract()` in one process after a warm-up, every file of
  `../shared/data/real/` and the seeds, median of `--repeats` per file → per kind median/p95/max,
  wall and CPU seconds;
- start-up: `gongkai --help` and `import extraction.pipeline` in fresh interpreters;
- scans (image-only PDFs of a synthetic split): our `extract()` end to end in a fresh process
  (wall, CPU, peak RSS), and RapidOCR's own pipeline (`rapidocr.RapidOCR`, its defaults) on the
  same rendered page images in another fresh process, file by file, side by side;
- service throughput: N threads submitting the text mix (and a scan mix) through the service's
  job path (`service.jobs.isolated_extract`: extraction children reused job after job, as many
  as workers), reports per second; and the text mix end to end over HTTP (`http_throughput`:
  uploads to the real server, SQLite, its in-process workers);
- the slowest text reports profiled (cProfile), their time grouped by module.

CPU seconds are the process's own (all threads); they move far less than wall seconds when other
work shares the cores. A benchmark, not a test: no timing is asserted anywhere.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Summary", "summarize", "TextTiming", "time_texts", "ScanTiming", "time_scans", "startup",
           "throughput", "http_throughput", "profile_groups", "STAGES", "render_report", "main", "text_inputs"]

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
TEXT_SUFFIXES = (".txt", ".html", ".htm", ".pdf")


@dataclass(frozen=True)
class Summary:
    n: int
    median: float
    p95: float
    max: float


def summarize(values: list[float]) -> Summary:
    """Median, 95th percentile (nearest rank) and maximum of `values`."""
    if not values:
        return Summary(0, 0.0, 0.0, 0.0)
    v = sorted(values)
    rank = max(1, -(-95 * len(v) // 100))  # ceil(0.95 n)
    return Summary(len(v), statistics.median(v), v[rank - 1], v[-1])


# ---- text reports ----------------------------------------------------------------------------

@dataclass
class TextTiming:
    path: Path
    kind: str
    seconds: float  # median wall
    cpu: float  # median process CPU


def text_inputs(real: Path = SHARED / "real", seeds: Path = SHARED / "seeds") -> list[Path]:
    """Every report file of the real set (text, HTML, PDF) and the seeds."""
    out = []
    for folder in (real, seeds):
        if folder.is_dir():
            out += sorted(p for p in folder.iterdir() if p.suffix in TEXT_SUFFIXES and ".gold" not in p.name)
    return out


def time_texts(paths: list[Path], repeats: int = 3) -> list[TextTiming]:
    from gongkai.extraction.pipeline import ExtractionError
    from gongkai.models.registry import extract

    rows = []
    for p in paths:
        try:
            res = extract(p)  # warm-up (imports, caches)
        except ExtractionError:
            continue
        wall, cpu = [], []
        for _ in range(repeats):
            w0, c0 = time.perf_counter(), time.process_time()
            extract(p)
            wall.append(time.perf_counter() - w0)
            cpu.append(time.process_time() - c0)
        rows.append(TextTiming(p, res.meta.source_kind.value, statistics.median(wall), statistics.median(cpu)))
    return rows


# ---- start-up --------------------------------------------------------------------------------

def startup(repeats: int = 5, reports: Sequence[TextTiming] = ()) -> dict[str, tuple[float, float]]:
    """(median wall, median child CPU) seconds of fresh interpreters doing only start-up work, and,
    for each timed report, of `gongkai extract` on it — with the start-up it costs: the whole run
    less the report's own warm in-process extraction (imports, model loading, first-use tables)."""
    cases = {
        "gongkai --help": [sys.executable, "-m", "gongkai", "--help"],
        "import gongkai.extraction.pipeline": [sys.executable, "-c", "import gongkai.extraction.pipeline"],
        "python -c pass (floor)": [sys.executable, "-c", "pass"],
    }
    for report in reports:
        cases[f"gongkai extract -q {report.path.name}"] = [sys.executable, "-m", "gongkai", "extract", "-q",
                                                          str(report.path)]
    out = {}
    env = {**os.environ}
    for name, cmd in cases.items():
        wall, cpu = [], []
        for _ in range(repeats):
            r0 = os.times()
            t0 = time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            wall.append(time.perf_counter() - t0)
            r1 = os.times()
            cpu.append((r1.children_user - r0.children_user) + (r1.children_system - r0.children_system))
        out[name] = (statistics.median(wall), statistics.median(cpu))
    for report in reports:
        wall, cpu = out[f"gongkai extract -q {report.path.name}"]
        out[f"CLI start-up of {report.path.name}: its line less its warm extraction ({report.seconds:.3f} s)"] = (
            wall - report.seconds, cpu - report.cpu)
    return out


# ---- scans -----------------------------------------------------------------------------------

@dataclass
class ScanTiming:
    path: Path
    pages: int
    seconds: float
    cpu: float
    peak_rss_mb: float
    raw_seconds: float  # RapidOCR's own pipeline on the same page images
    raw_cpu: float
    fields_right: int | None = None
    fields_total: int | None = None
    steps: dict[str, float] = field(default_factory=dict)


_OURS = r"""
import json, resource, sys, time
from pathlib import Path
from gongkai.models.registry import extract
from gongkai.extraction.ingest import limits, raster
if len(sys.argv) > 2:  # a busy box: lift the page deadline so the figure is a time, not a refusal
    _init = limits.Deadline.__init__
    limits.Deadline.__init__ = lambda self, seconds, page: _init(self, float(sys.argv[2]), page)
steps = {}
orig = raster.ocr_page
def timed(*a, **k):
    segs = orig(*a, **k)
    for key, v in raster.last_timings.steps.items():
        steps[key] = steps.get(key, 0.0) + v
    return segs
raster.ocr_page = timed
import gongkai.extraction.ingest.pdf, gongkai.extraction.ingest.image  # noqa: E401 - they import ocr_page lazily
p = Path(sys.argv[1])
w0, c0 = time.perf_counter(), time.process_time()
r = extract(p)
wall, cpu = time.perf_counter() - w0, time.process_time() - c0
gold = p.with_name(p.stem + ".gold.json")
right = total = None
if gold.exists():
    g = json.loads(gold.read_text(encoding="utf-8"))["fields"]
    right, total = sum(1 for k, v in g.items() if r.fields[k].value == v), len(g)
print(json.dumps({"wall": wall, "cpu": cpu, "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "right": right, "total": total, "steps": steps}))
"""

_RAW = r"""
import json, sys, time, logging
logging.disable(logging.CRITICAL)
import pypdfium2 as pdfium
from rapidocr import RapidOCR
from gongkai.extraction.ingest.limits import Limits
from gongkai.extraction.ingest.pdf import _render
engine = RapidOCR()
doc = pdfium.PdfDocument(open(sys.argv[1], "rb").read())
wall = cpu = 0.0
for i in range(len(doc)):
    gray = _render(doc, i, Limits())
    w0, c0 = time.perf_counter(), time.process_time()
    engine(gray)
    wall += time.perf_counter() - w0
    cpu += time.process_time() - c0
print(json.dumps({"wall": wall, "cpu": cpu, "pages": len(doc)}))
"""


def _child_json(code: str, *args) -> dict:
    env = {**os.environ}
    r = subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=ROOT, env=env, capture_output=True,
                       text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def time_scans(pdfs: list[Path], page_timeout_s: float | None = None) -> list[ScanTiming]:
    """Each scan twice, in fresh processes one after the other: ours (`extract`), then RapidOCR's
    pipeline over the same rendered pages (model loading excluded from both page timings of the
    raw run; ours includes everything, loading too)."""
    rows = []
    for p in pdfs:
        ours = _child_json(_OURS, p, *([page_timeout_s] if page_timeout_s else []))
        raw = _child_json(_RAW, p)
        rows.append(ScanTiming(p, raw["pages"], ours["wall"], ours["cpu"], ours["rss"], raw["wall"], raw["cpu"],
                               ours["right"], ours["total"], ours["steps"]))
    return rows


# ---- service throughput ----------------------------------------------------------------------

def throughput(paths: list[Path], workers: int, jobs: int) -> float:
    """Reports per second through the service's job path with `workers` threads (each job a
    forked child, as `InProcessPool` runs them), `jobs` jobs cycling over `paths`."""
    from gongkai.service.config import Settings
    from gongkai.service.jobs import isolated_extract

    settings = Settings.from_env().model_copy(update={"workers": workers})
    blobs = [(p.read_bytes(), p.name) for p in paths]
    isolated_extract(*blobs[0], settings)  # start the fork server
    todo = list(range(jobs))
    lock = threading.Lock()

    def run() -> None:
        while True:
            with lock:
                if not todo:
                    return
                i = todo.pop()
            data, name = blobs[i % len(blobs)]
            try:
                isolated_extract(data, name, settings)
            except Exception:  # noqa: BLE001 - a refused file still took its time
                pass

    t0 = time.perf_counter()
    threads = [threading.Thread(target=run) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return jobs / (time.perf_counter() - t0)


def http_throughput(paths: list[Path], workers: int, jobs: int) -> float:
    """Reports per second end to end: the real server (`python -m gongkai.service.api`, SQLite, the
    in-process pool with `workers`) on a fresh data folder, `jobs` uploads to `POST /v1/extractions`
    (each file made unique, so none is served from the content-hash cache), from the first upload to
    the last job finished. Client, server and extraction children share the same cores."""
    import socket
    import tempfile

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="gongkai-speed-") as tmp:
        env = {**os.environ, "GONGKAI_DATA_DIR": tmp, "GONGKAI_WORKERS": str(workers), "GONGKAI_LOG_LEVEL": "WARNING"}
        env.pop("GONGKAI_BROKER_URL", None)
        server = subprocess.Popen([sys.executable, "-m", "gongkai.service.api", "127.0.0.1", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            with httpx.Client(base_url=base, timeout=120) as client:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        if client.get("/readyz").status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError("the service did not start")
                    time.sleep(0.2)

                def submit(i: int) -> str:
                    path = paths[i % len(paths)]
                    body = path.read_bytes() + f"\n<!-- {i} -->\n".encode()
                    return client.post("/v1/extractions", files=[("files", (path.name, body))]).json()["jobs"][0]["id"]

                def wait(ids: list[str]) -> None:
                    for job_id in ids:  # in order: the queue is first in, first out
                        while client.get(f"/v1/extractions/{job_id}").json()["status"] not in ("done", "failed"):
                            time.sleep(0.1)

                wait([submit(-1)])  # the fork server and a first child
                t0 = time.perf_counter()
                wait([submit(i) for i in range(jobs)])
                return jobs / (time.perf_counter() - t0)
        finally:
            server.terminate()
            server.wait(10)


# ---- where the time goes ---------------------------------------------------------------------

STAGES = (  # (file, function) entry points: their cumulative CPU seconds in one `extract()`
    ("extraction/ingest/__init__.py", "read_document", "ingest"),
    ("models/rules.py", "label", "rule labeller"),
    ("models/token_classifier.py", "probabilities", "network"),
    ("models/hybrid.py", "fuse_rows", "fuse rows"),
    ("extraction/assemble.py", "assemble", "assemble (all calls)"),
    ("extraction/reconcile.py", "reconcile", "reconcile (all)"),
    ("extraction/row_alignments.py", "row_alignments", "row alignments"),
    ("extraction/milp.py", "solve", "MILP solves"),
    ("extraction/solve.py", "find_ambiguity", "ambiguity check"),
    ("extraction/solve.py", "pin_unknowns", "pin unknowns"),
    ("extraction/explain.py", "smallest_explanations", "explanations"),
    ("extraction/confidence.py", "score", "confidence"),
)


def profile_groups(path: Path) -> dict[str, float]:
    """Cumulative CPU seconds of one `extract()` (after a warm-up) in each of `STAGES`, plus
    the whole call and the number of MILP solves. Stages nest (reconcile holds the solves)."""
    from gongkai.models.registry import extract

    extract(path)
    prof = cProfile.Profile(time.process_time)
    prof.enable()
    extract(path)
    prof.disable()
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    out: dict[str, float] = {}
    for (file, _line, fn), (_cc, nc, _tt, ct, _callers) in stats.items():
        if fn == "extract" and file.endswith("extraction/pipeline.py"):
            out["extract"] = ct
        for key, name, label in STAGES:
            if fn == name and file.endswith(key):
                out[label] = out.get(label, 0.0) + ct
                if label == "MILP solves":
                    out["MILP solve count"] = out.get("MILP solve count", 0) + nc
    return out


# ---- the report ------------------------------------------------------------------------------

def _fmt(s: Summary) -> str:
    return f"{s.median:.3f} | {s.p95:.3f} | {s.max:.3f}"


def render_report(texts: list[TextTiming], start: dict, scans: list[ScanTiming], service: dict,
                  profiles: dict[str, dict[str, float]], note: str = "") -> str:
    lines = ["# Speed and memory", "",
             "Written by `python -m gongkai.eval.speed` (`make bench`). One run; wall seconds depend on what else "
             "shares the cores, CPU seconds (the process's own, all threads) much less.", ""]
    if note:
        lines += [note, ""]
    lines += ["## Text, HTML and PDF-text reports (in-process `extract()`, after a warm-up)", "",
              "| kind | n | wall median | p95 | max | CPU median | p95 | max |", "|---|---|---|---|---|---|---|---|"]
    kinds = sorted({t.kind for t in texts})
    for k in kinds + (["all"] if len(kinds) > 1 else []):
        rows = [t for t in texts if k in ("all", t.kind)]
        lines.append(f"| {k} | {len(rows)} | {_fmt(summarize([t.seconds for t in rows]))} | "
                     f"{_fmt(summarize([t.cpu for t in rows]))} |")
    lines += ["", "Slowest reports (wall s): " + ", ".join(
        f"{t.path.name} {t.seconds:.2f}" for t in sorted(texts, key=lambda t: -t.seconds)[:5]), ""]
    if profiles:
        lines += ["### Where the slowest reports spend their time (cProfile, cumulative CPU s; stages nest)", ""]
        order = ["extract"] + [label for *_k, label in STAGES] + ["MILP solve count"]
        groups = [g for g in order if any(g in prof for prof in profiles.values())]
        lines += ["| report | " + " | ".join(groups) + " |", "|---|" + "---|" * len(groups)]
        for name, prof in profiles.items():
            lines.append(f"| {name} | " + " | ".join(
                f"{prof.get(g, 0):.0f}" if g.endswith("count") else f"{prof.get(g, 0.0):.2f}" for g in groups) + " |")
        lines.append("")
    lines += ["## Start-up (fresh interpreter, median)", "", "| command | wall s | CPU s |", "|---|---|---|"]
    lines += [f"| `{k}` | {w:.3f} | {c:.3f} |" for k, (w, c) in start.items()]
    lines.append("")
    if scans:
        lines += ["## Scans (image-only PDFs; ours end to end vs RapidOCR's pipeline on the same page images)", "",
                  "| file | pages | ours wall s | s/page | ours CPU s | RapidOCR wall s | RapidOCR CPU s | "
                  "ratio wall | ratio CPU | peak RSS MB | fields |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for s in scans:
            fields = f"{s.fields_right}/{s.fields_total}" if s.fields_total else "-"
            lines.append(f"| {s.path.name} | {s.pages} | {s.seconds:.1f} | {s.seconds / s.pages:.2f} | {s.cpu:.1f} | "
                         f"{s.raw_seconds:.1f} | {s.raw_cpu:.1f} | {s.seconds / s.raw_seconds:.2f} | "
                         f"{s.cpu / s.raw_cpu:.2f} | {s.peak_rss_mb:.0f} | {fields} |")
        ratios = sorted(s.seconds / s.raw_seconds for s in scans)
        lines += ["", f"Wall ratio over the {len(scans)} scans: median {statistics.median(ratios):.2f}, "
                      f"max {ratios[-1]:.2f}; peak RSS max {max(s.peak_rss_mb for s in scans):.0f} MB."]
        steps = sorted({k for s in scans for k in s.steps})
        lines += ["", "OCR page steps, summed over the pages (wall s): " + "; ".join(
            f"{s.path.name}: " + ", ".join(f"{k} {s.steps.get(k, 0.0):.1f}" for k in steps) for s in scans), ""]
    if service:
        lines += ["## Service throughput (job path: extraction children reused job after job)", "",
                  "| mix | workers | reports/s |", "|---|---|---|"]
        lines += [f"| {mix} | {n} | {rate:.2f} |" for (mix, n), rate in service.items()]
        lines += ["", "`text over HTTP`: uploads to the real server (`POST /v1/extractions`, SQLite, its in-process "
                  "workers) until the last job is done; client and server share the two cores with the children."]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks" / "speed.md")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--text", type=Path, nargs="*", help="text/HTML/PDF files (default: real reports + seeds)")
    ap.add_argument("--scan-dir", type=Path, default=None,
                    help="folder of image-only PDFs (default: the scan-300 split, first --scans samples)")
    ap.add_argument("--scans", type=int, default=4, help="scan files to time (0: none)")
    ap.add_argument("--workers", default="1,2,4", help="service worker counts (text mix)")
    ap.add_argument("--http-workers", default="2", help="service worker counts, text mix over HTTP ('' = skip)")
    ap.add_argument("--scan-workers", default="1,2", help="service worker counts for the scan mix ('' = skip)")
    ap.add_argument("--page-timeout", type=float, default=None,
                    help="lift the OCR page deadline for the timed scans (a busy box)")
    ap.add_argument("--jobs", type=int, default=40, help="text jobs per throughput figure")
    ap.add_argument("--profile", type=int, default=3, help="slowest text reports to profile")
    ap.add_argument("--note", default="")
    args = ap.parse_args(argv)

    texts_in = args.text if args.text is not None else text_inputs()
    texts = time_texts(texts_in, args.repeats)
    slowest = sorted(texts, key=lambda t: -t.seconds)[:args.profile]
    profiles = {t.path.name: profile_groups(t.path) for t in slowest}
    # the median text/HTML report, and the slowest (it loads everything a report can need: the network too)
    by_time = sorted((t for t in texts if t.kind in ("text", "html")), key=lambda t: t.seconds)
    start = startup(max(3, args.repeats), [by_time[len(by_time) // 2], by_time[-1]] if by_time else [])
    scans: list[ScanTiming] = []
    pdfs: list[Path] = []
    if args.scans:
        if args.scan_dir is None:
            from gongkai.training.synth.splits import ensure_split

            args.scan_dir = ensure_split("scan-300", ROOT / "data" / "bench", args.scans)
        pdfs = sorted(args.scan_dir.glob("*.pdf"))[:args.scans]
        scans = time_scans(pdfs, args.page_timeout)
    service = {}
    text_mix = [t.path for t in texts if t.kind in ("text", "html")]
    for n in [int(x) for x in args.workers.split(",") if x]:
        if text_mix:
            service[("text", n)] = throughput(text_mix, n, args.jobs)
    for n in [int(x) for x in args.http_workers.split(",") if x]:
        if text_mix:
            service[("text over HTTP", n)] = http_throughput(text_mix, n, args.jobs * 2)
    for n in [int(x) for x in args.scan_workers.split(",") if x]:
        if pdfs:
            service[("scan", n)] = throughput(pdfs, n, max(n, 2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render_report(texts, start, scans, service, profiles, args.note) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
