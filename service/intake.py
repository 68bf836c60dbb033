"""Checks on an upload before it becomes a job: content sniffing, safe names, size/page/pixel limits.

The file's bytes decide its kind, never its extension; a rejected file raises `Rejected` with the
HTTP status the API answers.
"""
from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass

from service.config import Settings

__all__ = ["Rejected", "Intake", "sniff", "safe_filename", "check_upload", "KIND_EXT"]

KIND_EXT = {"pdf": ".pdf", "png": ".png", "jpeg": ".jpg", "tiff": ".tif", "html": ".html", "txt": ".txt"}
_HTML_TAG = re.compile(rb"<\s*(html|body|table|div|p|tr|td|article|span|head|meta|!doctype)\b", re.I)


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


def sniff(data: bytes) -> str | None:
    """The file's kind from its leading bytes (and, for text, whether it decodes and looks like HTML)."""
    head = data[:1024]
    if head.lstrip(b"\x00\t\r\n \xef\xbb\xbf")[:5] == b"%PDF-" or data[:1024].find(b"%PDF-") >= 0:
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head.startswith((b"PK\x03\x04", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!", b"GIF8", b"BM", b"\xd0\xcf\x11\xe0")):
        return None
    text = _decode(data)
    if text is None:
        return None
    return "html" if _HTML_TAG.search(data[:65536]) else "txt"


def _decode(data: bytes) -> str | None:
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes
    best = from_bytes(data[:65536]).best()
    return str(best) if best is not None else None


def safe_filename(name: str | None, kind: str) -> str:
    """Last path component, letters/digits/CJK/.-_ only, at most 120 chars, extension of the sniffed kind."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFKC", base)
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = re.sub(r"[^\w\-.\u3000-\u9fff]+", "_", stem, flags=re.UNICODE).strip("._ ")[:120]
    return (stem or "upload") + KIND_EXT[kind]


def pdf_pages(data: bytes) -> int:
    """Page count from a PDF library when one is installed, else by counting /Type /Page objects."""
    try:
        import pypdfium2 as pdfium  # noqa: PLC0415
        return len(pdfium.PdfDocument(data))
    except Exception:  # noqa: BLE001 - any failure falls back to the byte scan
        pass
    found = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))
    counts = [int(m) for m in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", data)]
    counts += [int(m) for m in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", data)]
    return max([found, *counts, 1])


def check_upload(data: bytes, name: str | None, settings: Settings, *, max_bytes: int | None = None,
                 max_pages: int | None = None) -> Intake:
    limit = max_bytes or settings.max_upload_bytes
    if len(data) > limit:
        raise Rejected(413, f"file is {len(data)} bytes; the limit is {limit}")
    if not data.strip():
        raise Rejected(422, "file is empty")
    kind = sniff(data)
    if kind is None:
        raise Rejected(415, "unsupported content: send a PDF, PNG, JPEG, TIFF, HTML or plain-text report")
    pages = 1
    if kind == "pdf":
        if re.search(rb"/Encrypt\b", data):
            raise Rejected(422, "PDF is encrypted; send the unprotected file")
        pages = pdf_pages(data)
        page_limit = max_pages or settings.max_pages
        if pages > page_limit:
            raise Rejected(422, f"PDF has {pages} pages; the limit is {page_limit}")
    elif kind in ("png", "jpeg", "tiff"):
        pages = _check_image(data, settings)
    return Intake(kind=kind, filename=safe_filename(name, kind), pages=pages)


def _check_image(data: bytes, settings: Settings) -> int:
    from PIL import Image  # noqa: PLC0415
    try:
        with Image.open(io.BytesIO(data)) as im:  # reads the header only: no decompression yet
            w, h = im.size
            frames = getattr(im, "n_frames", 1)
    except Exception as exc:  # noqa: BLE001
        raise Rejected(422, f"image cannot be read: {exc.__class__.__name__}") from None
    if w * h > settings.max_pixels:
        raise Rejected(422, f"image is {w}x{h} pixels; the limit is {settings.max_pixels}")
    if frames > settings.max_pages:
        raise Rejected(422, f"image has {frames} pages; the limit is {settings.max_pages}")
    return frames
