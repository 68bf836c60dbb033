"""Checks on an upload before it becomes a job: content sniffing, safe names, size/page/pixel limits.

The file's bytes decide its kind, never its extension; a rejected file raises `Rejected` with the
HTTP status the API answers.
"""
from __future__ import annotations

import io
import re
import threading
import unicodedata
from dataclasses import dataclass

from gongkai.extraction.ingest import sniff_kind
from gongkai.extraction.ingest.decode import DecodeError, decode_text
from gongkai.service.config import Settings

__all__ = ["Rejected", "Intake", "sniff", "safe_filename", "check_upload", "KIND_EXT", "PDFIUM_LOCK"]

# pdfium is not thread-safe: every use in the API process (intake, crops) holds this lock
PDFIUM_LOCK = threading.Lock()
KIND_EXT = {"pdf": ".pdf", "png": ".png", "jpeg": ".jpg", "tiff": ".tif", "html": ".html", "txt": ".txt"}


class Rejected(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class Intake:
    kind: str
    filename: str  # safe, with the extension of the sniffed kind (extract() reads the extension)
    pages: int


def sniff(data: bytes, name: str = "") -> str | None:
    """The file's kind from its content: the engine's sniffer (`extraction.ingest.sniff_kind`)."""
    return sniff_kind(data, name)


def safe_filename(name: str | None, kind: str) -> str:
    """Last path component, letters/digits/CJK/.-_ only, at most 120 chars, extension of the sniffed kind."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFKC", base)
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = re.sub(r"[^\w\-.\u3000-\u9fff]+", "_", stem, flags=re.UNICODE).strip("._ ")[:120]
    return (stem or "upload") + KIND_EXT[kind]


def pdf_pages(data: bytes) -> int:
    """Page count from pypdfium2 (which opens a PDF that has only an owner password, as the engine
    does); a PDF that needs a user password is refused; a PDF it cannot open is counted by scanning
    for /Type /Page objects (the engine then says what is wrong with it)."""
    import pypdfium2 as pdfium  # noqa: PLC0415
    with PDFIUM_LOCK:
        try:
            doc = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            msg = str(exc).lower()
            if "password" in msg or "security" in msg or re.search(rb"/Encrypt\b", data):
                raise Rejected(422, "PDF is encrypted with a password; send the unprotected file") from None
            doc = None
        if doc is not None:
            try:
                return len(doc)
            finally:
                doc.close()
    found = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))
    counts = [int(m) for m in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", data)]
    counts += [int(m) for m in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", data)]
    return max([found, *counts, 1])


def check_upload(data: bytes, name: str | None, settings: Settings, *, max_bytes: int | None = None,
                 max_pages: int | None = None) -> Intake:
    """The checks that are cheap before a job exists, with the engine's limits (`settings.limits`)."""
    limits = settings.limits
    limit = min(max_bytes or limits.max_bytes, limits.max_bytes)
    if len(data) > limit:
        raise Rejected(413, f"file is {len(data)} bytes; the limit is {limit} bytes (max_bytes)")
    if not data.strip():
        raise Rejected(422, "file is empty")
    kind = sniff(data, name or "")
    if kind is None:
        raise Rejected(415, "unsupported content: send a PDF, PNG, JPEG, TIFF, HTML or plain-text report")
    pages = 1
    page_limit = min(max_pages or limits.max_pages, limits.max_pages)
    if kind == "pdf":
        pages = pdf_pages(data)
        if pages > page_limit:
            raise Rejected(422, f"PDF has {pages} pages; the limit is {page_limit} pages (max_pages)")
    elif kind in ("png", "jpeg", "tiff"):
        pages = _check_image(data, limits.max_pixels, page_limit)
    elif kind == "txt":
        try:
            n_chars = len(decode_text(data))
        except DecodeError as exc:
            raise Rejected(415, f"unsupported content: {exc}") from None
        if n_chars > limits.max_text_chars:
            raise Rejected(422, f"text has {n_chars} characters; the limit is {limits.max_text_chars} "
                                "characters (max_text_chars)")
    return Intake(kind=kind, filename=safe_filename(name, kind), pages=pages)


def _check_image(data: bytes, max_pixels: int, max_pages: int) -> int:
    import warnings  # noqa: PLC0415

    from PIL import Image  # noqa: PLC0415
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit decides, below
            with Image.open(io.BytesIO(data)) as im:  # reads the header only: no decompression yet
                w, h = im.size
                frames = getattr(im, "n_frames", 1)
    except Image.DecompressionBombError:
        raise Rejected(422, f"image is larger than the limit of {max_pixels} pixels (max_pixels)") from None
    except Exception as exc:  # noqa: BLE001
        raise Rejected(422, f"image cannot be read: {exc.__class__.__name__}") from None
    if w * h > max_pixels:
        raise Rejected(422, f"image is {w}x{h} pixels; the limit is {max_pixels} pixels (max_pixels)")
    if frames > max_pages:
        raise Rejected(422, f"image has {frames} pages; the limit is {max_pages} pages (max_pages)")
    return frames
