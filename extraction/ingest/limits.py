"""What one input may cost — the one set of limits the engine and the service both enforce — and the
errors raised when input breaks them.

The numbers live here once, and so do the checks on them (`Limits.check_*`, and for whole inputs
`extraction.ingest.checks`): the readers and the service's intake call the same checks with the same
`Limits` — the service hands its own to the extraction child (`use_limits`) — so a file the intake
accepts is never refused by the engine for bytes, pages, pixels or characters. `GONGKAI_MAX_*`
variables override the numbers for both (service/config.py).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

__all__ = [
    "Limits", "Deadline", "IngestError", "FileTooLargeError", "NotAPdfError", "EncryptedPdfError", "CorruptPdfError",
    "TooManyPagesError", "ImageTooLargeError", "UnreadableImageError", "PageTimeoutError", "TextTooLongError",
    "DEFAULT_LIMITS", "current_limits", "use_limits",
]


from gongkai.extraction.ingest import IngestError  # noqa: E402  (the package's one base class)


class FileTooLargeError(IngestError):
    pass


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


class TextTooLongError(IngestError):
    pass


@dataclass(frozen=True)
class Limits:
    """What one input may cost.

    max_pages: more pages than this is refused (a report has 4–15).
    max_pixels: a page image (rendered or given, or a crop of one) larger than this is refused
        (an A4 page at 200 dpi is 3.9 MP).
    max_bytes: the largest file accepted.
    max_text_chars: a text input (or the text read from any input) longer than this is refused
        before labelling: the reports run to 3–10 thousand characters, and the labellers cost
        per character.
    dpi: rendering resolution for PDF pages that need OCR.
    page_timeout_s: OCR work on one page past this raises `PageTimeoutError` (checked between
        the detection and recognition batches, so the overrun is at most one batch).
    timeout_s: the whole extraction of one input (the service kills its child past it).
    memory_mb: the address space of the extraction child (0 = none).
    """

    max_pages: int = 60
    max_pixels: int = 40_000_000
    max_bytes: int = 50 * 1024 * 1024
    max_text_chars: int = 200_000
    dpi: int = 200
    page_timeout_s: float = 60.0
    timeout_s: float = 600.0
    memory_mb: int = 4096

    def check_bytes(self, n_bytes: int) -> None:
        if n_bytes > self.max_bytes:
            raise FileTooLargeError(f"the file is {n_bytes:,} bytes; the limit is {self.max_bytes:,} bytes (max_bytes)")

    def check_pages(self, n_pages: int, what: str) -> None:
        """`what` has `n_pages` pages (a PDF's, or the frames of an image file)."""
        if n_pages > self.max_pages:
            raise TooManyPagesError(f"{what} has {n_pages} pages; the limit is {self.max_pages} pages (max_pages)")

    def check_pixels(self, width: int, height: int, what: str) -> None:
        if width * height > self.max_pixels:
            raise ImageTooLargeError(f"{what} is {width}x{height} pixels; the limit is {self.max_pixels:,} pixels "
                                     "(max_pixels)")

    def page_pixels(self, width_pt: float, height_pt: float) -> tuple[int, int]:
        """The size in pixels of a PDF page of `width_pt` × `height_pt` points rendered at `dpi`."""
        scale = self.dpi / 72.0
        return round(width_pt * scale), round(height_pt * scale)

    def check_text(self, n_chars: int, what: str = "the text") -> None:
        if n_chars > self.max_text_chars:
            raise TextTooLongError(f"{what} has {n_chars:,} characters; the limit is {self.max_text_chars:,} "
                                   "characters (max_text_chars)")


DEFAULT_LIMITS = Limits()
_current: list[Limits] = [DEFAULT_LIMITS]


def current_limits() -> Limits:
    """The limits in force in this process (the defaults unless `use_limits` set others)."""
    return _current[0]


def use_limits(limits: Limits) -> None:
    """Set this process's limits (the service's extraction child, with the service's settings)."""
    _current[0] = limits


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
