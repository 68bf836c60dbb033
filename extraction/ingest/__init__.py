"""Readers for every input kind, and the sniffing that picks one (content first, extension second).

`sniff_kind` is the one content sniffer: the engine routes by it and the service's intake refuses
by it, so both always agree on what a file is.
"""
from __future__ import annotations

from gongkai.extraction.document import Document, SourceKind
from gongkai.extraction.ingest.decode import DecodeError, decode_text


class IngestError(ValueError):
    """The input cannot be read: empty, truncated, encrypted, binary where text was expected…"""


PDF_MAGIC = b"%PDF"
IMAGE_MAGIC = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpeg", b"II*\x00": "tiff", b"MM\x00*": "tiff"}
# archives, office files and other images we do not read: never mistaken for text
FOREIGN_MAGIC = (b"PK\x03\x04", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!", b"GIF8", b"BM", b"\xd0\xcf\x11\xe0")
SNIFF_CHARS = 65536  # the prefix decoded to sniff


def sniff_kind(data: bytes, name: str = "") -> str | None:
    """'pdf' | 'png' | 'jpeg' | 'tiff' | 'html' | 'txt' by content, or None for bytes we cannot read.

    Text is decoded first (UTF-8, UTF-16 by BOM, GB18030…) and HTML recognised in the decoded text,
    so a UTF-16 file is text or HTML by what it says, not by its byte pattern. The extension only
    breaks a tie: a `.html` file with a `<` in it is HTML."""
    head = data[:2048].lstrip(b"\x00\t\r\n \xef\xbb\xbf")
    if head.startswith(PDF_MAGIC) or data[:1024].find(PDF_MAGIC) >= 0:
        return "pdf"
    for magic, kind in IMAGE_MAGIC.items():
        if data.startswith(magic):
            return kind
    if data.startswith(FOREIGN_MAGIC):
        return None
    try:
        text = decode_text(data[:4 * SNIFF_CHARS] if len(data) > 4 * SNIFF_CHARS else data, partial=True)
    except DecodeError:
        return None
    lower = text[:2048].lstrip().lower()
    if any(tag in lower for tag in ("<html", "<!doctype html", "<div", "<p", "<body", "<meta")):
        return "html"
    if "<table" in lower and lower.startswith("<"):
        return "html"  # a bare table fragment; prose with tables inside is Markdown (read as text)
    if name.lower().endswith((".html", ".htm")) and "<" in lower:
        return "html"
    return "txt"


def sniff(data: bytes, name: str = "") -> str:
    """'pdf' | 'image' | 'html' | 'text': the reader `read_document` uses."""
    kind = sniff_kind(data, name)
    if kind is None:
        return "text"  # the text reader says why it cannot be read
    return {"png": "image", "jpeg": "image", "tiff": "image", "txt": "text"}.get(kind, kind)


def read_document(data: bytes, name: str = "", *, source_kind: SourceKind | None = None, ocr=None,
                  limits=None) -> Document:
    """Read any input into a `Document`. `ocr`: the `extraction.ingest.ocr.OcrEngine` for scanned
    pages and images (a scan read without one: `NoOcrEngineError`, an `IngestError`); `limits`:
    the `Limits` to enforce (default: those in force in this process, `limits.current_limits`)."""
    from gongkai.extraction.ingest.limits import current_limits

    if not data or not data.strip():
        raise IngestError("the file is empty")
    limits = limits or current_limits()
    if len(data) > limits.max_bytes:
        raise IngestError(f"the file is {len(data):,} bytes; the limit is {limits.max_bytes:,} bytes (max_bytes)")
    kind = sniff(data, name)
    try:
        if kind == "pdf":
            from gongkai.extraction.ingest.pdf import read_pdf

            doc = read_pdf(data, name, ocr=ocr, limits=limits)
        elif kind == "image":
            from gongkai.extraction.ingest.image import read_images

            doc = read_images(data, name, ocr=ocr, limits=limits)
        elif kind == "html":
            from gongkai.extraction.ingest.html import read_html

            doc = read_html(data, name)
        else:
            from gongkai.extraction.ingest.text import read_text

            text = decode_text(data)
            limits.check_text(len(text))  # before parsing: the parsers and labellers cost per character
            doc = read_text(text, name, source_kind=source_kind or SourceKind.text)
    except IngestError:
        raise
    except (DecodeError, ValueError) as exc:
        raise IngestError(str(exc)) from exc
    except ImportError as exc:
        raise IngestError(f"cannot read {kind} input: {exc}") from exc
    limits.check_text(sum(len(s.text) for s in doc.segments), f"the text read from this {kind}")
    return doc
