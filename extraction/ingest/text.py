"""Plain text (OCR output, crawler exports, markdown, `pdftotext -layout`) into a `Document`.

Each physical line becomes one visual line; cells are split on tabs, pipes or runs of two or more
spaces — the separators the layouts in the wild use. Offsets into the decoded text are kept so
every value can point back to where it was read.
"""
from __future__ import annotations

import re

from extraction import template as T
from extraction.document import Document, Segment, SourceKind
from extraction.ingest.decode import decode_text

_CELL_SPLIT = re.compile(r"\t|\|| {2,}|\u3000{1,}")

# A squashed page: a crawler that joined the whole report into one line, each table row's cells run
# together with its label (`…申请数量801000081`, `规章 000行政规范性文件693665`). Such a line is cut
# back into the lines the template prints — before every heading, enumerator and table-2 row label,
# and between a label and its run of digits — so each row reads as in a one-cell-per-line export.
SQUASHED_MIN_CHARS = 400
_SQUASH_ANCHORS = re.compile(
    "|".join([
        r"[一二三四五六七]\s*、(?=\s*[\u4e00-\u9fff])",  # 一、… headings and table-3 rows
        r"[(（]\s*[一二三四五六七]\s*[)）](?=\s*[\u4e00-\u9fff])",  # （一）…
        r"(?<![.．])[1-9]\s*[.．、](?=\s*[\u4e00-\u9fff])",  # 1.… (also glued to the digits before it)
        r"第二十条",
        r"行政复议\s*行政诉讼",  # table 4's header, also after a misprinted heading
        "|".join(T.T2_ROW_LABELS),
    ]))
_SECTION_TITLE = re.compile("|".join(re.escape(t) for t in T.SECTION_TITLES.values()))  # cut after it too
_DIGITS_AFTER_TEXT = re.compile(r"(?<=[\u4e00-\u9fff）)])\s*(?=\d)|(?<=\d)(?=\s*[\u4e00-\u9fff（(])")


def squashed_cuts(line: str) -> list[tuple[int, int]]:
    """Character ranges of the pseudo-lines of a squashed page, or the whole line when it is not one."""
    if len(line) < SQUASHED_MIN_CHARS or sum(1 for _ in _SQUASH_ANCHORS.finditer(line)) < 12:
        return [(0, len(line))]
    cuts = {0, len(line)}
    cuts.update(m.start() for m in _SQUASH_ANCHORS.finditer(line))
    cuts.update(m.end() for m in _DIGITS_AFTER_TEXT.finditer(line))
    cuts.update(m.end() for m in _SECTION_TITLE.finditer(line))
    bounds = sorted(cuts)
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if line[a:b].strip()]


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
        for lo, hi in squashed_cuts(line):
            cells = split_cells(line[lo:hi])
            if cells:
                for a, b in cells:
                    segments.append(Segment(text=line[lo + a:lo + b], line=line_no,
                                            span=(offset + lo + a, offset + lo + b)))
                line_no += 1
        offset += len(raw_line)
    return Document(source_kind=source_kind, name=name, segments=segments)
