"""PDF → `Document`, page by page: the text layer where it is real, OCR where it is not.

Routing: a page whose text layer has enough real characters (not `(cid:…)` placeholders) and is
not a full-page image carrying an invisible OCR layer is read from the text layer (pdfplumber
characters + vector rules → `SourceKind.pdf_text` segments). Every other page is rendered with
pypdfium2 and goes through the OCR page path (`extraction.ingest.raster`); a document with any
OCRed page is `SourceKind.pdf_scan`.
"""
from __future__ import annotations

import io
import logging

from gongkai.extraction.document import Document, Segment, SourceKind
from gongkai.extraction.ingest.grid import HSeg, Table, VSeg, build_tables
from gongkai.extraction.progress import page_read
from gongkai.extraction.ingest.layout import Glyph, TableStitcher, _visual_lines, layout_page, pieces_to_segments
from gongkai.extraction.ingest.checks import check_pdf
from gongkai.extraction.ingest.limits import (
    CorruptPdfError, Deadline, current_limits, EncryptedPdfError, Limits, NotAPdfError,
)

__all__ = ["read_pdf", "page_has_text_layer", "open_pdf", "render_page"]

log = logging.getLogger(__name__)

MIN_TEXT_CHARS = 20  # fewer real characters than this: the page is treated as a scan


def _open(data: bytes):
    """Open with pypdfium2 (for rendering) and pdfplumber (for the text layer), mapping failures
    to clear `IngestError`s."""
    import pypdfium2 as pdfium

    if b"%PDF" not in data[:1024]:
        raise NotAPdfError("not a PDF file (no %PDF header)")
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        msg = str(e).lower()
        if "password" in msg or "security" in msg:
            raise EncryptedPdfError("the PDF is encrypted with a password; "
                                    "save an unprotected copy and try again") from e
        raise CorruptPdfError(f"the PDF is damaged or truncated and cannot be opened ({e})") from e
    try:
        import pdfplumber

        plumber = pdfplumber.open(io.BytesIO(data))
        _ = plumber.pages  # parses the page tree
    except Exception as e:  # pdfminer raises many types for broken files
        name = type(e).__name__
        if "Password" in name or "Encrypt" in name:
            raise EncryptedPdfError("the PDF is encrypted and cannot be read") from e
        raise CorruptPdfError(f"the PDF is damaged or truncated: {name}: {e}") from e
    if len(doc) != len(plumber.pages):
        raise CorruptPdfError(
            f"the PDF is damaged: {len(doc)} pages by one parser, {len(plumber.pages)} by another")
    return doc, plumber


def _real_chars(page) -> list[dict]:
    return [c for c in page.chars if c["text"].strip() and not c["text"].startswith("(cid:")]


def page_has_text_layer(page) -> bool:
    """True when a pdfplumber page's text layer can be trusted instead of OCR."""
    chars = page.chars
    real = _real_chars(page)
    if len(real) < MIN_TEXT_CHARS or len(real) < 0.7 * max(1, len(chars)):
        return False
    area = float(page.width * page.height)
    for im in page.images:
        w = float(im["x1"] - im["x0"])
        h = float(im["bottom"] - im["top"])
        if w * h > 0.8 * area:  # a scan with someone else's invisible OCR layer
            return False
    return True


def _page_rules(page) -> tuple[list[HSeg], list[VSeg]]:
    """Visible ruling lines: stroked lines, stroked rects and thin filled rects (drawn rules).
    White cell-background rectangles are not rules."""
    hs: list[HSeg] = []
    vs: list[VSeg] = []

    def add_h(y, x0, x1):
        hs.append(HSeg(float(y), float(min(x0, x1)), float(max(x0, x1))))

    def add_v(x, y0, y1):
        vs.append(VSeg(float(x), float(min(y0, y1)), float(max(y0, y1))))

    for ln in page.lines:
        if not ln.get("stroke", True):
            continue
        if abs(ln["top"] - ln["bottom"]) < 1.0:
            add_h((ln["top"] + ln["bottom"]) / 2, ln["x0"], ln["x1"])
        elif abs(ln["x0"] - ln["x1"]) < 1.0:
            add_v((ln["x0"] + ln["x1"]) / 2, ln["top"], ln["bottom"])
    for r in page.rects:
        w = r["x1"] - r["x0"]
        h = r["bottom"] - r["top"]
        if min(w, h) < 2.5 and (r.get("fill") or r.get("stroke")):
            if w >= h:
                add_h((r["top"] + r["bottom"]) / 2, r["x0"], r["x1"])
            else:
                add_v((r["x0"] + r["x1"]) / 2, r["top"], r["bottom"])
        elif r.get("stroke"):
            add_h(r["top"], r["x0"], r["x1"])
            add_h(r["bottom"], r["x0"], r["x1"])
            add_v(r["x0"], r["top"], r["bottom"])
            add_v(r["x1"], r["top"], r["bottom"])
    return hs, vs


