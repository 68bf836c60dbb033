"""Page progress of a running extraction: ingest reports each page it has read (text layer or OCR)
to whoever listens — the CLI's progress line, a service job's `pages_done`.

A listener is set for the current context (`with on_page(fn): extract(...)`), so concurrent
extractions in threads each report to their own; with none set, reporting costs nothing.
"""
from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["on_page", "page_read"]

PageListener = Callable[[int, int], None]  # (pages done, pages in the document)
_listener: contextvars.ContextVar[PageListener | None] = contextvars.ContextVar("gongkai_page_listener",
                                                                               default=None)


def page_read(done: int, total: int) -> None:
    """Called by ingest after each page."""
    fn = _listener.get()
    if fn is not None:
        fn(done, total)


@contextmanager
def on_page(fn: PageListener) -> Iterator[None]:
    token = _listener.set(fn)
    try:
        yield
    finally:
        _listener.reset(token)
