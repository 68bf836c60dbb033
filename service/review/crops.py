"""What the review page shows of a cell's source: a crop of the page image, or the source line.

A cell's provenance box is in the coordinates its reader used, so the crop redoes that reading's
geometry rather than guessing a scale:

- scans (a PDF page without a text layer, PNG/JPEG/TIFF frames): the page is rendered at the
  ingest dpi (`Limits.dpi`) and straightened exactly as OCR saw it (`raster.straighten`); the box
  is in those pixels.
- digital PDF pages (text layer): the box is in PDF points; the page is rendered at `PDF_SCALE`
  and the box scaled with it.
- text and HTML: there is no page image; `source_line` gives the line the value was read from.

Every page image comes from `page_image`, the one place that renders stored documents.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

from gongkai.extraction.document import Box
from gongkai.extraction.result import Provenance

__all__ = ["page_image", "cell_crop", "source_line", "SourceLine", "IMAGE_KINDS", "LINE_KINDS", "PDF_SCALE"]

IMAGE_KINDS = ("png", "jpeg", "tiff")  # stored kinds (service.intake.KIND_EXT)
LINE_KINDS = ("txt", "html")
PDF_SCALE = 2.0  # 144 dpi for digital pages: sharp enough to read a digit
PAD = 12  # pixels of context around the cell


@dataclass(frozen=True)
class PageImage:
    image: "object"  # PIL.Image.Image
    scale: float  # page-image pixels per provenance unit


def page_image(data: bytes, kind: str, page: int) -> PageImage | None:
    """Page `page` (1-based) of a stored document as the raster its provenance boxes refer to;
    None for kinds without pages (text, HTML) or a page that does not exist."""
    from PIL import Image, ImageOps  # noqa: PLC0415

    from gongkai.extraction.ingest.raster import straighten  # noqa: PLC0415
    if kind in IMAGE_KINDS:
        import numpy as np  # noqa: PLC0415
        im = Image.open(io.BytesIO(data))
        n = getattr(im, "n_frames", 1)
        if not 1 <= page <= n:
            return None
        im.seek(page - 1)
        frame = ImageOps.exif_transpose(im) if page == 1 else im  # as ingest reads frame 1
        return PageImage(Image.fromarray(straighten(np.array(frame.convert("L")))), 1.0)
    if kind != "pdf":
        return None
    from gongkai.extraction.ingest.limits import Limits  # noqa: PLC0415
    from gongkai.extraction.ingest.pdf import open_pdf, page_has_text_layer, render_page  # noqa: PLC0415
    doc, plumber = open_pdf(data)
    try:
        if not 1 <= page <= len(doc):
            return None
        if page_has_text_layer(plumber.pages[page - 1]):
            return PageImage(doc[page - 1].render(scale=PDF_SCALE).to_pil(), PDF_SCALE)
        return PageImage(Image.fromarray(straighten(render_page(doc, page - 1, Limits()))), 1.0)
    finally:
        plumber.close()
        doc.close()


def cell_crop(data: bytes, kind: str, provenance: Provenance | None) -> bytes | None:
    """PNG of the cell's region (with a little context), or None when the source has no page image
    or the cell no box."""
    if provenance is None or provenance.box is None:
        return None
    if kind == "pdf" and (region := _pdf_region(data, provenance.page or 1, provenance.box)) is not None:
        return region
    page = page_image(data, kind, provenance.page or 1)
    if page is None:
        return None
    x0, y0, x1, y1 = _pixels(provenance.box, page.scale, page.image.width, page.image.height)
    if x1 <= x0 or y1 <= y0:
        return None
    out = io.BytesIO()
    page.image.convert("RGB").crop((x0, y0, x1, y1)).save(out, "PNG")
    return out.getvalue()


def _pdf_region(data: bytes, page: int, box: Box) -> bytes | None:
    """A digital PDF page's cell rendered alone (pdfium's crop): a 7200 pt page costs its crop, not
    200 MP. A region past the pixel limit is refused; None when the page is a scan (see page_image)."""
    from fastapi import HTTPException  # noqa: PLC0415

    from gongkai.extraction.ingest.limits import current_limits  # noqa: PLC0415
    from gongkai.extraction.ingest.pdf import open_pdf, page_has_text_layer  # noqa: PLC0415
    doc, plumber = open_pdf(data)
    try:
        if not 1 <= page <= len(doc) or not page_has_text_layer(plumber.pages[page - 1]):
            return None
        pdf_page = doc[page - 1]
        w, h = pdf_page.get_size()
        p = PAD / PDF_SCALE  # points
        left, top = max(0.0, box.x0 - p), max(0.0, box.y0 - p)
        right, bottom = min(w, box.x1 + p), min(h, box.y1 + p)
        if right <= left or bottom <= top:
            return None
        limit = current_limits().max_pixels
        if (right - left) * PDF_SCALE * (bottom - top) * PDF_SCALE > limit:
            raise HTTPException(422, f"the cell's region is larger than the {limit} pixel limit")
        image = pdf_page.render(scale=PDF_SCALE, crop=(left, h - bottom, w - right, top)).to_pil()
    finally:
        plumber.close()
        doc.close()
    out = io.BytesIO()
    image.convert("RGB").save(out, "PNG")
    return out.getvalue()


def _pixels(box: Box, scale: float, width: int, height: int) -> tuple[int, int, int, int]:
    return (max(0, int(box.x0 * scale) - PAD), max(0, int(box.y0 * scale) - PAD),
            min(width, int(box.x1 * scale + 0.999) + PAD), min(height, int(box.y1 * scale + 0.999) + PAD))


@dataclass(frozen=True)
class SourceLine:
    page: int | None
    line: int | None
    text: str  # the whole line as read (cells joined by tabs)
    cell: str  # the characters the value was read from ('' when the source has no offsets)


def source_line(data: bytes, filename: str, provenance: Provenance | None) -> SourceLine | None:
    """The line of a text or HTML source a cell was read from (None without provenance)."""
    if provenance is None or provenance.line is None:
        return None
    from gongkai.extraction.ingest import read_document  # noqa: PLC0415
    from gongkai.models.ocr import BundledOcr  # noqa: PLC0415
    doc = read_document(data, filename, ocr=BundledOcr())
    segs = [s for s in doc.segments if s.line == provenance.line
            and (provenance.page is None or s.page == provenance.page)]
    if not segs:
        return None
    cell = ""
    if provenance.span is not None:
        a, b = provenance.span
        for s in segs:
            if s.span is not None and s.span[0] <= a and b <= s.span[1]:
                cell = s.text[a - s.span[0]:b - s.span[0]]  # offsets are into the decoded source
                break
    return SourceLine(provenance.page, provenance.line, "\t".join(s.text for s in segs), cell)
