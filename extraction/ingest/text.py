"""Plain text (OCR output, crawler exports, markdown, `pdftotext -layout`) into a `Document`.

Each physical line becomes one visual line; cells are split on tabs, pipes or runs of two or more
spaces — the separators the layouts in the wild use. Offsets into the decoded text are kept so
every value can point back to where it was read.

Markdown from PDF-to-Markdown converters (MinerU, Marker, Docling) and from VLM/OCR services is
read as tables, not as lines: a block of `| … |` rows is one grid (`table`, `row`, `col` on every
segment, as the HTML reader gives), so an empty cell in a value column is a printed blank rather
than nothing, and cells a converter repeats over a merged span (Docling) are read once. `<table>`
HTML embedded in the Markdown (MinerU) goes through the HTML reader. Inline markup (`**bold**`,
`<br>` inside cells) is blanked out in place, so offsets stay those of the source.
"""
from __future__ import annotations

import re

from gongkai.extraction import template as T
from gongkai.extraction.document import Document, Segment, SourceKind
from gongkai.extraction.ingest.decode import decode_text
from gongkai.extraction.textnorm import SLASH_TOKENS, nfkc, parse_number

_CELL_SPLIT = re.compile(r"\t|\|| {2,}|\u3000{1,}")
_INLINE_MARKUP = re.compile(r"<br\s*/?>|\*\*|__", re.IGNORECASE)
_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_PIPE_RULE = re.compile(r"^\s*\|?(?:\s*:?-{2,}:?\s*\|)+\s*(?::?-{2,}:?\s*)?$")
_HTML_TABLE_OPEN = re.compile(r"<table\b", re.IGNORECASE)
_HTML_TABLE_CLOSE = re.compile(r"</table\s*>", re.IGNORECASE)

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


def blank_markup(line: str) -> str:
    """`**bold**`, `__bold__` and `<br>` replaced by as many spaces: the words stay where they were."""
    return _INLINE_MARKUP.sub(lambda m: " " * len(m.group(0)), line)


def pipe_cells(line: str) -> list[tuple[int, int]]:
    """Character ranges of every cell of a `| a | b |` row, empty ones included (stripped)."""
    bars = [i for i, ch in enumerate(line) if ch == "|" and (i == 0 or line[i - 1] != "\\")]
    cells = []
    for a, b in zip(bars, bars[1:]):
        text = line[a + 1:b]
        lead = len(text) - len(text.lstrip())
        n = len(text.strip())
        cells.append((a + 1 + lead, a + 1 + lead + n))
    return cells


def _is_value(text: str) -> bool:
    t = nfkc(text).strip()
    return parse_number(t) is not None or t in SLASH_TOKENS


