"""The checks on a whole input's cost (pages, pixels) that both the readers and the service's intake run.

Each check reads only what is cheap — a PDF's page tree and page sizes, an image file's header and frame
sizes — and raises the `IngestError` the readers raise, naming the limit (`Limits.check_*`). `read_pdf`
and `read_images` run them before any page is read; the service runs them at submission
(`service.intake.check_upload`), so a file the service accepts is never refused by the engine for pages
or pixels, and a file the engine would refuse for them is refused at submission.

The rule for a PDF is therefore on every page, not only on those that end up rendered for OCR: a page
whose image at the ingest `dpi` would be larger than `max_pixels` is refused whatever its text layer.
"""
from __future__ import annotations

import io
import re
import threading
import warnings

from gongkai.extraction.ingest.limits import (
    EncryptedPdfError, ImageTooLargeError, Limits, UnreadableImageError,
)

__all__ = ["PDFIUM_LOCK", "check_pdf", "pdf_pages", "open_image", "check_image", "image_pages"]

# pdfium is not thread-safe: a process that uses it from several threads (the API: intake, crops) holds this
PDFIUM_LOCK = threading.Lock()


def check_pdf(doc, limits: Limits) -> int:
    """The page count of an open `pypdfium2.PdfDocument`, after the page and pixel checks."""
    n = len(doc)
    limits.check_pages(n, "the PDF")
    for i in range(n):
        w, h = limits.page_pixels(*doc.get_page_size(i))
        limits.check_pixels(w, h, f"page {i + 1} of the PDF at {limits.dpi} dpi")
    return n


def pdf_pages(data: bytes, limits: Limits) -> int:
    """`check_pdf` on a PDF's bytes (under `PDFIUM_LOCK`). pypdfium2 opens a PDF that has only an owner
    password, as the reader does; one that needs a user password raises `EncryptedPdfError`. A PDF it
    cannot open is counted by scanning for /Type /Page objects and only the page limit applies: the
    reader then refuses it as damaged, saying what is wrong."""
    import pypdfium2 as pdfium  # noqa: PLC0415
    with PDFIUM_LOCK:
        try:
            doc = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            msg = str(exc).lower()
            if "password" in msg or "security" in msg or re.search(rb"/Encrypt\b", data):
                raise EncryptedPdfError("the PDF is encrypted with a password; send the unprotected file") from None
            doc = None
        if doc is not None:
            try:
                return check_pdf(doc, limits)
            finally:
                doc.close()
    found = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))
    counts = [int(m) for m in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", data)]
    counts += [int(m) for m in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", data)]
    n = max([found, *counts, 1])
    limits.check_pages(n, "the PDF")
    return n


def open_image(data: bytes, limits: Limits):
    """The image file opened lazily (header only: nothing decompressed yet). PIL's own bomb warning is
    silenced — `check_image` decides by `max_pixels` — but past twice its limit PIL refuses to open."""
    from PIL import Image  # noqa: PLC0415
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise ImageTooLargeError(f"the image is larger than the limit of {limits.max_pixels:,} pixels "
                                 "(max_pixels)") from None
    except Exception as exc:  # noqa: BLE001 - PIL raises many types for a damaged header
        raise UnreadableImageError(f"not a readable PNG/JPEG/TIFF image: {exc.__class__.__name__}: {exc}") from exc


def check_image(img, limits: Limits) -> int:
    """The frame count of an opened image, after the page check and the pixel check of every frame
    (frames are visited by their headers; the image is left on frame 0)."""
    n = getattr(img, "n_frames", 1)
    limits.check_pages(n, "the image")
    try:
        for i in range(n):
            img.seek(i)
            w, h = img.size
            limits.check_pixels(w, h, "the image" if n == 1 else f"page {i + 1} of the image")
        img.seek(0)
    except (EOFError, OSError, ValueError) as exc:
        raise UnreadableImageError(f"the image is damaged: {exc}") from exc
    return n


def image_pages(data: bytes, limits: Limits) -> int:
    """`check_image` on an image file's bytes."""
    with open_image(data, limits) as img:
        return check_image(img, limits)

