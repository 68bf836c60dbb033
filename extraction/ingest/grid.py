"""Ruled tables: from ruling-line segments to a grid of (possibly merged) cells.

The same code serves both page kinds: for a PDF text layer the segments are the page's vector lines
(`pdfplumber` edges), for a raster page they come from `ruling_segments()` (OpenCV morphology).
A table is a connected set of horizontal and vertical rules; its grid is the cross product of the
distinct rule positions, and two neighbouring grid units belong to one (merged) cell when the rule
between them is missing.

Measured against img2table 2.0.0 (issue 4; `python -m gongkai.eval.grid_compare`, eval/README.md): on 30
scanned bench pages (40 tables, 100–300 dpi, deskewed and rectified alike) this code found every
table and recovered 77.5 % of the grids exactly (90 % with the right shape) in 0.08 s a page;
img2table missed 15 % of the tables and got 75 % exact in 0.5 s a page, so it stays, with no extra
dependency.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["HSeg", "VSeg", "Cell", "Table", "build_tables", "line_masks", "ruling_segments", "remove_rulings"]


@dataclass(frozen=True)
class HSeg:
    y: float
    x0: float
    x1: float


@dataclass(frozen=True)
class VSeg:
    x: float
    y0: float
    y1: float


@dataclass
class Cell:
    """A cell spanning grid rows `r0..r1` and columns `c0..c1` (inclusive)."""

    r0: int
    r1: int
    c0: int
    c1: int
    x0: float
    y0: float
    x1: float
    y1: float

    def contains(self, x: float, y: float) -> bool:
        return self.x0 <= x < self.x1 and self.y0 <= y < self.y1


@dataclass
class Table:
    ys: list[float]  # row boundaries, top to bottom
    xs: list[float]  # column boundaries, left to right
    cells: list[Cell] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        return len(self.ys) - 1

    @property
    def n_cols(self) -> int:
        return len(self.xs) - 1

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return self.xs[0], self.ys[0], self.xs[-1], self.ys[-1]

    def cell_at(self, x: float, y: float) -> Cell | None:
        for c in self.cells:
            if c.contains(x, y):
                return c
        return None


# ---- segment clean-up ------------------------------------------------------------------------

def _cluster(values: list[float], tol: float) -> list[float]:
    """Positions closer than `tol` collapse to their mean."""
    if not values:
        return []
    vs = sorted(values)
    groups: list[list[float]] = [[vs[0]]]
    for v in vs[1:]:
        if v - groups[-1][-1] <= tol:
            groups[-1].append(v)
        else:
            groups.append([v])
    return [float(np.mean(g)) for g in groups]


def _snap(v: float, centers: list[float]) -> float:
    return min(centers, key=lambda c: abs(c - v))


def _merge_lines(segs: list, tol: float, pos, span, make) -> list:
    """Snap ruling pieces to common positions and join overlapping runs along each line."""
    centers = _cluster([pos(s) for s in segs], tol)
    by_pos: dict[float, list[tuple[float, float]]] = {}
    for s in segs:
        a, b = span(s)
        by_pos.setdefault(_snap(pos(s), centers), []).append((min(a, b), max(a, b)))
    return [make(p, a, b) for p, iv in by_pos.items() for a, b in _merge_intervals(iv, tol)]


def _merge_h(segs: list[HSeg], tol: float) -> list[HSeg]:
    return _merge_lines(segs, tol, lambda s: s.y, lambda s: (s.x0, s.x1), HSeg)


def _merge_v(segs: list[VSeg], tol: float) -> list[VSeg]:
    return _merge_lines(segs, tol, lambda s: s.x, lambda s: (s.y0, s.y1), VSeg)


def _merge_intervals(iv: list[tuple[float, float]], tol: float) -> list[tuple[float, float]]:
    iv = sorted(iv)
    out = [list(iv[0])]
    for a, b in iv[1:]:
        if a <= out[-1][1] + tol:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def _touches(h: HSeg, v: VSeg, tol: float) -> bool:
    return h.x0 - tol <= v.x <= h.x1 + tol and v.y0 - tol <= h.y <= v.y1 + tol


def _coverage(intervals: list[tuple[float, float]], a: float, b: float) -> float:
    if b <= a:
        return 1.0
    total = 0.0
    for lo, hi in intervals:
        total += max(0.0, min(b, hi) - max(a, lo))
    return total / (b - a)


# ---- tables ----------------------------------------------------------------------------------

def build_tables(hsegs: list[HSeg], vsegs: list[VSeg], tol: float = 2.0,
                 min_len: float = 0.0) -> list[Table]:
    """Group rules into tables and recover each table's cell grid.

    `tol` is the snapping distance (≈ a rule's thickness plus jitter, in the segments' units);
    `min_len` drops shorter segments. Rules that do not meet another rule at both ends are text
    strokes or underlines and are dropped; a table needs at least 2×2 grid units.
    """
    hs = _merge_h([s for s in hsegs if abs(s.x1 - s.x0) >= min_len], tol)
    vs = _merge_v([s for s in vsegs if abs(s.y1 - s.y0) >= min_len], tol)
    # A ruling line ends on another rule (at least at one end: a table broken by a page break
    # has no closing rule); strokes of glyphs and underlines meet none.
    for _ in range(2):
        vs = [v for v in vs
              if any(min(abs(h.y - v.y0), abs(h.y - v.y1)) <= tol * 2
                     and h.x0 - tol <= v.x <= h.x1 + tol for h in hs)]
        hs = [h for h in hs
              if any(min(abs(v.x - h.x0), abs(v.x - h.x1)) <= tol * 2
                     and v.y0 - tol <= h.y <= v.y1 + tol for v in vs)]
    if not hs or not vs:
        return []
    # connected components over the touch graph
    n_h = len(hs)
    parent = list(range(n_h + len(vs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, h in enumerate(hs):
        for j, v in enumerate(vs):
            if _touches(h, v, tol):
                parent[find(i)] = find(n_h + j)
    comps: dict[int, tuple[list[HSeg], list[VSeg]]] = {}
    for i, h in enumerate(hs):
        comps.setdefault(find(i), ([], []))[0].append(h)
    for j, v in enumerate(vs):
        comps.setdefault(find(n_h + j), ([], []))[1].append(v)
    tables = []
    for ch, cv in comps.values():
        if len(ch) < 2 or len(cv) < 2:
            continue
        t = _grid(ch, cv, tol)
        if t is not None:
            tables.append(t)
    tables.sort(key=lambda t: (t.ys[0], t.xs[0]))
    return tables


def _grid(hs: list[HSeg], vs: list[VSeg], tol: float) -> Table | None:
    ys = _cluster([h.y for h in hs], tol * 1.5)
    xs = _cluster([v.x for v in vs], tol * 1.5)
    # an open edge (no closing rule, e.g. at a page break) still bounds the grid
    lo, hi = min(v.y0 for v in vs), max(v.y1 for v in vs)
    if lo < ys[0] - tol * 2:
        ys.insert(0, lo)
    if hi > ys[-1] + tol * 2:
        ys.append(hi)
    lo, hi = min(h.x0 for h in hs), max(h.x1 for h in hs)
    if lo < xs[0] - tol * 2:
        xs.insert(0, lo)
    if hi > xs[-1] + tol * 2:
        xs.append(hi)
    if len(ys) < 3 or len(xs) < 3:
        return None
    h_at: dict[int, list[tuple[float, float]]] = {i: [] for i in range(len(ys))}
    for h in hs:
        h_at[ys.index(_snap(h.y, ys))].append((h.x0 - tol, h.x1 + tol))
    v_at: dict[int, list[tuple[float, float]]] = {i: [] for i in range(len(xs))}
    for v in vs:
        v_at[xs.index(_snap(v.x, xs))].append((v.y0 - tol, v.y1 + tol))
    nr, nc = len(ys) - 1, len(xs) - 1
    parent = list(range(nr * nc))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in range(nr):
        for c in range(nc):
            if c + 1 < nc and _coverage(v_at[c + 1], ys[r], ys[r + 1]) < 0.5:
                parent[find(r * nc + c)] = find(r * nc + c + 1)
            if r + 1 < nr and _coverage(h_at[r + 1], xs[c], xs[c + 1]) < 0.5:
                parent[find(r * nc + c)] = find((r + 1) * nc + c)
    groups: dict[int, list[tuple[int, int]]] = {}
    for r in range(nr):
        for c in range(nc):
            groups.setdefault(find(r * nc + c), []).append((r, c))
    cells = []
    for units in groups.values():
        r0 = min(u[0] for u in units)
        r1 = max(u[0] for u in units)
        c0 = min(u[1] for u in units)
        c1 = max(u[1] for u in units)
        cells.append(Cell(r0, r1, c0, c1, xs[c0], ys[r0], xs[c1 + 1], ys[r1 + 1]))
    if len(cells) < 2:
        return None
    cells.sort(key=lambda c: (c.r0, c.c0))
    return Table(ys=ys, xs=xs, cells=cells)


# ---- raster rules ----------------------------------------------------------------------------

def _binary(gray: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15)


def line_masks(gray: np.ndarray, hk: int, vk: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixels of horizontal runs at least `hk` long and vertical runs at least `vk` long."""
    import cv2

    bw = _binary(gray)
    hmask = cv2.morphologyEx(bw, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (hk, 1)))
    vmask = cv2.morphologyEx(bw, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, vk)))
    return hmask, vmask


