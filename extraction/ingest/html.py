"""HTML reader: a report page (or a bare article fragment) → `Document`.

Government sites serve the report as a CMS article element exported from Word: often no `<html>`
wrapper, no charset, GBK bytes, tables with ragged rowspan/colspan label columns. The labeller
matches rows by label and columns by grid position, so this reader's job is to decode the bytes
reliably and to resolve every table into grid coordinates (`table`, `row`, `col`); everything
outside tables becomes one segment per visual line.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import lxml.html
from charset_normalizer import from_bytes
from lxml import etree

from gongkai.extraction.document import Document, Segment, SourceKind


class HtmlReadError(ValueError):
    """The bytes are not a readable HTML page (binary, undecodable, or without any text)."""


# ---- decoding ----------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: its BOM starts with the UTF-16 one
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# The prescan a browser does: a charset in a <meta> (either form) or an XML declaration.
_DECLARED = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)"""
    rb"""|<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.:\-]+)""",
    re.IGNORECASE,
)
# GB2312/GBK labels are routinely served with GBK-only (or GB18030-only) characters: decode with
# the superset, as browsers do.
_SUPERSET = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "euc_cn": "gb18030"}
# Single-byte Western labels on a Chinese report are CMS defaults, not a statement about bytes.
_UNTRUSTED = {"latin_1", "iso8859_1", "cp1252", "ascii"}


def _declared_charset(data: bytes) -> str | None:
    match = _DECLARED.search(data[:4096])
    if not match:
        return None
    label = (match.group(1) or match.group(2)).decode("ascii").lower()
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _SUPERSET.get(name.replace("-", "_"), name)


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(data: bytes) -> tuple[str, str]:
    """Decoded text and the encoding used: BOM → declared charset → UTF-8 → GB18030 → detection.

    A non-UTF declaration loses to bytes that are valid multi-byte UTF-8: pages re-saved as
    UTF-8 keep their old `gb2312` meta, and GB18030 would decode them, silently, as mojibake,
    while GBK text almost never passes as UTF-8.
    """
    if not data.strip():
        raise HtmlReadError("empty input")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = _strict(data, encoding)
            if text is None:
                raise HtmlReadError(f"byte-order mark says {encoding} but the bytes do not decode")
            return _checked(text), encoding
    if b"\x00" in data:
        raise HtmlReadError("binary data (NUL bytes), not an HTML page")

    utf8 = _strict(data, "utf-8")
    declared = _declared_charset(data)
    if declared and declared not in _UNTRUSTED and not (utf8 is not None and not data.isascii()):
        text = _strict(data, declared)
        if text is not None:
            return _checked(text), declared
    if utf8 is not None:
        return _checked(utf8), "utf-8"
    text = _strict(data, "gb18030")
    if text is not None:
        return _checked(text), "gb18030"
    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise HtmlReadError("cannot decode: not UTF-8, GB18030 or any detectable encoding")
    return _checked(str(best)), best.encoding


_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def _checked(text: str) -> str:
    """Reject decodings that are really binary: text has next to no control characters."""
    if len(_CONTROLS.findall(text)) > max(2, len(text) // 200):
        raise HtmlReadError("binary data (control characters), not an HTML page")
    return text


# ---- text normalisation ----------------------------------------------------------------------

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_SPACES = re.compile(r"\s+")  # str patterns: covers &nbsp; (U+00A0) and U+3000 too
_CJK = (r"\u2e80-\u2fdf\u3001-\u303f\u3040-\u30ff\u3100-\u312f\u31c0-\u31ef\u3400-\u4dbf"
        r"\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef")
_CJK_GAP = re.compile(rf"(?<=[{_CJK}]) (?=[{_CJK}])")


def clean_text(raw: str) -> str:
    """Collapse whitespace; a space between two CJK characters is an artefact of line wrapping."""
    text = _SPACES.sub(" ", raw.translate(_INVISIBLE)).strip()
    return _CJK_GAP.sub("", text)


# ---- DOM walking -------------------------------------------------------------------------------

_SKIPPED = frozenset({"script", "style", "head", "title", "noscript", "template", "iframe",
                      "object", "embed", "svg", "math", "select", "textarea", "button", "xml"})
_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "body", "center", "dd", "details", "dialog",
    "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2",
    "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "li", "main", "menu", "nav", "ol",
    "p", "pre", "section", "summary", "ul", "caption", "tr", "td", "th", "table", "tbody",
    "thead", "tfoot",
})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|mso-hide\s*:\s*all", re.I)
_TITLE_LINE = re.compile(r"^标\s*题\s*[:：]\s*(\S.*)$")
# A cell holding this much running text in several blocks is a page-layout container, not data.
_CONTAINER_CHARS = 200


