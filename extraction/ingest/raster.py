"""The OCR page path shared by scanned PDF pages and images: one grayscale page → segments.

Steps: deskew (projection profile) → perspective correction (`rectify`) → ruling lines and the
table grid → rules erased → OCR (with `read_cells`, where the grid is known each cell's lines are
recognised from the cell's own crop and text is detected only outside the tables) → orientation check (a page read upside down or sideways is turned
and read again) → characters laid out into lines and cells (`layout`) → numeric cells get top-k
digit readings.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from itertools import product

import numpy as np

from gongkai.extraction.document import Alternative, Segment
from gongkai.extraction.ingest.grid import Table, build_tables, remove_rulings, ruling_segments
from gongkai.extraction.ingest.layout import Glyph, Piece, TableStitcher, _visual_lines, layout_page, piece_segment
from gongkai.extraction.ingest.limits import Deadline
from gongkai.extraction.ingest.ocr import OcrEngine, OcrLine, is_numeric_text
from gongkai.extraction.ingest.rectify import rectify

__all__ = ["ocr_page", "straighten", "deskew", "estimate_skew", "PageTimings", "N_ALTERNATIVES", "cell_line_boxes"]

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
    check = deadline.check if deadline else None
    if tables and getattr(ocr, "read_cells", False):
        lines = _read_by_grid(clean, tables, ocr, tol, check, t)
    else:
        lines = ocr.recognize(clean, check)
        for k, v in getattr(ocr, "timings", {}).items():
            t[k] = t.get(k, 0.0) + v
        lines += _read_missed_cells(clean, tables, lines, ocr, tol)
    t["ocr"] = t.get("ocr", 0.0) + time.perf_counter() - t0
    return lines, tables


def _read_by_grid(gray: np.ndarray, tables: list[Table], ocr, tol: float, check, t: dict[str, float]
                  ) -> list[OcrLine]:
    """A page whose table grid is known: each cell's text lines are cut from the cell's own ink
    and recognised directly (no detection over the table), and text is detected only in the
    horizontal strips the tables leave free (title, narrative), at the page's detection scale.
    Every box of the page goes through one batched recognition."""
    t0 = time.perf_counter()
    h, w = gray.shape
    scale = ocr.detection_scale(h, w)
    boxes: list[tuple[int, int, int, int]] = []
    for y0, y1 in _free_strips(h, tables, tol):
        strip = gray[y0:y1]
        if (strip < 128).sum() < 12:
            continue
        boxes += [(bx0, by0 + y0, bx1, by1 + y0) for bx0, by0, bx1, by1 in ocr.detect(strip, scale)]
        if check:
            check()
    cells, messy = cell_line_boxes(gray, tables, tol)
    if messy:  # ink across a cell's edges (a seal, a stray stroke): the detector separates the text
        x0, y0 = min(c[0] for c in messy), min(c[1] for c in messy)
        x1, y1 = max(c[2] for c in messy), max(c[3] for c in messy)
        for bx0, by0, bx1, by1 in ocr.detect(gray[y0:y1, x0:x1], scale):
            cx, cy = x0 + (bx0 + bx1) / 2, y0 + (by0 + by1) / 2
            cell = next((c for c in messy if c[0] <= cx < c[2] and c[1] <= cy < c[3]), None)
            if cell is not None:  # clipped to its cell: no glyph read twice
                boxes.append((max(cell[0], x0 + bx0), max(cell[1], y0 + by0),
                              min(cell[2], x0 + bx1), min(cell[3], y0 + by1)))
    t["det"] = t.get("det", 0.0) + time.perf_counter() - t0
    t0 = time.perf_counter()
    lines = ocr.read_lines(gray, boxes, check, single=cells)
    lines.sort(key=lambda ln: (ln.box[1], ln.box[0]))
    t["rec"] = t.get("rec", 0.0) + time.perf_counter() - t0
    return lines


def _free_strips(h: int, tables: list[Table], tol: float, min_height: int = 8) -> list[tuple[int, int]]:
    """Full-width row ranges [y0, y1) of the page that no table covers."""
    covered = sorted((max(0, int(tb.ys[0] - tol)), min(h, int(tb.ys[-1] + tol) + 1)) for tb in tables)
    out, y = [], 0
    for a, b in covered:
        if a - y >= min_height:
            out.append((y, a))
        y = max(y, b)
    if h - y >= min_height:
        out.append((y, h))
    return out


Box = tuple[int, int, int, int]


def cell_line_boxes(gray: np.ndarray, tables: list[Table], tol: float, min_ink: int = 12
                    ) -> tuple[list[Box], list[Box]]:
    """The text lines inside every cell of `tables` (rulings already erased), as boxes (x0, y0,
    x1, y1): rows of ink are grouped into lines no taller than 1.5× the page's typical line
    height (the median ink height of the one-line cells, mostly numbers), so a character drawn
    in separate strokes (三) stays one line while a wrapped row label gives one box per line.

    Returns (line boxes, messy cells): a cell whose ink runs into its edges (a seal or a stroke
    across the ruling) is left out of the first list; its interior box is in the second."""
    m = int(tol) + 2
    runs_per_cell: list[tuple[int, int, np.ndarray, list[list[int]]]] = []
    heights: list[int] = []
    messy: list[Box] = []
    for table in tables:
        for cell in table.cells:
            x0, y0, x1, y1 = int(cell.x0) + m, int(cell.y0) + m, int(cell.x1) - m, int(cell.y1) - m
            if x1 - x0 < 4 or y1 - y0 < 4:
                continue
            ink = gray[y0:y1, x0:x1] < 128
            if ink.sum() < min_ink:
                continue
            if max(ink[:2].sum(), ink[-2:].sum(), ink[:, :2].sum(), ink[:, -2:].sum()) >= 3:
                messy.append((x0, y0, x1, y1))
                continue
            runs = _ink_runs(ink.any(axis=1), gap=2)
            runs_per_cell.append((x0, y0, ink, runs))
            if len(runs) == 1:  # a one-line cell (most are numbers): its height is a line's
                heights.append(runs[0][1] - runs[0][0])
    if not runs_per_cell:
        return [], messy
    if not heights:
        heights = [b - a for *_, runs in runs_per_cell for a, b in runs]
    line_h = float(np.median(heights))
    boxes = []
    pad = 4
    for x0, y0, ink, runs in runs_per_cell:
        lines: list[list[int]] = []
        for a, b in runs:
            if lines and b - lines[-1][0] <= 1.5 * line_h:
                lines[-1][1] = b
            else:
                lines.append([a, b])
        for a, b in lines:
            band = ink[a:b]
            if band.sum() < min_ink:
                continue
            xs = np.nonzero(band.any(axis=0))[0]
            bx0, bx1 = x0 + max(0, int(xs[0]) - pad), x0 + min(ink.shape[1], int(xs[-1]) + 1 + pad)
            by0, by1 = y0 + max(0, a - pad), y0 + min(ink.shape[0], b + pad)
            boxes.append((bx0, by0, bx1, by1))
    return boxes, messy


def _ink_runs(on: np.ndarray, gap: int) -> list[list[int]]:
    """[start, end) runs of True in `on`, bridging gaps of at most `gap`."""
    runs: list[list[int]] = []
    for y in np.nonzero(on)[0].tolist():
        if runs and y - runs[-1][1] <= gap:
            runs[-1][1] = y + 1
        else:
            runs.append([y, y + 1])
    return runs


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
