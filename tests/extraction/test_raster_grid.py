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


class _RecordingEngine:
    """Detection gives `found` (crop coordinates); recognition records the boxes it is given."""

    def __init__(self, found=()):
        self.found = list(found)

    def detection_scale(self, h, w):
        return 1.0

    def detect(self, img, scale):
        return self.found

    def read_lines(self, gray, boxes, check=None, single=()):
        self.boxes, self.single = list(boxes), list(single)
        return []


def test_a_messy_cell_the_detector_finds_no_text_in_is_read_from_its_dark_ink():
    from gongkai.extraction.ingest.raster import _read_by_grid

    page = _page()
    page[205:245, 305:308] = 0  # a seal's edge running into cell (1, 1)...
    page[215:235, 340:360] = 0  # ...over its number, which the detector then misses
    blind = _RecordingEngine()
    _read_by_grid(page, [_table()], blind, 3.0, None, {})
    assert len(blind.boxes) == 1 and len(blind.single) == 4  # the clean cells as before
    x0, y0, x1, y1 = blind.boxes[0]
    assert 305 <= x0 <= 340 and x1 >= 360 and y0 <= 215 and y1 >= 235 and x1 <= 395 and y1 <= 245
    # where the detector does find the text, its box alone is read: no glyph read twice
    seeing = _RecordingEngine(found=[(40, 15, 65, 40)])  # in the crop around the messy cell
    _read_by_grid(page, [_table()], seeing, 3.0, None, {})
    assert len(seeing.boxes) == 1 and seeing.boxes[0] != blind.boxes[0]


def test_a_frame_round_a_table_is_no_table_but_tables_side_by_side_or_alike_stay():
    from gongkai.extraction.ingest.raster import _without_frames

    inner = _table()                                         # 100..400 × 100..250
    frame = Table(ys=[20.0, 380.0], xs=[20.0, 480.0])        # a border round the page
    beside = Table(ys=[300.0, 350.0], xs=[0.0, 10.0])
    assert _without_frames([frame, inner, beside], tol=3.0) == [inner, beside]
    twin = _table()                                          # the same bounds: neither encloses the other
    assert _without_frames([inner, twin], tol=3.0) == [inner, twin]


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


def _photo_strip() -> np.ndarray:
    """A strip of a phone photo: dark background either side of the paper, a title line near
    the top and a page number far below it."""
    strip = np.full((900, 1200), 235, np.uint8)
    strip[:, :120] = 60   # the table the page lies on
    strip[:, 1080:] = 60
    for x in range(300, 900, 40):  # a title: character blobs 30 px high
        strip[100:130, x:x + 30] = 20
    strip[800:830, 580:620] = 20   # the page number
    return strip


def test_text_bands_box_each_block_of_text_and_leave_the_background_out():
    from gongkai.extraction.ingest.raster import text_bands

    bands = text_bands(_photo_strip())
    assert len(bands) == 2  # title and page number are 670 px apart: two bands, not one
    title, number = bands
    assert title.y0 < 100 and title.y1 > 130 and title.x0 < 300 and title.x1 > 890
    assert title.x0 > 120 and title.x1 < 1080  # the background beside the paper is no text
    assert number.y0 < 800 < 830 < number.y1 and number.x0 > 120 and number.x1 < 1080
    assert 20 <= title.char_height <= 40


def test_text_bands_of_a_strip_with_only_background_and_paper_are_empty():
    from gongkai.extraction.ingest.raster import text_bands

    strip = _photo_strip()
    strip[60:900, 120:1080] = 235  # no text left on the paper
    assert text_bands(strip) == []


def test_messy_cells_are_detected_in_clusters_of_neighbours():
    from gongkai.extraction.ingest.raster import _clusters

    boxes = [(100, 100, 200, 150), (205, 100, 300, 150), (900, 700, 1000, 750)]
    groups = _clusters(boxes, margin=10, bounds=(1200, 1000))
    assert sorted(len(g[4]) for g in groups) == [1, 2]
    near = next(g for g in groups if len(g[4]) == 2)
    assert near[:4] == (90, 90, 310, 160)


def test_unsure_characters_inside_a_messy_cell_are_dropped_and_nowhere_else():
    from gongkai.extraction.ingest.ocr import OcrChar, OcrLine
    from gongkai.extraction.ingest.raster import _drop_unsure_in_messy

    def line(text, box, confs):
        x0, y0, x1, y1 = box
        step = (x1 - x0) / len(text)
        chars = [OcrChar(ch, x0 + i * step, y0, x0 + (i + 1) * step, y1, cf) for i, (ch, cf) in enumerate(zip(text, confs))]
        return OcrLine(text, box, chars)

    messy = [(100, 100, 200, 150)]
    seal_digit = line("16", (110, 110, 150, 140), [0.22, 0.38])   # a seal's strokes read as digits
    sure = line("0", (160, 110, 180, 140), [0.95])                 # printed under the seal, read well
    elsewhere = line("6", (400, 110, 420, 140), [0.38])            # unsure, but in a clean cell
    out = _drop_unsure_in_messy([seal_digit, sure, elsewhere], messy)
    assert [ln.text for ln in out] == ["0", "6"]



def test_a_cell_with_dark_ink_ignores_its_faint_residue_and_a_faint_only_cell_is_still_read():
    page = np.full((400, 500), 230, np.uint8)
    page[215:235, 110:140] = 20    # cell (1, 0): a crisp black number...
    page[210:240, 250:256] = 205   # ...and, far from it, a faint grey residue (paper grain, a halo)
    page[215:235, 340:352] = 195   # cell (1, 1): a blurred low-dpi glyph, light grey throughout
    boxes, messy = cell_line_boxes(page, [_table()], tol=3.0)
    assert messy == []
    crisp = [b for b in boxes if b[1] >= 200 and b[2] <= 300]
    assert len(crisp) == 1 and crisp[0][2] < 200  # the box is the number's, the residue left out
    faint = [b for b in boxes if b[1] >= 200 and b[0] >= 300]
    assert len(faint) == 1 and faint[0][0] <= 340 and faint[0][2] >= 352
