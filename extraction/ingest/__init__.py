"""Readers for every input kind, and the sniffing that picks one (content first, extension second)."""
from __future__ import annotations

from extraction.document import Document, SourceKind
from extraction.ingest.decode import DecodeError


class IngestError(ValueError):
    """The input cannot be read: empty, truncated, encrypted, binary where text was expected…"""


PDF_MAGIC = b"%PDF"
IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")


def sniff(data: bytes, name: str = "") -> str:
    """'pdf' | 'image' | 'html' | 'text', by content; the extension only breaks ties."""
    head = data[:2048].lstrip()
    if head.startswith(PDF_MAGIC) or data[:1024].find(PDF_MAGIC) >= 0:
        return "pdf"
    if head.startswith(IMAGE_MAGIC):
        return "image"
    lower = head[:2048].lower()
    if any(tag in lower for tag in (b"<html", b"<!doctype html", b"<div", b"<p", b"<body", b"<meta")):
        return "html"
    if b"<table" in lower and head.startswith(b"<"):
        return "html"  # a bare table fragment; prose with tables inside is Markdown (read as text)
    if name.lower().endswith((".html", ".htm")) and b"<" in lower:
        return "html"
    return "text"


def read_document(data: bytes, name: str = "", *, source_kind: SourceKind | None = None) -> Document:
    if not data or not data.strip():
        raise IngestError("the file is empty")
    kind = sniff(data, name)
    try:
        if kind == "pdf":
            from extraction.ingest.pdf import read_pdf

            return read_pdf(data, name)
        if kind == "image":
            from extraction.ingest.image import read_images

            return read_images(data, name)
        if kind == "html":
            from extraction.ingest.html import read_html

            return read_html(data, name)
        from extraction.ingest.text import read_text

        return read_text(data, name, source_kind=source_kind or SourceKind.text)
    except IngestError:
        raise
    except (DecodeError, ValueError) as exc:
        raise IngestError(str(exc)) from exc
    except ImportError as exc:
        raise IngestError(f"cannot read {kind} input: {exc}") from exc
