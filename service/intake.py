"""Checks on an upload before it becomes a job: content sniffing, safe names, size/page/pixel/text limits.

Every check is the engine's (its sniffer, its decoder, its limit checks), so what is accepted here is
not refused by the ingest for the same reason. The file's bytes decide its kind, never its extension;
a rejected file raises `Rejected` with the HTTP status the API answers.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from gongkai.extraction.ingest import IngestError, sniff_kind
from gongkai.extraction.ingest.checks import PDFIUM_LOCK, image_pages, pdf_pages
from gongkai.extraction.ingest.decode import DecodeError, decode_text
from gongkai.extraction.ingest.limits import FileTooLargeError
from gongkai.service.config import Settings

__all__ = ["Rejected", "Intake", "sniff", "safe_filename", "check_upload", "KIND_EXT", "PDFIUM_LOCK"]

# PDFIUM_LOCK (extraction.ingest.checks): pdfium is not thread-safe; every use in the API process holds it
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


def check_upload(data: bytes, name: str | None, settings: Settings, *, max_bytes: int | None = None,
                 max_pages: int | None = None) -> Intake:
    """The checks that are cheap before a job exists — the engine's own checks (`Limits.check_*`,
    `extraction.ingest.checks`) with the settings' limits (`settings.limits`), tightened by `max_bytes` /
    `max_pages` (the synchronous route's). The status: 413 too large, 415 not a report we read, 422 the
    rest (empty, encrypted, too many pages or pixels, too much text)."""
    limits = settings.limits
    limits = replace(limits, max_bytes=min(max_bytes or limits.max_bytes, limits.max_bytes),
                     max_pages=min(max_pages or limits.max_pages, limits.max_pages))
    try:
        limits.check_bytes(len(data))
    except FileTooLargeError as exc:
        raise Rejected(413, str(exc)) from None
    if not data.strip():
        raise Rejected(422, "file is empty")
    kind = sniff(data, name or "")
    if kind is None:
        raise Rejected(415, "unsupported content: send a PDF, PNG, JPEG, TIFF, HTML or plain-text report")
    pages = 1
    try:
        if kind == "pdf":
            pages = pdf_pages(data, limits)
        elif kind in ("png", "jpeg", "tiff"):
            pages = image_pages(data, limits)
        elif kind == "txt":
            try:
                text = decode_text(data)
            except DecodeError as exc:
                raise Rejected(415, f"unsupported content: {exc}") from None
            limits.check_text(len(text))
    except IngestError as exc:
        raise Rejected(422, str(exc)) from None
    return Intake(kind=kind, filename=safe_filename(name, kind), pages=pages)