def ruling_segments(gray: np.ndarray, min_frac: float = 0.02) -> tuple[list[HSeg], list[VSeg], np.ndarray]:
    """Horizontal and vertical rules of a grayscale page image (dark lines on light paper).

    Returns the segments and the mask of rule pixels (to erase them before OCR). `min_frac` is
    the shortest rule kept, as a fraction of the page's width (horizontal) or height (vertical).
    """
    import cv2

    h, w = gray.shape
    hmask, vmask = line_masks(gray, max(15, int(w * min_frac * 1.5)), max(15, int(h * min_frac)))
    # bridge 1–2 px breaks from anti-aliasing or scan noise
    hmask = cv2.dilate(hmask, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 1)))
    vmask = cv2.dilate(vmask, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 5)))
    hsegs: list[HSeg] = []
    n, _, stats, _ = cv2.connectedComponentsWithStats(hmask, connectivity=8)
    for x, y, bw_, bh, _area in stats[1:n]:
        if bh <= max(8, bw_ // 20):
            hsegs.append(HSeg(y + bh / 2, float(x), float(x + bw_)))
    vsegs: list[VSeg] = []
    n, _, stats, _ = cv2.connectedComponentsWithStats(vmask, connectivity=8)
    for x, y, bw_, bh, _area in stats[1:n]:
        if bw_ <= max(8, bh // 20):
            vsegs.append(VSeg(x + bw_ / 2, float(y), float(y + bh)))
    mask = cv2.bitwise_or(hmask, vmask)
    return hsegs, vsegs, mask


def remove_rulings(gray: np.ndarray, mask: np.ndarray, tables: list[Table], tol: float = 4.0) -> np.ndarray:
    """The page with the tables' rule pixels painted white (so text detection does not see the
    grid). Only mask pixels along the recovered cell borders are erased, never a glyph's stroke
    that merely looked like a rule."""
    import cv2

    borders = np.zeros_like(mask)
    t = max(1, int(round(tol)))
    for table in tables:
        for c in table.cells:
            cv2.rectangle(borders, (int(c.x0), int(c.y0)), (int(c.x1), int(c.y1)), 255, 2 * t + 1)
    erase = cv2.dilate(cv2.bitwise_and(mask, borders), np.ones((3, 3), np.uint8))
    out = gray.copy()
    out[erase > 0] = 255
    return out
