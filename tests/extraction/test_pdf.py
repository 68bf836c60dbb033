"""PDF and image ingestion: page routing, ruled-table grids, the OCR page path, error paths, and
the three real PDFs' table 3 coming out as label + 7 values per line."""
from __future__ import annotations

import io
import json
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from gongkai.extraction.document import SourceKind
from gongkai.extraction.ingest import IngestError
from gongkai.extraction.ingest.grid import build_tables, remove_rulings, ruling_segments
from gongkai.extraction.ingest.limits import (
    CorruptPdfError, EncryptedPdfError, Limits, NotAPdfError, TooManyPagesError, UnreadableImageError,
)
from gongkai.extraction.ingest.pdf import read_pdf
from gongkai.extraction import template as T
from gongkai.extraction.ingest.ocr import OcrChar, OcrLine

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
need_font = pytest.mark.usefixtures("cjk_font")  # fails, not skips, without the font (tests/conftest.py)


# ---- small PDFs built in the test --------------------------------------------------------------

def _canvas(buf, **kw):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "zh" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("zh", str(FONT), subfontIndex=0))
    return canvas.Canvas(buf, pagesize=(400, 300), **kw)


def _text_page(c) -> None:
    """A heading, and a ruled 3×3 table whose first label wraps over two lines in its cell."""
    c.setFont("zh", 11)
    c.drawString(30, 270, "三、收到和处理政府信息公开申请情况")
    xs, ys = [30, 200, 280, 360], [250, 220, 180, 150]  # PDF y grows upwards
    for y in ys:
        c.line(xs[0], y, xs[-1], y)
    for x in xs:
        c.line(x, ys[0], x, ys[-1])
    c.drawString(35, 232, "信息内容")
    c.drawString(205, 232, "自然人")
    c.drawString(285, 232, "总计")
    c.drawString(35, 203, "（二）部分公开（区分处理的")
    c.drawString(35, 188, "，只计这一情形）")
    c.drawString(230, 193, "4")
    c.drawString(310, 193, "4")
    c.drawString(35, 160, "（一）予以公开")
    c.drawString(230, 160, "12")
    c.drawString(310, 160, "12")
    c.drawString(190, 20, "-3-")


def _image_page(c) -> None:
    from PIL import Image
    from reportlab.lib.utils import ImageReader

    img = Image.new("L", (400, 300), 255)
    c.drawImage(ImageReader(img), 0, 0, 400, 300)


def _pdf(*pages: str, **kw) -> bytes:
    buf = io.BytesIO()
    c = _canvas(buf, **kw)
    for kind in pages:
        (_text_page if kind == "text" else _image_page)(c)
        c.showPage()
    c.save()
    return buf.getvalue()


class FakeOcr:
    """Stands in for the OCR engine: records the pages it was asked to read."""

    name = "fake"

    def __init__(self):
        self.calls = 0

    def recognize(self, image, check=None):
        self.calls += 1
        chars = [OcrChar(ch, 100 + 20 * i, 100, 118 + 20 * i, 130, 0.9, 2 * i, 2 * i) for i, ch in enumerate("扫描页")]
        return [OcrLine("扫描页", (100, 100, 160, 130), chars, None)]


def _lines(doc):
    return [[doc.segments[i] for i in idx] for idx in doc.lines()]


@need_font
def test_text_layer_page_is_read_without_ocr():
    ocr = FakeOcr()
    doc = read_pdf(_pdf("text"), "t.pdf", ocr=ocr)
    assert doc.source_kind == SourceKind.pdf_text and ocr.calls == 0
    rows = [[s.text for s in ln] for ln in _lines(doc)]
    assert rows[0] == ["三、收到和处理政府信息公开申请情况"]
    assert ["信息内容", "自然人", "总计"] in rows
    # the wrapped label is one cell: one segment, on the line of its row, values beside it
    assert ["（二）部分公开（区分处理的，只计这一情形）", "4", "4"] in rows
    assert ["（一）予以公开", "12", "12"] in rows
    assert ["-3-"] not in rows  # the folio under the table is dropped, not read as a cell
    cell = next(s for s in doc.segments if s.text == "12")
    assert (cell.table, cell.col) == (0, 1) and cell.char_conf is None


@need_font
def test_image_only_page_is_ocred():
    ocr = FakeOcr()
    doc = read_pdf(_pdf("image"), "s.pdf", ocr=ocr, limits=Limits(dpi=72))
    assert doc.source_kind == SourceKind.pdf_scan and ocr.calls == 1
    assert [s.text for s in doc.segments] == ["扫描页"]
    assert doc.segments[0].char_conf == [0.9, 0.9, 0.9]


