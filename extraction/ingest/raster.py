"""The OCR page path shared by scanned PDF pages and images: one grayscale page → segments.

Steps: deskew (projection profile) → perspective correction (`rectify`) → ruling lines and the
table grid → rules erased → OCR → orientation check (a page read upside down or sideways is turned
and read again) → characters laid out into lines and cells (`layout`) → numeric cells get top-k
digit readings.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from itertools import product

import numpy as np

from extraction.document import Alternative, Segment
from extraction.ingest.grid import Table, build_tables, remove_rulings, ruling_segments
from extraction.ingest.layout import Glyph, Piece, TableStitcher, _visual_lines, layout_page, piece_segment
from extraction.ingest.limits import Deadline
from extraction.ingest.rectify import rectify
from models.ocr import OcrEngine, OcrLine, is_numeric_text

__all__ = ["ocr_page", "straighten", "deskew", "estimate_skew", "PageTimings", "N_ALTERNATIVES"]

N_ALTERNATIVES = 5
MIN_ALTERNATIVE_PROB = 1e-3


@dataclass
class PageTimings:
    """Seconds spent per step on the last page (for benchmarks)."""

    steps: dict[str, float] = field(default_factory=dict)


last_timings = PageTimings()


def estimate_skew(gray: np.ndarray, max_angle: float = 5.0) -> float:
    """Skew angle in degrees (rotate by it to straighten), by maximising the sharpness of the
    horizontal projection profile on a reduced binary image."""
    import cv2

    h, w = gray.shape
    s = 800.0 / max(w, 1)
    small = cv2.resize(gray, (max(1, int(w * s)), max(1, int(h * s))), interpolation=cv2.INTER_AREA)
    _, bw = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    if bw.mean() < 0.5:  # blank page
        return 0.0
    center = (bw.shape[1] / 2, bw.shape[0] / 2)

    def score(a: float) -> float:
        m = cv2.getRotationMatrix2D(center, a, 1.0)
        r = cv2.warpAffine(bw, m, (bw.shape[1], bw.shape[0]), flags=cv2.INTER_NEAREST)
        prof = r.sum(axis=1, dtype=np.float64)
        return float(np.sum(np.diff(prof) ** 2))

    coarse = np.arange(-max_angle, max_angle + 1e-6, 0.5)
    best = max(coarse, key=score)
    fine = np.arange(best - 0.5, best + 0.5 + 1e-6, 0.1)
    return float(max(fine, key=score))


def deskew(gray: np.ndarray) -> tuple[np.ndarray, float]:
    import cv2

    angle = estimate_skew(gray)
    if abs(angle) < 0.15:
        return gray, 0.0
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255), angle


def _rotate(gray: np.ndarray, quarter_turns: int) -> np.ndarray:
    return np.ascontiguousarray(np.rot90(gray, k=quarter_turns))


def _looks_wrong(lines: list[OcrLine]) -> bool:
    """Sideways text gives tall boxes; upside-down text gives low confidences."""
    if not lines:
        return False
    tall = sum(1 for ln in lines if (ln.box[3] - ln.box[1]) > 1.5 * (ln.box[2] - ln.box[0])
               and len(ln.text) > 1)
    conf = float(np.mean([ln.conf for ln in lines]))
    return tall > 0.5 * len(lines) or conf < 0.6


def _read(gray: np.ndarray, ocr: OcrEngine, deadline: Deadline | None, t: dict[str, float]
          ) -> tuple[list[OcrLine], list[Table]]:
    t0 = time.perf_counter()
    hs, vs, mask = ruling_segments(gray)
    tol = max(3.0, gray.shape[1] * 0.003)
    tables = build_tables(hs, vs, tol=tol, min_len=tol * 4)
    clean = remove_rulings(gray, mask, tables, tol) if tables else gray
    t["grid"] = t.get("grid", 0.0) + time.perf_counter() - t0
    t0 = time.perf_counter()
    lines = ocr.recognize(clean, deadline.check if deadline else None)
    for k, v in getattr(ocr, "timings", {}).items():
        t[k] = t.get(k, 0.0) + v
    lines += _read_missed_cells(clean, tables, lines, ocr, tol)
    t["ocr"] = t.get("ocr", 0.0) + time.perf_counter() - t0
    return lines, tables


def _read_missed_cells(gray: np.ndarray, tables: list[Table], lines: list[OcrLine], ocr: OcrEngine,
                       tol: float) -> list[OcrLine]:
    """Cells that hold ink but got no detected text (the detector drops some lone small glyphs,
    e.g. a single "0") are recognised directly from the cell's crop."""
    if not tables or not hasattr(ocr, "line_from_crops"):
        return []
    centers = [((c.x0 + c.x1) / 2, (c.y0 + c.y1) / 2) for ln in lines for c in ln.chars]
    todo = []
    m = int(tol) + 2
    for table in tables:
        for cell in table.cells:
            if any(cell.contains(x, y) for x, y in centers):
                continue
            x0, y0, x1, y1 = int(cell.x0) + m, int(cell.y0) + m, int(cell.x1) - m, int(cell.y1) - m
            if x1 - x0 < 4 or y1 - y0 < 4:
                continue
            ink = gray[y0:y1, x0:x1] < 128
            if ink.sum() < 12:
                continue
            ys, xs = np.nonzero(ink)
            pad = 4
            bx0, by0 = max(x0, x0 + xs.min() - pad), max(y0, y0 + ys.min() - pad)
            bx1, by1 = min(x1, x0 + xs.max() + 1 + pad), min(y1, y0 + ys.max() + 1 + pad)
            todo.append((bx0, by0, bx1, by1))
    if not todo:
        return []
    return ocr.line_from_crops(gray, todo)  # type: ignore[attr-defined]


