"""Seconds per page on the OCR path, and where they go: `python -m gongkai.eval.page_timing FILE.pdf [--pages 2,3]`.

Renders each page as `read_pdf` does (image-only pages are OCRed), runs `ocr_page` on it and prints the
step timings that `extraction.ingest.raster` records (deskew, rectify, ruling grid, detection, recognition,
missed-cell re-reads, layout), then the whole `extract()` of the file for the label → assemble →
reconcile share. A benchmark, not a test: timings never go into the test suite.
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pdf", type=Path)
    ap.add_argument("--pages", default="", help="1-based page numbers, comma-separated (default: all)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)

    import pypdfium2 as pdfium

    from gongkai.extraction.ingest import raster
    from gongkai.extraction.ingest.limits import Limits
    from gongkai.extraction.ingest.pdf import _render
    from gongkai.models.registry import extract
    from gongkai.models.ocr import RapidOcrEngine

    engine = RapidOcrEngine.default()
    doc = pdfium.PdfDocument(args.pdf.read_bytes())
    pages = [int(p) for p in args.pages.split(",") if p] or list(range(1, len(doc) + 1))
    limits = Limits()
    for n in pages:
        gray = _render(doc, n - 1, limits)
        raster.ocr_page(gray, n, engine)  # warm-up
        runs, steps = [], []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            segs = raster.ocr_page(gray, n, engine)
            runs.append(time.perf_counter() - t0)
            steps.append(dict(raster.last_timings.steps))
        detail = ", ".join(f"{k} {statistics.median(s.get(k, 0.0) for s in steps):.2f}" for k in steps[0])
        print(f"page {n} ({gray.shape[1]}x{gray.shape[0]} px, {len(segs)} segments): "
              f"{statistics.median(runs):.2f} s median of {args.repeats} — {detail}")
    t0 = time.perf_counter()
    result = extract(args.pdf)
    total = time.perf_counter() - t0
    print(f"whole file: {total:.2f} s for {len(doc)} pages ({total / len(doc):.2f} s/page), "
          f"source {result.meta.source_kind.value}, {sum(1 for f in result.fields.values() if f.value is not None)} "
          f"fields with a value")


if __name__ == "__main__":
    main()
