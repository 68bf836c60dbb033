"""Resource limits for PDF and image ingestion, and the errors raised when input breaks them."""
from __future__ import annotations

import time
from dataclasses import dataclass

__all__ = [
    "Limits", "Deadline", "IngestError", "NotAPdfError", "EncryptedPdfError", "CorruptPdfError",
    "TooManyPagesError", "ImageTooLargeError", "UnreadableImageError", "PageTimeoutError",
]


from extraction.ingest import IngestError  # noqa: E402  (the package's one base class)


class NotAPdfError(IngestError):
    pass


class EncryptedPdfError(IngestError):
    pass


class CorruptPdfError(IngestError):
    pass


class TooManyPagesError(IngestError):
    pass


class ImageTooLargeError(IngestError):
    pass


class UnreadableImageError(IngestError):
    pass


class PageTimeoutError(IngestError):
    pass


@dataclass(frozen=True)
class Limits:
    """What one input may cost.

    max_pages: more pages than this is refused (a report has 4–15).
    max_pixels: a page image (rendered or given) larger than this is refused.
    dpi: rendering resolution for PDF pages that need OCR.
    page_timeout_s: OCR work on one page past this raises `PageTimeoutError` (checked between
        the detection and recognition batches, so the overrun is at most one batch).
    """

    max_pages: int = 60
    max_pixels: int = 40_000_000
    dpi: int = 200
    page_timeout_s: float = 60.0


class Deadline:
    """A per-page time budget checked cooperatively by the OCR path."""

    def __init__(self, seconds: float, page: int):
        self.page = page
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise PageTimeoutError(
                f"page {self.page}: OCR took longer than the {self.seconds:g} s page limit")