def _text_above(glyphs: list[Glyph], tables: list[Table]) -> bool:
    if not tables:
        return False
    top = tables[0].ys[0]
    return len(_visual_lines([g for g in glyphs if g.y1 <= top])) >= 2


def _text_page(page, page_no: int, stitcher: TableStitcher) -> list[Segment]:
    page = page.dedupe_chars()
    glyphs = [Glyph(c["text"], float(c["x0"]), float(c["top"]), float(c["x1"]), float(c["bottom"]))
              for c in _real_chars(page)]
    hs, vs = _page_rules(page)
    tables = build_tables(hs, vs, tol=2.0, min_len=3.0)
    refs = stitcher.assign(tables, float(page.width), float(page.height), _text_above(glyphs, tables))
    layout = layout_page(glyphs, list(zip(tables, refs)))
    return pieces_to_segments(layout, page_no)


def read_pdf(data: bytes, name: str = "", *, ocr=None, limits: Limits | None = None) -> Document:
    """Read a PDF's bytes into a `Document` (see module doc for the page routing).

    `ocr` is the `extraction.ingest.ocr.OcrEngine` for pages without a usable text layer (a PDF
    with such a page and no engine: `NoOcrEngineError`).
    """
    limits = limits or current_limits()
    doc, plumber = _open(data)
    try:
        if len(doc) == 0:
            raise CorruptPdfError("the PDF has no pages")
        n = check_pdf(doc, limits)  # pages and every page's pixels: the service's submission check too
        segments: list[Segment] = []
        stitcher = TableStitcher()
        scanned = False
        for i in range(n):
            page_no = i + 1
            try:
                ppage = plumber.pages[i]
                textual = page_has_text_layer(ppage)
            except Exception as e:
                raise CorruptPdfError(f"page {page_no} of the PDF is damaged: {type(e).__name__}: {e}") from e
            if textual:
                try:
                    segments.extend(_text_page(ppage, page_no, stitcher))
                except Exception as e:
                    raise CorruptPdfError(
                        f"page {page_no} of the PDF is damaged: {type(e).__name__}: {e}") from e
                page_read(page_no, n)
                continue
            scanned = True
            from gongkai.extraction.ingest.ocr import require_engine

            ocr = require_engine(ocr, f"page {page_no} of the PDF (no text layer)")
            gray = _render(doc, i, limits)
            from gongkai.extraction.ingest.raster import ocr_page

            segments.extend(ocr_page(gray, page_no, ocr, stitcher=stitcher,
                                     deadline=Deadline(limits.page_timeout_s, page_no)))
            del gray  # one page raster at a time
            page_read(page_no, n)
        kind = SourceKind.pdf_scan if scanned else SourceKind.pdf_text
        return Document(source_kind=kind, name=name, pages=n, segments=segments, title_hint=_info_title(doc))
    finally:
        plumber.close()
        doc.close()


def _info_title(doc) -> str | None:
    """The document-info Title (WPS/Word fill it from the first heading; evidence for extraction.meta)."""
    try:
        title = (doc.get_metadata_dict(skip_empty=True).get("Title") or "").strip()
    except Exception:  # noqa: BLE001 - a damaged info dictionary is no reason to fail the read
        return None
    return title or None


def _render(doc, i: int, limits: Limits):
    """Page `i` as a grayscale numpy array at `limits.dpi`."""
    import numpy as np

    page = doc[i]
    limits.check_pixels(*limits.page_pixels(*page.get_size()), f"page {i + 1} of the PDF at {limits.dpi} dpi")
    scale = limits.dpi / 72.0
    try:
        bitmap = page.render(scale=scale, grayscale=True)
        arr = np.array(bitmap.to_pil().convert("L"))
    except Exception as e:
        raise CorruptPdfError(f"page {i + 1} of the PDF cannot be rendered: {e}") from e
    return arr


open_pdf = _open  # (pypdfium2 document, pdfplumber document); the review page's crops re-open a stored PDF
render_page = _render