def _tag(el) -> str | None:
    """Lower-case tag name; None for comments and processing instructions."""
    return el.tag.lower() if isinstance(el.tag, str) else None


def _visible(el) -> bool:
    tag = _tag(el)
    if tag is None or tag in _SKIPPED:
        return False
    if el.get("hidden") is not None:
        return False
    return not _HIDDEN_STYLE.search(el.get("style") or "")


def _cell_text(el) -> str:
    """All visible text inside a cell; block and <br> boundaries become spaces."""
    parts: list[str] = []

    def walk(node) -> None:
        tag = _tag(node)
        if tag == "br":
            parts.append(" ")
            return
        block = tag in _BLOCKS
        if block:
            parts.append(" ")
        if node.text:
            parts.append(node.text)
        for child in node:
            if _visible(child) and _tag(child) != "table":
                walk(child)
            if child.tail:
                parts.append(child.tail)
        if block:
            parts.append(" ")

    walk(el)
    return clean_text("".join(parts))


def _is_container(cell) -> bool:
    """Whether a cell wraps page content (nested tables, whole articles) rather than one value."""
    if any(_visible(t) for t in cell.iterdescendants("table")):
        return True
    blocks = sum(1 for d in cell.iterdescendants("p", "div", "li", "h1", "h2", "h3", "h4")
                 if _visible(d))
    return blocks >= 2 and len(_cell_text(cell)) > _CONTAINER_CHARS


def _span(value: str | None, default: int, limit: int) -> int:
    """A rowspan/colspan attribute read as browsers do: leading digits, else the default."""
    match = re.match(r"\s*(\d+)", value or "")
    return min(int(match.group(1)), limit) if match else default


@dataclass
class _Cell:
    row: int
    col: int
    colspan: int
    rowspan: int
    el: etree._Element
    text: str = ""
    container: bool = False


def _rows(table) -> list:
    """The table's own rows, in document order (not those of nested tables)."""
    rows = table.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr")
    return [r for r in rows if _visible(r)]


def _grid(rows: list) -> list[_Cell]:
    """Place every cell on the grid the HTML table algorithm would draw."""
    taken: dict[int, set[int]] = {}
    cells: list[_Cell] = []
    for r, tr in enumerate(rows):
        col = 0
        for td in tr:
            if _tag(td) not in ("td", "th") or not _visible(td):
                continue
            while col in taken.get(r, ()):
                col += 1
            colspan = max(1, _span(td.get("colspan"), 1, 1000))
            rowspan = _span(td.get("rowspan"), 1, len(rows) - r) or len(rows) - r  # 0: to the end
            for dr in range(rowspan):
                taken.setdefault(r + dr, set()).update(range(col, col + colspan))
            cells.append(_Cell(r, col, colspan, rowspan, td))
            col += colspan
    return cells


