"""extract(): the whole pipeline for one input — ingest, label, assemble, reconcile."""
from __future__ import annotations

from pathlib import Path

from extraction.result import ExtractionResult


class ExtractionError(Exception):
    """Input that cannot be turned into a report (not a report, old format, empty, undecodable)."""


def extract(source: bytes | str | Path, name: str = "", *, labeller: str = "rules") -> ExtractionResult:
    """Extract one report from a file path or its raw bytes (`name` hints the kind by extension)."""
    raise NotImplementedError  # being built in this change
