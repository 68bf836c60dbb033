"""Perspective correction of photographed pages (extraction/ingest/rectify.py)."""
from __future__ import annotations

import numpy as np
import pytest

from gongkai.extraction.ingest.grid import build_tables, ruling_segments
from gongkai.extraction.ingest.rectify import find_frame, rectify

cv2 = pytest.importorskip("cv2")

XS = [100, 400, 550, 700, 850]
YS = [100 + 60 * i for i in range(16)]  # 15 rows: a tall table, where a slant adds up


def _table(closed: bool = True) -> np.ndarray:
    img = np.full((1200, 950), 255, np.uint8)
    for y in YS if closed else YS[:-1]:
        cv2.line(img, (XS[0], y), (XS[-1], y), 0, 2)
    for x in XS:
        cv2.line(img, (x, YS[0]), (x, YS[-1]), 0, 2)
    for r in range(15):
        cv2.putText(img, str(r * 7), (XS[1] + 20, YS[r] + 42), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    return img


def _photograph(img: np.ndarray, m: float = 0.03) -> np.ndarray:
    """A phone's slant: the top edge narrower than the bottom, one side leaning."""
    h, w = img.shape
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[m * w, 0.5 * m * h], [w - 0.4 * m * w, 0], [w, h], [0.2 * m * w, h - 0.3 * m * h]])
    return cv2.warpPerspective(img, cv2.getPerspectiveTransform(src, dst), (w, h), borderValue=255)


def _grid(img: np.ndarray) -> tuple[int, int] | None:
    hs, vs, _ = ruling_segments(img)
    tol = max(3.0, img.shape[1] * 0.003)
    tables = build_tables(hs, vs, tol=tol, min_len=tol * 4)
    return (tables[0].n_rows, tables[0].n_cols) if len(tables) == 1 else None


def test_photographed_table_is_straightened_and_its_grid_recovered():
    photo = _photograph(_table())
    assert _grid(photo) != (15, 4)  # the slant alone breaks the axis-aligned grid
    straight, off = rectify(photo)
    assert off > 5
    assert _grid(straight) == (15, 4)
    frame = find_frame(straight)
    assert frame is not None
    assert np.allclose(frame[:, 0], [XS[0], XS[-1], XS[-1], XS[0]], atol=40)


def test_a_straight_page_passes_through_untouched():
    img = _table()
    out, off = rectify(img)
    assert out is img and off <= 3


def test_a_table_open_at_a_page_break_is_no_frame():
    photo = _photograph(_table(closed=False))
    assert find_frame(photo) is None
    out, _ = rectify(photo)
    assert out is photo


def test_a_side_is_fitted_as_cv2s_robust_fit_fits_it_and_a_stray_stroke_does_not_pull_it():
    from gongkai.extraction.ingest.rectify import _huber_line

    rng = np.random.default_rng(7)
    x = rng.uniform(0, 1500, 20000)
    rule = np.stack([x, 300 + 0.02 * x + rng.normal(0, 2, x.size)], axis=1)  # a 5 px thick rule, sloping
    stroke = np.stack([rng.uniform(600, 610, 3000), rng.uniform(300, 420, 3000)], axis=1)  # a stroke off it
    pts = np.concatenate([rule, stroke]).astype(np.float32)
    mean, d = _huber_line(pts)
    vx, vy, x0, y0 = cv2.fitLine(pts, cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
    assert abs(d[1] / d[0] - vy / vx) < 1e-3                       # the same slope as cv2's...
    at = lambda px, py, dx, dy, xx: py + (xx - px) * dy / dx
    for xx in (0.0, 1500.0):                                        # ...and the same line across the page
        assert abs(at(*mean, *d, xx) - at(x0, y0, vx, vy, xx)) < 0.5
        assert abs(at(*mean, *d, xx) - (300 + 0.02 * xx)) < 1.0     # the rule's, not the stroke's
