"""The grid path of the OCR page reader: cell lines are cut from the cells' own ink, and text is
detected only in the strips the tables leave free."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gongkai.extraction.ingest.grid import Cell, Table
from gongkai.extraction.ingest.raster import _free_strips, cell_line_boxes

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")


def _table() -> Table:
    xs, ys = [100.0, 300.0, 400.0], [100.0, 200.0, 250.0]
    cells = [Cell(r, r, c, c, xs[c], ys[r], xs[c + 1], ys[r + 1]) for r in range(2) for c in range(2)]
    return Table(ys=ys, xs=xs, cells=cells)


def _page() -> np.ndarray:
    page = np.full((400, 500), 255, np.uint8)
    # cell (0, 0): a label wrapped over two printed lines, 20 px high, 14 px apart
    page[115:135, 110:280] = 0
    page[149:169, 110:200] = 0
    # cell (0, 1): one character drawn in three separate strokes (三), 20 px high in all
    for y in (120, 128, 136):
        page[y:y + 4, 330:350] = 0
    # cell (1, 0): a number, 20 px high
    page[215:235, 350 - 240:140] = 0
    # cell (1, 1): blank but for a speck of dust
    page[220:222, 350:352] = 0
    return page


def test_a_wrapped_label_gives_one_box_per_line_and_a_stroked_character_one_box():
    boxes, messy = cell_line_boxes(_page(), [_table()], tol=3.0)
    assert messy == []
    inside = lambda cx0, cy0, cx1, cy1: [b for b in boxes if cx0 <= b[0] and b[2] <= cx1 and cy0 <= b[1] and b[3] <= cy1]
    label = inside(100, 100, 300, 200)
    assert len(label) == 2 and label[0][3] <= label[1][1] + 8  # two lines, top one first
    assert label[0][1] <= 115 and label[0][3] >= 135 and label[1][1] <= 149 and label[1][3] >= 169
    stroked = inside(300, 100, 400, 200)
    assert len(stroked) == 1 and stroked[0][1] <= 120 and stroked[0][3] >= 140
    assert len(inside(100, 200, 300, 250)) == 1
    assert inside(300, 200, 400, 250) == []  # dust is no text
    assert len(boxes) == 4


def test_a_cell_with_ink_across_its_edge_is_left_to_the_detector():
    page = _page()
    page[205:245, 305:308] = 0  # a seal's stroke running into cell (1, 1)
    page[215:235, 340:360] = 0
    boxes, messy = cell_line_boxes(page, [_table()], tol=3.0)
    assert messy == [(305, 205, 395, 245)]  # the cell's interior
    assert len(boxes) == 4 and all(b[0] < 300 or b[1] < 200 for b in boxes)


def test_free_strips_are_the_rows_no_table_covers():
    t1, t2 = _table(), Table(ys=[300.0, 350.0], xs=[0.0, 10.0])
    assert _free_strips(400, [t2, t1], tol=3.0) == [(0, 97), (254, 297), (354, 400)]
    assert _free_strips(400, [], tol=3.0) == [(0, 400)]


@pytest.mark.skipif(not FONT.exists(), reason="CJK font absent: apt-get install -y fonts-wqy-zenhei")
def test_a_ruled_table_is_read_cell_by_cell_without_detection_over_it():
    pytest.importorskip("rapidocr")
    from PIL import Image, ImageDraw, ImageFont

    from gongkai.extraction.ingest.raster import ocr_page
    from gongkai.models.ocr import RapidOcrEngine

    font = ImageFont.truetype(str(FONT), 28)
    img = Image.new("L", (1000, 700), 255)
    d = ImageDraw.Draw(img)
    d.text((80, 60), "三、收到和处理政府信息公开申请情况", font=font, fill=0)
    xs, ys = [80, 520, 680, 840], [160, 240, 320, 400]
    for x in xs:
        d.line([(x, ys[0]), (x, ys[-1])], fill=0, width=3)
    for y in ys:
        d.line([(xs[0], y), (xs[-1], y)], fill=0, width=3)
    rows = [("本年新收", "12", "0"), ("予以公开", "608", "7"), ("总计", "35", "1")]
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            d.text((xs[c] + 20, ys[r] + 22), text, font=font, fill=0)

    engine = RapidOcrEngine.default()
    boxes_seen: list[tuple] = []
    real_detect = engine.detect

    def spy(gray, scale=None):
        boxes_seen.append(gray.shape)
        return real_detect(gray, scale)

    engine.detect = spy  # type: ignore[method-assign]
    engine.read_cells, was = True, engine.read_cells
    try:
        segs = ocr_page(np.array(img), 1, engine)
    finally:
        del engine.detect
        engine.read_cells = was
    text = [s.text for s in segs]
    for cells in rows:
        for t in cells:
            assert t in text
    assert any("收到和处理" in t for t in text)
    assert boxes_seen and all(h < 160 or h <= 700 - 400 for h, _w in boxes_seen)  # only strips off the table
