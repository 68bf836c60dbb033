"""Ruled-table grid recovery on scanned pages: ours (`extraction/ingest/grid.py`) vs img2table.

    python -m gongkai.eval.grid_compare --i2t-python /tmp/i2t/bin/python      # both
    python -m gongkai.eval.grid_compare                                        # ours only if img2table is missing

Pages: the `*.pN.jpg` page images of the `scan-150` and `scan-300` benchmark splits (synthetic
photocopies / phone photos at 100–300 dpi, see training/synth/scan.py), only pages that hold a
ruled table. Truth: each scan sample is a rasterised synthetic PDF; the PDF is regenerated from the
split's seed (`training.synth.sample.make_pdf`, same bytes as the scan's source) and its vector
rules (`extraction.ingest.pdf._page_rules`) go through `build_tables` exactly as a digital PDF does,
which gives every table's rows × cols and merged-cell spans.

Both detectors get the same input: the page in grayscale, deskewed by `raster.deskew` and
perspective-corrected by `rectify` (the OCR path's first steps); `ours(no rectify)` is ours on the
deskewed page alone. Timed: grid detection only — ours `ruling_segments` + `build_tables` with the
tolerances of `raster._read`; img2table `Image.extract_tables(ocr=None, implicit_rows=…,
borderless_tables=False)` on an already decoded image. Neither deskew nor OCR is timed.

Detected tables are matched to truth tables by bounding-box IoU in page-normalised coordinates
(greedy, IoU ≥ 0.3). A table is *exact* when matched with the same rows, cols and set of cell spans
(r0, r1, c0, c1). Row/col errors are over all truth tables; a missed table counts as 0 × 0.

img2table is never a dependency of this project: install it in a throwaway venv
(`python3 -m venv /tmp/i2t && /tmp/i2t/bin/pip install img2table numpy opencv-python-headless`)
and pass `--i2t-python`; this file then runs itself there in `--i2t-worker` mode, which imports
nothing from the project. Nothing imports this module.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IOU_MIN = 0.3


# ---- img2table worker (runs in img2table's venv; numpy/cv2/img2table only) ----------------------

def _i2t_import():
    try:
        from img2table.document import Image  # noqa: F401
    except ImportError as e:  # pragma: no cover - depends on the environment
        sys.exit(f"img2table is not installed in this interpreter ({sys.executable}): {e}\n"
                 "install it in a throwaway venv: python3 -m venv /tmp/i2t && "
                 "/tmp/i2t/bin/pip install img2table numpy opencv-python-headless\n"
                 "then: python -m gongkai.eval.grid_compare --i2t-python /tmp/i2t/bin/python")
    return Image


def _i2t_run(jobs: list[dict], implicit_rows: bool, repeat: int, detect_rotation: bool = False) -> list[dict]:
    """jobs: [{"png": path}] → [{"seconds", "tables": [{"bbox", "n_rows", "n_cols", "spans"}]}]."""
    Image = _i2t_import()
    out = []
    for job in jobs:
        data = Path(job["png"]).read_bytes()
        best, tables = float("inf"), []
        for _ in range(repeat):
            doc = Image(src=data, detect_rotation=detect_rotation)
            img = doc.images[0]  # decode (and img2table's own deskew) outside the timed part
            t0 = time.perf_counter()
            tables = doc.extract_tables(ocr=None, implicit_rows=implicit_rows, implicit_columns=False,
                                        borderless_tables=False)
            best = min(best, time.perf_counter() - t0)
        h, w = img.shape[:2]
        recs = []
        for t in tables:
            rows = list(t.content.values())
            n_rows = len(rows)
            n_cols = max((len(r) for r in rows), default=0)
            # merged cells: the same cell (bbox) repeated in every grid unit it covers
            span: dict[tuple, list[int]] = {}
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    b = (cell.bbox.x1, cell.bbox.y1, cell.bbox.x2, cell.bbox.y2)
                    s = span.setdefault(b, [r, r, c, c])
                    s[0], s[1] = min(s[0], r), max(s[1], r)
                    s[2], s[3] = min(s[2], c), max(s[3], c)
            b = t.bbox
            recs.append({"bbox": [b.x1 / w, b.y1 / h, b.x2 / w, b.y2 / h], "n_rows": n_rows,
                         "n_cols": n_cols, "spans": sorted(span.values())})
        out.append({"seconds": best, "tables": recs})
    return out


# ---- ours + truth (project venv) ------------------------------------------------------------------

def _table_rec(t, w: float, h: float) -> dict:
    return {"bbox": [t.xs[0] / w, t.ys[0] / h, t.xs[-1] / w, t.ys[-1] / h], "n_rows": t.n_rows,
            "n_cols": t.n_cols, "spans": sorted([c.r0, c.r1, c.c0, c.c1] for c in t.cells)}


def truth_pages(split: str, max_pages: int) -> list[dict]:
    """Pages (with ≥ 1 ruled table) of a scan split and the truth tables of each."""
    import io

    import pdfplumber

    from gongkai.training.synth.splits import SPLITS
    from gongkai.extraction.ingest.grid import build_tables
    from gongkai.extraction.ingest.pdf import _page_rules
    from gongkai.training.synth.sample import make_pdf

    sp = SPLITS[split]
    folder = ROOT / "data" / "bench" / split
    pages: list[dict] = []
    for index in range(sp.n):
        stem = f"scan-{sp.seed}-{index:06d}"
        gold_path = folder / f"{stem}.gold.json"
        if not gold_path.exists():
            break
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        sample, _ = make_pdf(sp.seed, index, sp.spec(), kind="scan")
        if sample.gold["fields"] != gold["fields"]:
            raise SystemExit(f"{stem}: regenerated PDF does not match the benchmark sample")
        with pdfplumber.open(io.BytesIO(sample.data)) as pdf:
            for i, page in enumerate(pdf.pages):
                jpg = folder / f"{stem}.p{i + 1}.jpg"
                hs, vs = _page_rules(page)
                tables = build_tables(hs, vs, tol=2.0, min_len=3.0)
                if not tables or not jpg.exists():
                    continue
                w, h = float(page.width), float(page.height)
                pages.append({"split": split, "stem": stem, "page": i + 1, "jpg": str(jpg),
                              "dpi": gold["degradation"]["dpi"], "mode": gold["degradation"]["mode"],
                              "truth": [_table_rec(t, w, h) for t in tables]})
                if len(pages) >= max_pages:
                    return pages
    return pages


def ours(gray, repeat: int) -> dict:
    from gongkai.extraction.ingest.grid import build_tables, ruling_segments

    h, w = gray.shape
    best, tables = float("inf"), []
    for _ in range(repeat):
        t0 = time.perf_counter()
        hs, vs, _mask = ruling_segments(gray)
        tol = max(3.0, w * 0.003)  # as extraction/ingest/raster.py `_read`
        tables = build_tables(hs, vs, tol=tol, min_len=tol * 4)
        best = min(best, time.perf_counter() - t0)
    return {"seconds": best, "tables": [_table_rec(t, w, h) for t in tables]}


# ---- scoring --------------------------------------------------------------------------------------

def _iou(a: list[float], b: list[float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def score_page(truth: list[dict], found: list[dict]) -> list[dict]:
    """One record per truth table: matched table's figures (or a miss), plus extra detections."""
    pairs = sorted(((_iou(t["bbox"], f["bbox"]), i, j) for i, t in enumerate(truth)
                    for j, f in enumerate(found)), reverse=True)
    match: dict[int, int] = {}
    used: set[int] = set()
    for iou, i, j in pairs:
        if iou < IOU_MIN or i in match or j in used:
            continue
        match[i] = j
        used.add(j)
    recs = []
    for i, t in enumerate(truth):
        f = found[match[i]] if i in match else None
        recs.append({
            "found": f is not None,
            "exact": bool(f and f["n_rows"] == t["n_rows"] and f["n_cols"] == t["n_cols"]
                          and f["spans"] == t["spans"]),
            "shape": bool(f and f["n_rows"] == t["n_rows"] and f["n_cols"] == t["n_cols"]),
            "rows_err": abs((f["n_rows"] if f else 0) - t["n_rows"]),
            "cols_err": abs((f["n_cols"] if f else 0) - t["n_cols"]),
            "cells_err": abs((len(f["spans"]) if f else 0) - len(t["spans"])),
            "truth": f"{t['n_rows']}x{t['n_cols']}/{len(t['spans'])}",
            "got": f"{f['n_rows']}x{f['n_cols']}/{len(f['spans'])}" if f else "-",
        })
    extra = len(found) - len(used)
    return recs, extra