@need_font
def test_mixed_pdf_ocrs_only_the_pages_that_need_it():
    ocr = FakeOcr()
    doc = read_pdf(_pdf("text", "image", "text"), "m.pdf", ocr=ocr, limits=Limits(dpi=72))
    assert doc.source_kind == SourceKind.pdf_scan and doc.pages == 3 and ocr.calls == 1
    by_page = {p: [s for s in doc.segments if s.page == p] for p in (1, 2, 3)}
    assert all(s.char_conf is None for s in by_page[1] + by_page[3])
    assert [s.text for s in by_page[2]] == ["扫描页"]
    assert by_page[1] and by_page[3]


# ---- error paths --------------------------------------------------------------------------------

def test_not_a_pdf():
    with pytest.raises(NotAPdfError):
        read_pdf(b"hello, this is text", "x.pdf")


@need_font
def test_truncated_pdf():
    data = _pdf("text", "text")
    with pytest.raises(CorruptPdfError) as e:
        read_pdf(data[: len(data) // 3], "cut.pdf", ocr=FakeOcr())
    assert isinstance(e.value, IngestError) and "damaged" in str(e.value)


@need_font
def test_encrypted_pdf():
    data = _pdf("text", encrypt="secret")
    with pytest.raises(EncryptedPdfError, match="encrypted"):
        read_pdf(data, "locked.pdf", ocr=FakeOcr())


@need_font
def test_a_scan_without_an_ocr_engine_is_a_clear_error():
    """Ingest loads no engine of its own (they live in models/): the pipeline hands one in."""
    from gongkai.extraction.ingest import IngestError, read_document
    from gongkai.extraction.ingest.ocr import NoOcrEngineError

    with pytest.raises(NoOcrEngineError, match="page 1 of the PDF .*no OCR engine was given"):
        read_pdf(_pdf("image"), "s.pdf", limits=Limits(dpi=72))
    with pytest.raises(IngestError, match="no OCR engine"):
        read_document(_pdf("text", "image"), "m.pdf", limits=Limits(dpi=72))
    assert read_document(_pdf("text"), "t.pdf").source_kind == SourceKind.pdf_text  # text needs none
    ocr = FakeOcr()
    doc = read_document(_pdf("image"), "s.pdf", ocr=ocr, limits=Limits(dpi=72))
    assert ocr.calls == 1 and [s.text for s in doc.segments] == ["扫描页"]


def test_an_image_without_an_ocr_engine_is_a_clear_error():
    from PIL import Image

    from gongkai.extraction.ingest.image import read_images
    from gongkai.extraction.ingest.ocr import NoOcrEngineError

    buf = io.BytesIO()
    Image.new("L", (40, 30), 255).save(buf, format="PNG")
    with pytest.raises(NoOcrEngineError, match="an image needs OCR"):
        read_images(buf.getvalue(), "x.png")


@need_font
def test_too_many_pages():
    with pytest.raises(TooManyPagesError, match="the limit is 2 pages"):
        read_pdf(_pdf("text", "text", "text"), "long.pdf", limits=Limits(max_pages=2))


def test_unreadable_image():
    from gongkai.extraction.ingest.image import read_images

    with pytest.raises(UnreadableImageError):
        read_images(b"\x89PNG\r\n\x1a\nbroken", "x.png", ocr=FakeOcr())


# ---- grid recovery on a rendered ruled table ----------------------------------------------------

def _ruled_table(merged_label: bool = True, strokes: bool = True) -> tuple[np.ndarray, list[int], list[int]]:
    import cv2

    img = np.full((400, 700), 255, np.uint8)
    xs, ys = [50, 250, 400, 550, 650], [40, 100, 160, 220, 280, 340]
    for y in ys:
        cv2.line(img, (xs[0], y), (xs[-1], y), 0, 2)
    for x in xs:
        cv2.line(img, (x, ys[0]), (x, ys[-1]), 0, 2)
    if merged_label:  # first column: rows 2–4 form one cell (erase the rules between them)
        for y in ys[2:4]:
            cv2.line(img, (xs[0] + 3, y), (xs[1] - 3, y), 255, 4)
    if strokes:  # text whose strokes look like short rules
        cv2.putText(img, "Label", (60, 80), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 2)
        cv2.putText(img, "1", (300, 140), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 3)
    return img, xs, ys


def test_grid_recovery_on_rendered_table():
    img, xs, ys = _ruled_table()
    hs, vs, mask = ruling_segments(img)
    tables = build_tables(hs, vs, tol=4, min_len=16)
    assert len(tables) == 1
    t = tables[0]
    assert (t.n_rows, t.n_cols) == (5, 4)
    assert np.allclose(t.xs, xs, atol=3) and np.allclose(t.ys, ys, atol=3)
    merged = t.cell_at(100, 200)
    assert (merged.r0, merged.r1, merged.c0, merged.c1) == (1, 3, 0, 0)
    assert len(t.cells) == 5 * 4 - 2
    clean = remove_rulings(img, mask, tables, tol=4)
    assert clean[ys[0], 300] == 255 and clean[ys[2], 320] == 255  # rules erased …
    assert (clean[110:150, 295:330] < 128).sum() > 50  # … the digit's stroke is kept


# ---- the OCR page path on a rendered table (real engine, one small image) ---------------------

@need_font
def test_ocr_page_reads_a_rendered_table_into_cells():
    pytest.importorskip("rapidocr")
    import cv2
    from PIL import Image, ImageDraw, ImageFont

    from gongkai.extraction.ingest.raster import ocr_page
    from gongkai.models.ocr import RapidOcrEngine

    img, xs, ys = _ruled_table(merged_label=False, strokes=False)
    pil = Image.fromarray(img)
    d = ImageDraw.Draw(pil)
    font = ImageFont.truetype(str(FONT), 26)
    rows = [("信息内容", "自然人", "其他", "总计"), ("予以公开", "608", "3", "611"),
            ("部分公开", "1288", "0", "1288")]
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            d.text((xs[c] + 12, ys[r] + 15), text, font=font, fill=0)
    segs = ocr_page(np.array(pil), 1, RapidOcrEngine.default())
    lines: dict[int, list] = {}
    for s in segs:
        lines.setdefault(s.line, []).append(s)
    got = [[s.text for s in ln] for ln in lines.values()]
    assert got[:3] == [list(r) for r in rows]
    cell = next(s for s in segs if s.text == "608")
    assert (cell.table, cell.row, cell.col) == (0, 1, 1)
    assert cell.alternatives and cell.alternatives[0].text == "608"
    assert sum(a.prob for a in cell.alternatives) <= 1.0 + 1e-6
    assert cell.char_conf and len(cell.char_conf) == 3 and min(cell.char_conf) > 0.5
    assert cv2 is not None


# ---- the real PDFs ----------------------------------------------------------------------------

def _norm(s: str) -> str:
    return unicodedata.normalize("NFKC", s).replace(" ", "")


def _t3_rows(doc) -> dict[str, list[int]]:
    """Row key → the 7 values, for every line that ends in 7 numbers and whose last label cell
    ends with a table-3 row label."""
    out: dict[str, list[int]] = {}
    for line in _lines(doc):
        texts = [s.text for s in line]
        if len(texts) < 8 or not all(t.isdigit() for t in texts[-7:]):
            continue
        label = _norm(texts[-8])
        for rt in T.T3_ROW_TEMPLATES:
            names = (rt.label,) + rt.aliases
            if any(label.endswith(_norm(n)) for n in names):
                if rt.key == "other.other" and "处理" in label:
                    continue
                out.setdefault(rt.key, [int(t) for t in texts[-7:]])
                break
    return out


@pytest.mark.parametrize("stem", ["hongze_qu_2023", "hongze_qu_2024", "huaian_shi_2024"])
def test_real_pdf_table3_rows_are_label_plus_seven_values(stem):
    if not REAL.exists():
        pytest.skip("../shared is not beside the repository")
    doc = read_pdf((REAL / f"{stem}.pdf").read_bytes(), f"{stem}.pdf")
    assert doc.source_kind == SourceKind.pdf_text
    gold = json.loads((REAL / f"{stem}.gold.json").read_text(encoding="utf-8"))["fields"]
    rows = _t3_rows(doc)
    expected = [rt.key for rt in T.T3_ROW_TEMPLATES if T.t3_field(rt.key, "total") in gold]
    assert sorted(rows) == sorted(expected)
    for key in expected:
        assert rows[key] == [gold[T.t3_field(key, c)] for c in T.T3_COLUMNS], key
    # table 3 is one table across the page break, its rows numbered on
    t3 = [s for s in doc.segments if s.text in ("（七）总计",)]
    first = next(s for s in doc.segments if s.text.startswith("一、本年新收"))
    assert t3 and t3[0].table == first.table and t3[0].row > first.row