class _Grid:
    """One Markdown pipe table: rows of (line text, offset of the line, cell ranges)."""

    def __init__(self, rows: list[tuple[str, int, list[tuple[int, int]]]]):
        self.rows = rows
        self.texts = [[line[a:b] for a, b in cells] for line, _, cells in rows]
        width = max((len(r) for r in self.texts), default=0)
        # a column is a value column when some row holds a number (or `/`, `-`) in it; in a grid
        # without any number (its only value pushed out of it), every headed column after the first
        # (and those between two such: a value column whose only value was pushed out of the grid)
        numbered = {j for r in self.texts for j, t in enumerate(r) if t and _is_value(t)}
        self.value_cols = set(range(min(numbered), max(numbered) + 1)) if numbered else {
            j for r in self.texts for j, t in enumerate(r) if t and j > 0}
        self.width = width

    def merged(self, r: int) -> list[tuple[int, int]]:
        """Runs [j, k) of row r that print one merged cell: equal neighbouring text cells, or a number
        repeated over (or printed once, the rest left empty, in) exactly the columns a merged header
        cell above it spans."""
        row = self.texts[r]
        runs: list[tuple[int, int]] = []
        j = 0
        while j < len(row):
            k = j + 1
            while k < len(row) and row[k] and row[k] == row[j]:
                k += 1
            runs.append((j, k))
            j = k
        header = next((self.texts[q] for q in range(r - 1, -1, -1)
                       if not any(t and _is_value(t) for t in self.texts[q])), None)
        out: list[tuple[int, int]] = []
        for j, k in runs:
            if out and j < out[-1][1]:
                continue  # inside a merged cell already read
            if header is not None and row[j] and _is_value(row[j]) and k == j + 1:
                # a value printed once in a merged cell, the cells it spans left empty
                while (k < len(row) and not row[k] and len(header) > k and header[j]
                       and header[k] in (header[j], "") and not _is_value(header[j])):
                    k += 1  # the header cell repeated over its span (Docling) or printed once (Marker)
                if k > j + 1 and (j == 0 or header[j - 1] != header[j]) and (
                        k == len(header) or header[k] != header[j]):
                    out.append((j, k))
                    continue
                k = j + 1
            if k - j > 1 and row[j] and _is_value(row[j]):
                spanned = header is not None and len(header) >= k and header[j] and all(
                    header[i] == header[j] for i in range(j, k)) and (k == len(header) or header[k] != header[j]) and (
                    j == 0 or header[j - 1] != header[j])
                if not spanned:
                    out += [(i, i + 1) for i in range(j, k)]
                    continue
            out.append((j, k))
        return out

    def segments(self, first_line: int, table: int) -> list[Segment]:
        out: list[Segment] = []
        above: dict[int, str] = {}  # label text last printed in each column (Docling repeats row spans)
        line_no = first_line
        for r, (line, offset, cells) in enumerate(self.rows):
            emitted = False
            seen_text = False
            for j, k in self.merged(r):
                a, b = cells[j]
                text = line[a:b]
                if not text:
                    if seen_text and j in self.value_cols:
                        out.append(Segment(text="", line=line_no, span=(offset + a, offset + a), table=table,
                                           row=r, col=j))
                        emitted = True
                    continue
                if not _is_value(text) and above.get(j) == text:
                    seen_text = True
                    continue  # a label cell repeated down the rows it spans
                if not _is_value(text):
                    above[j] = text
                seen_text = True
                out.append(Segment(text=text, line=line_no, span=(offset + a, offset + b), table=table, row=r, col=j))
                emitted = True
            for j in range(len(self.texts[r])):
                if not self.texts[r][j]:
                    above.pop(j, None)
            if emitted:
                line_no += 1
        return out


def read_text(data: bytes | str, name: str = "", *, source_kind: SourceKind = SourceKind.text) -> Document:
    text = decode_text(data) if isinstance(data, bytes) else data
    segments: list[Segment] = []
    lines: list[tuple[str, int]] = []
    offset = 0
    for raw_line in text.splitlines(keepends=True):
        lines.append((raw_line.rstrip("\r\n"), offset))
        offset += len(raw_line)
    line_no = 0
    tables = 0
    i = 0
    while i < len(lines):
        line, start = lines[i]
        if _HTML_TABLE_OPEN.search(line):  # HTML tables inside Markdown: up to the closing tag
            j = i
            while j < len(lines) - 1 and not _HTML_TABLE_CLOSE.search(lines[j][0]):
                j += 1
            from gongkai.extraction.ingest.html import read_html_fragment

            segs, line_no, tables = read_html_fragment("\n".join(ln for ln, _ in lines[i:j + 1]), line_no, tables)
            segments += segs
            i = j + 1
            continue
        if _PIPE_ROW.match(line):
            rows = []
            while i < len(lines) and _PIPE_ROW.match(lines[i][0]):
                masked, at = blank_markup(lines[i][0]), lines[i][1]
                if not _PIPE_RULE.match(masked):
                    rows.append((masked, at, pipe_cells(masked)))
                i += 1
            grid_segments = _Grid(rows).segments(line_no, tables)
            segments += grid_segments
            line_no += len({s.line for s in grid_segments})
            tables += 1
            continue
        masked = blank_markup(line)
        for lo, hi in squashed_cuts(masked):
            cells = split_cells(masked[lo:hi])
            if cells:
                for a, b in cells:
                    segments.append(Segment(text=masked[lo + a:lo + b], line=line_no,
                                            span=(start + lo + a, start + lo + b)))
                line_no += 1
        i += 1
    return Document(source_kind=source_kind, name=name, segments=segments)