class _Reader:
    """Walks the DOM once, emitting segments in reading order."""

    def __init__(self) -> None:
        self.segments: list[Segment] = []
        self.line = 0
        self.tables = 0
        self._buffer: list[str] = []
        self.title: str | None = None

    # flow text
    def flush(self) -> None:
        text = clean_text("".join(self._buffer))
        self._buffer.clear()
        if text:
            self.segments.append(Segment(text=text, line=self.line))
            self.line += 1
            if self.title is None and (m := _TITLE_LINE.match(text)):
                self.title = m.group(1).strip()

    def flow(self, el) -> None:
        tag = _tag(el)
        if tag == "br":
            self.flush()
            return
        if tag == "table":
            self.flush()
            self.table(el)
            return
        block = tag in _BLOCKS
        if block:
            self.flush()
        if el.text:
            self._buffer.append(el.text)
        for child in el:
            if _visible(child):
                self.flow(child)
            if child.tail:
                self._buffer.append(child.tail)
        if block:
            self.flush()

    # tables
    def table(self, el) -> None:
        index = self.tables
        self.tables += 1
        for caption in el.findall("caption"):
            if _visible(caption):
                self.flow(caption)
        cells = _grid(_rows(el))
        for cell in cells:
            cell.container = _is_container(cell.el)
            cell.text = "" if cell.container else _cell_text(cell.el)
        filled = [c for c in cells if c.text]
        used_cols = {col for c in filled for col in range(c.col, c.col + c.colspan)}
        first_filled: dict[int, int] = {}  # row -> leftmost column holding text (spans included)
        for c in filled:
            for r in range(c.row, c.row + c.rowspan):
                first_filled[r] = min(first_filled.get(r, c.col), c.col)

        by_row: dict[int, list[_Cell]] = {}
        for cell in cells:
            by_row.setdefault(cell.row, []).append(cell)
        for r in sorted(by_row):
            emitted = False
            for cell in by_row[r]:
                if cell.container:
                    continue
                if not cell.text and not self._printed_blank(cell, first_filled, used_cols):
                    continue
                self.segments.append(Segment(text=cell.text, line=self.line, table=index,
                                             row=r, col=cell.col))
                emitted = True
            if emitted:
                self.line += 1
            for cell in by_row[r]:
                if cell.container:  # its paragraphs and inner tables follow the row, flattened
                    self.flow(cell.el)

    @staticmethod
    def _printed_blank(cell: _Cell, first_filled: dict[int, int], used_cols: set[int]) -> bool:
        """An empty cell is a value left blank when text precedes it in its row and its column
        carries text somewhere in the table; otherwise it is layout (indent, trailing junk cell)."""
        if first_filled.get(cell.row, cell.col) >= cell.col:
            return False
        return any(col in used_cols for col in range(cell.col, cell.col + cell.colspan))


def _title_hint(root, reader: _Reader) -> str | None:
    for title in root.iter("title"):
        if text := clean_text(title.text_content()):
            return text
    for h1 in root.iter("h1"):
        if all(_visible(a) for a in (h1, *h1.iterancestors()) if _tag(a) not in ("html", "body")):
            if text := _cell_text(h1):
                return text
    return reader.title


def read_html_fragment(fragment: str, line: int = 0, tables: int = 0) -> tuple[list[Segment], int, int]:
    """Segments of a piece of HTML inside another text (the `<table>`s PDF-to-Markdown converters
    embed in their Markdown), numbered from visual line `line` and table index `tables`; returns
    them with the next free line and table index, so the caller can go on numbering."""
    parser = lxml.html.HTMLParser(encoding="utf-8", huge_tree=True)
    try:
        root = lxml.html.document_fromstring(fragment.encode("utf-8"), parser=parser)
    except (etree.ParserError, ValueError):
        return [], line, tables
    reader = _Reader()
    reader.line, reader.tables = line, tables
    body = root.find("body")
    reader.flow(body if body is not None else root)
    reader.flush()
    return reader.segments, reader.line, reader.tables


def read_html(data: bytes, name: str = "") -> Document:
    """Read an HTML page or fragment into segments; raises `HtmlReadError` if it is not one."""
    text, _ = decode_html(data)
    parser = lxml.html.HTMLParser(encoding="utf-8", huge_tree=True)
    try:  # bytes + explicit encoding: lxml then ignores any (stale) charset declaration
        root = lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    except etree.ParserError as exc:  # libxml2's "Document is empty": nothing but comments
        raise HtmlReadError("no text") from exc
    except ValueError as exc:
        raise HtmlReadError(f"unparseable HTML: {exc}") from exc
    reader = _Reader()
    body = root.find("body")
    reader.flow(body if body is not None else root)
    reader.flush()
    if not reader.segments:
        raise HtmlReadError("no text")
    return Document(source_kind=SourceKind.html, name=name, segments=reader.segments,
                    title_hint=_title_hint(root, reader))