def summarise(pages: list[dict], key: str) -> dict:
    recs, extra, secs = [], 0, []
    for p in pages:
        r, e = score_page(p["truth"], p[key]["tables"])
        recs += r
        extra += e
        secs.append(p[key]["seconds"])
    n = len(recs)
    mean = lambda k: sum(r[k] for r in recs) / n if n else 0.0  # noqa: E731
    return {"tables": n, "found": mean("found"), "exact": mean("exact"), "shape": mean("shape"),
            "rows_err": mean("rows_err"), "cols_err": mean("cols_err"), "cells_err": mean("cells_err"),
            "extra_tables": extra, "s_per_page": sum(secs) / len(secs) if secs else 0.0,
            "s_per_page_max": max(secs) if secs else 0.0}


# ---- main -----------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--splits", default="scan-150,scan-300")
    ap.add_argument("--pages", type=int, default=15, help="table pages per split")
    ap.add_argument("--repeat", type=int, default=2, help="timing: best of N runs per page")
    ap.add_argument("--i2t-python", help="interpreter that has img2table (default: this one)")
    ap.add_argument("--implicit-rows", default="0,1", help="img2table implicit_rows settings to run")
    ap.add_argument("--i2t-raw", action="store_true",
                    help="also run img2table on the raw page image with its own detect_rotation=True")
    ap.add_argument("--json", help="write per-page results here")
    ap.add_argument("--i2t-worker", help=argparse.SUPPRESS)  # internal: jobs JSON path
    args = ap.parse_args(argv)

    if args.i2t_worker:
        spec = json.loads(Path(args.i2t_worker).read_text())
        res = _i2t_run(spec["jobs"], spec["implicit_rows"], spec["repeat"], spec.get("detect_rotation", False))
        Path(spec["out"]).write_text(json.dumps(res))
        return 0

    import cv2

    from gongkai.extraction.ingest.raster import deskew
    from gongkai.extraction.ingest.rectify import rectify

    pages: list[dict] = []
    for split in args.splits.split(","):
        pages += truth_pages(split, args.pages)
    print(f"{len(pages)} pages, {sum(len(p['truth']) for p in pages)} truth tables", file=sys.stderr)

    tmp = Path(tempfile.mkdtemp(prefix="grid_compare_"))
    for k, p in enumerate(pages):
        gray = cv2.imread(p["jpg"], cv2.IMREAD_GRAYSCALE)
        gray, _ = deskew(gray)
        p["ours(no rectify)"] = ours(gray, args.repeat)
        gray, _ = rectify(gray)
        p["png"] = str(tmp / f"{k}.png")
        cv2.imwrite(p["png"], gray)
        p["ours"] = ours(gray, args.repeat)

    keys = ["ours", "ours(no rectify)"]
    i2t_py = args.i2t_python or sys.executable
    runs = [(bool(int(x)), False) for x in args.implicit_rows.split(",") if x != ""]
    runs += [(False, True)] if args.i2t_raw else []
    for ir, raw in runs:
        key = "img2table(raw,detect_rotation)" if raw else f"img2table(implicit_rows={ir})"
        spec = {"jobs": [{"png": p["jpg"] if raw else p["png"]} for p in pages], "implicit_rows": ir,
                "repeat": args.repeat, "detect_rotation": raw, "out": str(tmp / "i2t.json")}
        (tmp / "jobs.json").write_text(json.dumps(spec))
        proc = subprocess.run([i2t_py, str(Path(__file__).resolve()), "--i2t-worker", str(tmp / "jobs.json")],
                              env={**os.environ, "PYTHONPATH": ""}, capture_output=True, text=True)
        if proc.returncode != 0:
            print(proc.stderr.strip() or proc.stdout.strip(), file=sys.stderr)
            print("img2table: skipped (not installed for that interpreter)", file=sys.stderr)
            break
        for p, r in zip(pages, json.loads((tmp / "i2t.json").read_text())):
            p[key] = r
        keys.append(key)

    print(f"{'detector':31} {'tables':>6} {'found':>6} {'exact':>6} {'shape':>6} {'|drows|':>7} "
          f"{'|dcols|':>7} {'|dcells|':>8} {'extra':>5} {'s/page':>7} {'max s':>6}")
    groups = [("all", pages)] + [(f"dpi {d}", [p for p in pages if p["dpi"] == d])
                                 for d in sorted({p["dpi"] for p in pages})]
    groups += [(m, [p for p in pages if p["mode"] == m]) for m in sorted({p["mode"] for p in pages})]
    summary = {}
    for gname, gpages in groups:
        print(f"-- {gname}: {len(gpages)} pages")
        for key in keys:
            s = summarise(gpages, key)
            summary.setdefault(gname, {})[key] = s
            print(f"{key:31} {s['tables']:6d} {s['found']:6.1%} {s['exact']:6.1%} {s['shape']:6.1%} "
                  f"{s['rows_err']:7.2f} {s['cols_err']:7.2f} {s['cells_err']:8.2f} {s['extra_tables']:5d} "
                  f"{s['s_per_page']:7.3f} {s['s_per_page_max']:6.2f}")
    if args.json:
        for p in pages:
            for key in keys:
                p[key]["score"] = score_page(p["truth"], p[key]["tables"])[0]
        Path(args.json).write_text(json.dumps({"summary": summary, "pages": pages}, ensure_ascii=False,
                                              indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