def straighten(gray: np.ndarray, t: dict[str, float] | None = None) -> np.ndarray:
    """Deskew, then rectify the perspective: the raster whose pixels OCR boxes (provenance) are in.
    The review page's crops redo exactly this, so a cell's box lands on the cell."""
    t = {} if t is None else t
    t0 = time.perf_counter()
    gray, _angle = deskew(gray)
    t["deskew"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    gray, _off = rectify(gray)
    t["rectify"] = time.perf_counter() - t0
    return gray


def ocr_page(gray: np.ndarray, page: int, ocr: OcrEngine, *, stitcher: TableStitcher | None = None,
             deadline: Deadline | None = None) -> list[Segment]:
    """OCR one grayscale page image into segments (lines numbered from 0 on this page)."""
    t: dict[str, float] = {}
    gray = straighten(gray, t)
    lines, tables = _read(gray, ocr, deadline, t)
    if _looks_wrong(lines):
        best = (float(np.mean([ln.conf for ln in lines])) if lines else 0.0, gray, lines, tables)
        for k in (2, 1, 3):
            g = _rotate(gray, k)
            ls, ts = _read(g, ocr, deadline, t)
            c = float(np.mean([ln.conf for ln in ls])) if ls else 0.0
            if c > best[0] + 0.1:
                best = (c, g, ls, ts)
            if not _looks_wrong(ls):
                break
        _, gray, lines, tables = best
    t0 = time.perf_counter()
    glyphs = [Glyph(c.text, c.x0, c.y0, c.x1, c.y1, c.conf, li, c.t0, c.t1)
              for li, ln in enumerate(lines) for c in ln.chars]
    h, w = gray.shape
    stitcher = stitcher or TableStitcher()
    above = bool(tables) and len(_visual_lines([g for g in glyphs if g.y1 <= tables[0].ys[0]])) >= 2
    refs = stitcher.assign(tables, float(w), float(h), above)
    layout = layout_page(glyphs, list(zip(tables, refs)))
    segments = []
    for li, pieces in enumerate(layout.lines):
        for p in pieces:
            seg = piece_segment(p, page, li)
            seg.char_conf = [g.conf for g in p.glyphs] if p.glyphs else None
            if is_numeric_text(p.text):
                alts = piece_alternatives(p, lines)
                # readings the recogniser all but ruled out are no candidates: they would only
                # let the reconciler "repair" an arithmetic error the agency really printed
                alts = [a for i, a in enumerate(alts) if i == 0 or a[1] >= MIN_ALTERNATIVE_PROB]
                if alts:
                    seg.alternatives = [Alternative(text=a, prob=pr) for a, pr in alts]
                    if not p.text.isdigit() and "." not in p.text:
                        seg.text = alts[0][0]  # e.g. "1,2" read for "12": keep the digit reading
            segments.append(seg)
    t["layout"] = time.perf_counter() - t0
    last_timings.steps = t
    return segments


def piece_alternatives(p: Piece, lines: list[OcrLine], k: int = N_ALTERNATIVES) -> list[tuple[str, float]]:
    """Top-k digit readings of a cell from the CTC probabilities of the line(s) it came from.

    The timestep window of each source line runs from just after the previous character outside
    the cell to just before the next one, so a digit the greedy reading dropped can still appear.
    A cell wrapped over several lines combines the per-line lists (product of probabilities).
    """
    by_src: dict[int, list[Glyph]] = {}
    for g in p.glyphs:
        if g.src >= 0:
            by_src.setdefault(g.src, []).append(g)
    if not by_src:
        return []
    per_line: list[list[tuple[str, float]]] = []
    for src in sorted(by_src, key=lambda s: min(g.y0 for g in by_src[s])):
        line = lines[src]
        mine = {(c.t0, c.t1) for c in by_src[src]}
        lo = min(g.t0 for g in by_src[src])
        hi = max(g.t1 for g in by_src[src])
        before = [c.t1 for c in line.chars if (c.t0, c.t1) not in mine and c.t1 < lo]
        after = [c.t0 for c in line.chars if (c.t0, c.t1) not in mine and c.t0 > hi]
        t0 = max(before) + 1 if before else 0
        t1 = min(after) - 1 if after else None
        alts = line.alternatives(t0, t1, k=k)
        if not alts:
            return []
        per_line.append(alts)
    if len(per_line) == 1:
        return per_line[0]
    combos = []
    for parts in product(*per_line):
        combos.append(("".join(a for a, _ in parts), float(np.prod([pr for _, pr in parts]))))
    combos.sort(key=lambda c: -c[1])
    return combos[:k]
