"""Plain text (OCR output, crawler exports, markdown, `pdftotext -layout`) into a `Document`.

Each physical line becomes one visual line; cells are split on tabs, pipes or runs of two or more
spaces — the separators the layouts in the wild use. Offsets into the decoded text are kept so
every value can point back to where it was read.
"""
from __future__ import annotations

import re

from extraction.document import Document, Segment, SourceKind
from extraction.ingest.decode import decode_text

_CELL_SPLIT = re.compile(r"\t|\|| {2,}|\u3000{1,}")


def split_cells(line: str) -> list[tuple[int, int]]:
    """Character ranges of the non-empty cells of one line."""
    out: list[tuple[int, int]] = []
    start = 0
    for m in _CELL_SPLIT.finditer(line):
        out.append((start, m.start()))
        start = m.end()
    out.append((start, len(line)))
    cells = []
    for a, b in out:
        text = line[a:b]
        stripped = text.strip()
        if not stripped:
            continue
        lead = len(text) - len(text.lstrip())
        cells.append((a + lead, a + lead + len(stripped)))
    return cells


def read_text(data: bytes | str, name: str = "", *, source_kind: SourceKind = SourceKind.text) -> Document:
    text = decode_text(data) if isinstance(data, bytes) else data
    segments: list[Segment] = []
    offset = 0
    line_no = 0
    for raw_line in text.splitlines(keepends=True):
        line = raw_line.rstrip("\r\n")
        cells = split_cells(line)
        if cells:
            for a, b in cells:
                segments.append(Segment(text=line[a:b], line=line_no, span=(offset + a, offset + b)))
            line_no += 1
        offset += len(raw_line)
    return Document(source_kind=source_kind, name=name, segments=segments)
