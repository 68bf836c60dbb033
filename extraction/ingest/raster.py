"""The OCR page path shared by scanned PDF pages and images: one grayscale page → segments.

Steps: deskew (projection profile) → perspective correction (`rectify`) → ruling lines and the
table grid → rules erased → OCR (with `read_cells`, where the grid is known each cell's lines are
recognised from the cell's own crop and text is detected only outside the tables) → orientation check (a page read upside down or sideways is turned
and read again) → characters laid out into lines and cells (`layout`) → numeric cells get top-k
digit readings.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from itertools import product

import numpy as np

from gongkai.extraction.document import Alternative, Segment
from gongkai.extraction.ingest.grid import Table, build_tables, remove_rulings, ruling_segments
from gongkai.extraction.ingest.layout import Glyph, Piece, TableStitcher, _visual_lines, layout_page, piece_segment
from gongkai.extraction.ingest.limits import Deadline
from gongkai.extraction.ingest.ocr import DB_UNCLIP, OcrEngine, OcrLine, is_numeric_text
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
    tables = _without_frames(tables, tol)
    t["grid"] = t.get("grid", 0.0) + time.perf_counter() - t0
    t0 = time.perf_counter()
    check = deadline.check if deadline else None
    if getattr(ocr, "read_cells", False):
        lines = _read_by_grid(clean, tables, ocr, tol, check, t, rules=mask)
    else:
        lines = ocr.recognize(clean, check)
        for k, v in getattr(ocr, "timings", {}).items():
            t[k] = t.get(k, 0.0) + v
        lines += _read_missed_cells(clean, tables, lines, ocr, tol)
    t["ocr"] = t.get("ocr", 0.0) + time.perf_counter() - t0
    return lines, tables


def _without_frames(tables: list[Table], tol: float) -> list[Table]:
    """The tables, less any that encloses another: a border ruled round the page, or the paper's
    edge on a photocopy, is found as a table of a few huge cells, and reading it as one (its cells
    ink-crossed, detected over) read the real table inside it a second time. Its rules are erased
    all the same."""
    def encloses(outer: Table, inner: Table) -> bool:
        return (outer.xs[0] - tol <= inner.xs[0] and inner.xs[-1] <= outer.xs[-1] + tol
                and outer.ys[0] - tol <= inner.ys[0] and inner.ys[-1] <= outer.ys[-1] + tol)

    return [t for t in tables
            if not any(o is not t and encloses(t, o) and not encloses(o, t) for o in tables)]


def _band_boxes(gray: np.ndarray, tables: list[Table], ocr, tol: float, scale: float, check
                ) -> list[tuple[int, int, int, int]]:
    """Text boxes detected in the bands of text of the strips no table covers."""
    boxes: list[tuple[int, int, int, int]] = []
    for y0, y1 in _free_strips(gray.shape[0], tables, tol):
        for band in text_bands(gray[y0:y1]):
            bs = min(scale, max(MIN_BAND_SCALE * scale, DETECT_CHAR_PX / band.char_height))
            sub = gray[y0 + band.y0:y0 + band.y1, band.x0:band.x1]
            boxes += [(band.x0 + bx0, y0 + band.y0 + by0, band.x0 + bx1, y0 + band.y0 + by1)
                      for bx0, by0, bx1, by1 in ocr.detect(sub, bs)]
            if check:
                check()
    return boxes


def _read_by_grid(gray: np.ndarray, tables: list[Table], ocr, tol: float, check, t: dict[str, float],
                  rules: np.ndarray | None = None) -> list[OcrLine]:
    """A page read by its grid (or a page without tables, whose grid is empty): each cell's text
    lines are cut from the cell's own ink and recognised directly (no detection over the
    table), and text is detected only where the tables leave the page free — in the bands of
    text found there (`text_bands`), each at a scale chosen by its own character height (title
    and narrative need no table digit's resolution). Cells with ink across their edges (a seal)
    are detected in clusters, at the page's scale. Every box goes through one batched
    recognition."""
    t0 = time.perf_counter()
    h, w = gray.shape
    scale = ocr.detection_scale(h, w)
    boxes = _band_boxes(gray, tables, ocr, tol, scale, check)
    cells, messy = cell_line_boxes(gray, tables, tol, rules=rules)
    for x0, y0, x1, y1, members in _clusters(messy, margin=int(4 * tol) + 8, bounds=(w, h)):
        # ink across a cell's edges (a seal, a stray stroke): the detector separates the text
        found: set[Box] = set()
        for bx0, by0, bx1, by1 in ocr.detect(gray[y0:y1, x0:x1], scale):
            cx, cy = x0 + (bx0 + bx1) / 2, y0 + (by0 + by1) / 2
            cell = next((c for c in members if c[0] <= cx < c[2] and c[1] <= cy < c[3]), None)
            if cell is not None:  # clipped to its cell: no glyph read twice
                found.add(cell)
                boxes.append((max(cell[0], x0 + bx0), max(cell[1], y0 + by0),
                              min(cell[2], x0 + bx1), min(cell[3], y0 + by1)))
        # a glyph the seal's edge runs into may be no text to the detector: the cell's dark ink is
        # read as a crop, as the page path reads the cells its detection missed (unsure
        # characters are dropped below, the seal's strokes among them)
        boxes += [b for c in members if c not in found and (b := _ink_box(gray, *c)) is not None]
    t["det"] = t.get("det", 0.0) + time.perf_counter() - t0
    t0 = time.perf_counter()
    lines = _drop_unsure_in_messy(ocr.read_lines(gray, boxes, check, single=cells), messy)
    lines.sort(key=lambda ln: (ln.box[1], ln.box[0]))
    t["rec"] = t.get("rec", 0.0) + time.perf_counter() - t0
    return lines


# in a cell crossed by foreign ink (a seal), a character read below this confidence is the seal's
# stroke or text read as one; leaving the cell unread lets the table's sums speak for it
MESSY_MIN_CONF = 0.5


def _drop_unsure_in_messy(lines: list[OcrLine], messy: list["Box"]) -> list[OcrLine]:
    """Lines as read, without the unsure characters of boxes inside messy cells."""
    if not messy:
        return lines
    out = []
    for ln in lines:
        cx, cy = (ln.box[0] + ln.box[2]) / 2, (ln.box[1] + ln.box[3]) / 2
        if not any(c[0] <= cx < c[2] and c[1] <= cy < c[3] for c in messy):
            out.append(ln)
            continue
        keep = [c for c in ln.chars if c.conf >= MESSY_MIN_CONF]
        if len(keep) == len(ln.chars):
            out.append(ln)
        elif keep:
            out.append(OcrLine("".join(c.text for c in keep), ln.box, keep, ln.digit_probs))
    return out


# a text band is detected where its characters are about this many pixels high (PP-OCR's
# detector finds lines of 12-60 px alike), never above the page's detection scale nor below
# this share of it
DETECT_CHAR_PX = 24.0
MIN_BAND_SCALE = 0.4


@dataclass(frozen=True)
class TextBand:
    """A horizontal band of a region holding text: its box and the median character height (px)."""

    x0: int
    y0: int
    x1: int
    y1: int
    char_height: float


def text_bands(gray: np.ndarray, factor: float = 0.25) -> list[TextBand]:
    """The bands of `gray` that hold text, found on a reduced copy: locally dark blobs of a
    character's size (adaptive threshold, so a photo's dark background or a paper edge is no
    text; specks, long rules and blobs touching the border are dropped), grouped top to bottom
    wherever the gap between them is under three character heights, each band boxed with a
    margin of 1.5 character heights. An empty list: nothing to detect."""
    import cv2

    h, w = gray.shape[:2]
    sw, sh = int(w * factor), int(h * factor)
    if sw < 8 or sh < 4:
        return [TextBand(0, 0, w, h, 24.0)] if (gray < 128).sum() >= 12 else []
    small = cv2.resize(gray, (sw, sh), interpolation=cv2.INTER_AREA)
    ink = cv2.adaptiveThreshold(small, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 15, 12)
    n, _labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    blobs = []
    for x, y, bw, bh, area in stats[1:]:
        if area < 4 or bh < 2 or bh > 40 or bw > 25 * bh or (bh > 8 * bw and bw < 3):
            continue
        if x <= 1 or y <= 1 or x + bw >= sw - 1 or y + bh >= sh - 1:
            continue
        blobs.append((int(x), int(y), int(bw), int(bh)))
    if not blobs:
        return []
    blobs.sort(key=lambda b: b[1])
    char_h = float(np.median([b[3] for b in blobs]))
    groups: list[list[tuple[int, int, int, int]]] = []
    bottom = -1e9
    for b in blobs:
        if groups and b[1] <= bottom + 3 * char_h:
            groups[-1].append(b)
        else:
            groups.append([b])
            bottom = -1e9
        bottom = max(bottom, b[1] + b[3])
    out = []
    for g in groups:
        ch = float(np.median([b[3] for b in g])) / factor
        m = 1.5 * ch
        x0, y0 = min(b[0] for b in g) / factor - m, min(b[1] for b in g) / factor - m
        x1, y1 = max(b[0] + b[2] for b in g) / factor + m, max(b[1] + b[3] for b in g) / factor + m
        out.append(TextBand(max(0, int(x0)), max(0, int(y0)), min(w, int(math.ceil(x1))),
                            min(h, int(math.ceil(y1))), ch))
    return out


def _clusters(boxes: list["Box"], margin: int, bounds: tuple[int, int]
              ) -> list[tuple[int, int, int, int, list["Box"]]]:
    """Boxes grouped where they come within `margin` of each other; each group's bounding box
    grown by `margin` (clipped to `bounds` = (w, h)) with its members."""
    groups: list[list[Box]] = []
    for b in sorted(boxes):
        near = [g for g in groups if any(b[0] - margin <= o[2] and o[0] - margin <= b[2]
                                         and b[1] - margin <= o[3] and o[1] - margin <= b[3] for o in g)]
        merged = [b] + [o for g in near for o in g]
        groups = [g for g in groups if g not in near] + [merged]
    w, h = bounds
    return [(max(0, min(o[0] for o in g) - margin), max(0, min(o[1] for o in g) - margin),
             min(w, max(o[2] for o in g) + margin), min(h, max(o[3] for o in g) + margin), g) for g in groups]


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


def cell_line_boxes(gray: np.ndarray, tables: list[Table], tol: float, min_ink: int = 12,
                    rules: np.ndarray | None = None) -> tuple[list[Box], list[Box]]:
    """The text lines inside every cell of `tables` (rulings already erased), as boxes (x0, y0,
    x1, y1): rows of ink are grouped into lines no taller than 1.5× the page's typical line
    height (the median ink height of the one-line cells, mostly numbers), so a character drawn
    in separate strokes (三) stays one line while a wrapped row label gives one box per line.

    Ink is what is darker than halfway between the tables' paper and their darkest ink; only in a
    cell where nothing is, ink is what is darker than its surroundings by a clear step (a blurred
    100 dpi glyph can be light grey throughout, a crisp one is black, and a crisp cell's grain is
    no glyph; `_ink_map`), and each line box keeps the margin
    PP-OCR's detector would have given it (`DB_UNCLIP` of the ink box): the recogniser reads a
    cut-to-the-ink crop far worse than the crops it was trained on.

    Returns (line boxes, messy cells): a cell whose ink runs into its edges (a seal or a stroke
    across the ruling) is left out of the first list; its interior box is in the second."""
    m = int(tol) + 2
    inkmap = _ink_map(gray, tables, rules, tol)
    runs_per_cell: list[tuple[int, int, np.ndarray, list[list[int]], Box]] = []
    heights: list[int] = []
    messy: list[Box] = []
    for table in tables:
        for cell in table.cells:
            x0, y0, x1, y1 = int(cell.x0) + m, int(cell.y0) + m, int(cell.x1) - m, int(cell.y1) - m
            if x1 - x0 < 4 or y1 - y0 < 4:
                continue
            # a cell with ink dark by the level is read by that alone (a crisp scan's paper grain
            # and halo are no glyphs); only a cell the level leaves blank falls back to the local
            # test (a blurred 100 dpi glyph, light grey throughout)
            dark = inkmap.dark[y0:y1, x0:x1]
            ink = dark if dark.sum() >= min_ink else inkmap.ink[y0:y1, x0:x1]
            if ink.sum() < min_ink:
                continue
            # the edge test on dark ink: a faint trace of an erased rule is no ink across it
            if max(dark[:2].sum(), dark[-2:].sum(), dark[:, :2].sum(), dark[:, -2:].sum()) >= 3:
                messy.append((x0, y0, x1, y1))
                continue
            runs = _ink_runs(ink.any(axis=1), gap=2)
            bounds = (int(cell.x0) + 1, int(cell.y0) + 1, int(cell.x1) - 1, int(cell.y1) - 1)
            runs_per_cell.append((x0, y0, ink, runs, bounds))
            if len(runs) == 1:  # a one-line cell (most are numbers): its height is a line's
                heights.append(runs[0][1] - runs[0][0])
    if not runs_per_cell:
        return [], messy
    if not heights:
        heights = [b - a for _x, _y, _ink, runs, _b in runs_per_cell for a, b in runs]
    line_h = float(np.median(heights))
    boxes = []
    for x0, y0, ink, runs, (cx0, cy0, cx1, cy1) in runs_per_cell:
        lines: list[list[int]] = []
        for a, b in runs:
            if lines and b - lines[-1][0] <= 1.5 * line_h:
                lines[-1][1] = b
            else:
                lines.append([a, b])
        for k, (a, b) in enumerate(lines):
            band = ink[a:b]
            if band.sum() < min_ink:
                continue
            xs = np.nonzero(band.any(axis=0))[0]
            iw, ih = int(xs[-1]) + 1 - int(xs[0]), b - a
            pad = max(4, int(round(DB_UNCLIP * iw * ih / (2 * (iw + ih)))))
            # a wrapped label's lines share the gap between them: no crop reaches into the next line
            top = a - pad if k == 0 else max(a - pad, (lines[k - 1][1] + a) // 2)
            bottom = b + pad if k == len(lines) - 1 else min(b + pad, (b + lines[k + 1][0] + 1) // 2)
            # the margin may reach past the interior up to the cell's (erased) rules: a glyph
            # printed against the rule keeps its outer strokes
            bx0, bx1 = max(cx0, x0 + int(xs[0]) - pad), min(cx1, x0 + int(xs[-1]) + 1 + pad)
            by0, by1 = max(cy0, y0 + top), min(cy1, y0 + bottom)
            boxes.append((bx0, by0, bx1, by1))
    return boxes, messy


@dataclass
class _InkMap:
    ink: np.ndarray   # dark or locally darker: where glyphs are
    dark: np.ndarray  # dark by the level alone


def _ink_map(gray: np.ndarray, tables: list[Table], rules: np.ndarray | None = None, tol: float = 3.0) -> _InkMap:
    """Which pixels are ink: darker than halfway between the paper (the median of the tables'
    area) and the ink (its darkest 0.2 %), never above the paper nor below 128 — or darker than
    the mean of their 25 px neighbourhood by 15 grey levels (as the rule finder binarises), which
    catches a faint glyph on a 100 dpi JPEG scan at 190 on paper of 220. That local test is not
    made near the rule pixels `rules` (the mask the rulings were erased by): an erased rule's
    faint halo is no text."""
    import cv2

    level = 128.0
    if tables:
        x0, y0 = int(min(tb.xs[0] for tb in tables)), int(min(tb.ys[0] for tb in tables))
        x1, y1 = int(max(tb.xs[-1] for tb in tables)), int(max(tb.ys[-1] for tb in tables))
        area = gray[max(0, y0):max(0, y1), max(0, x0):max(0, x1)]
        if area.size:
            paper, ink = float(np.median(area)), float(np.percentile(area, 0.2))
            level = max(128.0, min(paper - 8.0, (paper + ink) / 2))
    local = cv2.adaptiveThreshold(gray, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15)
    if rules is not None:
        k = 2 * int(round(tol)) + 3
        local[cv2.dilate(rules, np.ones((k, k), np.uint8)) > 0] = 0
    dark = gray < level
    return _InkMap(dark | (local > 0), dark)


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
            if (box := _ink_box(gray, x0, y0, x1, y1)) is not None:
                todo.append(box)
    if not todo:
        return []
    return ocr.line_from_crops(gray, todo)  # type: ignore[attr-defined]


def _ink_box(gray: np.ndarray, x0: int, y0: int, x1: int, y1: int, min_ink: int = 12, pad: int = 4
             ) -> Box | None:
    """The box of a cell interior's dark ink (< 128) with a small margin, clipped to the interior;
    None for an interior too small or without ink."""
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    ink = gray[y0:y1, x0:x1] < 128
    if ink.sum() < min_ink:
        return None
    ys, xs = np.nonzero(ink)
    return (max(x0, x0 + int(xs.min()) - pad), max(y0, y0 + int(ys.min()) - pad),
            min(x1, x0 + int(xs.max()) + 1 + pad), min(y1, y0 + int(ys.max()) + 1 + pad))


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
