"""Labelled spans → table rows of tokens: the reconciler's input.

The assembler does not decide how a row's tokens map onto its cells when their count is off
(a dropped cell, a collapsed run, two numbers squashed together): it hands the row over with all
its tokens and the reconciler weighs the alignments against the 勾稽关系.
"""
from __future__ import annotations

from pydantic import BaseModel, Field

from gongkai.extraction import template as T
from gongkai.extraction.digitlike import LOOKALIKE_PROB, as_digits, reads_lookalikes
from gongkai.extraction.document import DIGITAL_KINDS, Document, SourceKind
from gongkai.extraction.meta import MetaReading, read_meta
from gongkai.extraction.narrative import narrative_figures
from gongkai.extraction.result import CellStatus, NarrativeFigure, Provenance
from gongkai.extraction.textnorm import SLASH_TOKENS, nfkc, parse_number
from gongkai.extraction.labelling import LabelledDocument, Span, Tag


# Digits OCR engines confuse, for OCR text that arrives without the recogniser's own alternatives.
DIGIT_CONFUSIONS = {"0": "86", "1": "74", "2": "7", "3": "85", "4": "1", "5": "63", "6": "58", "7": "12",
                    "8": "036", "9": "8"}
OCR_TEXT_PRIMARY = 0.9


def confusion_readings(raw: str, value: int) -> list[tuple[int, float]]:
    """One-digit substitutions of an OCR'd integer, sharing the probability the reading may be wrong."""
    digits = raw.replace(",", "")
    alts: list[int] = []
    for i, ch in enumerate(digits):
        for sub in DIGIT_CONFUSIONS.get(ch, ""):
            cand = digits[:i] + sub + digits[i + 1:]
            if len(cand) > 1 and cand.startswith("0"):
                continue
            v = int(cand)
            if v != value and v not in alts:
                alts.append(v)
    if not alts:
        return [(value, 1.0)]
    share = (1 - OCR_TEXT_PRIMARY) / len(alts)
    return [(value, OCR_TEXT_PRIMARY)] + [(v, share) for v in alts]


class Reading(BaseModel):
    value: int | float
    prob: float


class Token(BaseModel):
    """One printed cell as read: its raw text and the values it may stand for."""

    raw: str
    status: CellStatus
    readings: list[Reading] = Field(default_factory=list, description="most probable first")
    certain: bool = True
    mark_prob: float = Field(1.0, description="for a mark with no value ('/', '-'): how sure its "
                             "recognition was (its characters' lowest OCR confidence)")
    provenance: Provenance

    @property
    def value(self) -> int | float | None:
        return self.readings[0].value if self.readings else None


class RowReading(BaseModel):
    table: str  # "t2" | "t3" | "t4"
    key: str  # template row key, "t4" for table 4, or a table-3 group key for merged rows
    label: str
    fields: list[str]
    tokens: list[Token] = Field(default_factory=list)
    merged_rows: list[str] = Field(default_factory=list, description="sub-rows a merged printed row stands for")
    label_score: float = 1.0
    span_range: tuple[int, int] | None = Field(
        None, description="indices of the row's first and last span in the labelling it was read from")


class Assembled(BaseModel):
    source_kind: SourceKind
    org: str | None = None
    year: int | None = None
    title: str | None = None
    meta: MetaReading | None = None
    rows: list[RowReading]
    sections: list[int] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    narrative: list[NarrativeFigure] = Field(default_factory=list, description="figures the prose states")
    set_aside: list[RowReading] = Field(
        default_factory=list, description="second printings of a row that fitted worse than the one kept")
    not_printed: list[str] = Field(
        default_factory=list, description="table-2 row keys the report leaves out (label nowhere in the text)")

    def tables(self) -> set[str]:
        return {r.table for r in self.rows}


def _token(doc: Document, span: Span, text: str) -> Token:
    seg = doc.segments[span.segment]
    prov = Provenance(page=seg.page, line=seg.line, box=seg.box,
                      span=(seg.span[0] + span.start, seg.span[0] + span.end) if seg.span else None)
    raw = text.strip()
    if not raw:
        return Token(raw="", status=CellStatus.blank, provenance=prov)
    if nfkc(raw) in SLASH_TOKENS:  # a recognised mark is as sure as its strokes: a speck read "-"
        conf = min(seg.char_conf[span.start:span.end] or seg.char_conf) if seg.char_conf else 1.0
        return Token(raw=raw, status=CellStatus.slash, certain=conf >= 1.0, mark_prob=conf, provenance=prov)
    value = parse_number(raw)
    lookalike = as_digits(raw) if value is None and reads_lookalikes(doc.source_kind, seg, raw) else None
    if lookalike is not None:  # "O" read for 0: a guess, with the usual digit confusions beside it
        readings = [Reading(value=v, prob=p * LOOKALIKE_PROB / OCR_TEXT_PRIMARY)
                    for v, p in confusion_readings(lookalike, int(lookalike))]
        return Token(raw=raw, status=CellStatus.number, readings=readings, certain=False, provenance=prov)
    if value is None:
        return Token(raw=raw, status=CellStatus.text, provenance=prov)
    conf = 1.0
    if seg.char_conf:
        chars = seg.char_conf[span.start:span.end] or seg.char_conf
        conf = min(chars)
    readings = [Reading(value=value, prob=conf)]
    if seg.alternatives and seg.text.strip() == raw:
        seen = {value}
        for alt in seg.alternatives:
            v = parse_number(alt.text)
            if v is not None and v not in seen:
                readings.append(Reading(value=v, prob=alt.prob))
                seen.add(v)
        total = sum(r.prob for r in readings)
        if total > 1.0:
            readings = [Reading(value=r.value, prob=r.prob / total) for r in readings]
    if doc.source_kind is SourceKind.ocr_text and len(readings) == 1 and isinstance(value, int):
        readings = [Reading(value=v, prob=p) for v, p in confusion_readings(raw, value)]
    certain = doc.digital and len(readings) == 1
    return Token(raw=raw, status=CellStatus.number, readings=readings, certain=certain, provenance=prov)


class _Builder:
    def __init__(self, labelled: LabelledDocument):
        self.ld = labelled
        self.doc = labelled.document
        self.rows: list[RowReading] = []
        self.table: str | None = None
        self.current: RowReading | None = None
        self.pending_group: RowReading | None = None
        self.warnings: list[str] = []
        self.seen: set[tuple[str, str]] = set()
        self.duplicates: list[RowReading] = []  # second printings of a row already started
        self.set_aside: list[RowReading] = []  # the printings `finish` did not keep
        self.index = 0  # of the span being fed
        # grid (source table) of the label being read and of the current row: a number printed
        # outside that grid, on a line of its own, is a cell pushed out of the table (converters do
        # this), kept for the blank cell of the next row rather than appended to the current one
        self.label_grid: int | None = None
        self.current_grid: int | None = None
        self.pushed_out: Token | None = None
        self.pushed_out_row: RowReading | None = None
        self.has_grids = any(seg.table is not None for seg in self.doc.segments)
        self.outside: set[int] = set()  # ids of tokens read outside any grid, in a document with grids

    def start_row(self, row: RowReading, grid: int | None = None) -> None:
        self.pending_group = None
        self.current_grid = self.label_grid if grid is None else grid
        if self.pushed_out is not None:
            if self.pushed_out_row is None:
                self.pushed_out_row = row
            else:
                self._drop_pushed_out()
        if row.span_range is None:
            row.span_range = (self.index, self.index)
        if (row.table, row.key) in self.seen:  # read it too: the better-fitting reading is kept (`finish`)
            self.duplicates.append(row)
            self.current = row
            return
        self.seen.add((row.table, row.key))
        self.rows.append(row)
        self.current = row

    def feed(self, span: Span, index: int = 0) -> None:
        self.index = index
        text = self.ld.text(span)
        tag = span.tag
        if tag in (Tag.T2_ROW, Tag.T3_ROW, Tag.T3_GROUP):
            self.label_grid = self.doc.segments[span.segment].table
        if tag is Tag.SECTION:
            self._drop_pushed_out()
            self.table = {"2": "t2", "3": "t3", "4": "t4"}.get(span.key or "")
            self.current = self.pending_group = None
        elif tag in (Tag.T2_ARTICLE, Tag.T2_COL):
            self.table = "t2"
        elif tag is Tag.T2_ROW and span.key:
            self.table = "t2"
            if not (self.current and self.current.key == span.key and not self.current.tokens):
                self.start_row(RowReading(table="t2", key=span.key, label=text, fields=T.T2_ROW_FIELDS[span.key],
                                          label_score=span.score))
        elif tag in (Tag.T3_HEADER, Tag.T3_COL):
            self.table = "t3"
        elif tag is Tag.T3_ROW and span.key:
            self.table = "t3"
            if not (self.current and self.current.key == span.key and not self.current.tokens):
                self.start_row(RowReading(table="t3", key=span.key, label=text, fields=T.t3_row_fields(span.key),
                                          label_score=span.score))
        elif tag is Tag.T3_GROUP and span.key:
            self.table = "t3"
            subs = [r.key for r in T.T3_ROW_TEMPLATES if r.group == span.key and r.key != "total"]
            if any(("t3", sub) in self.seen for sub in subs):
                return  # a group label printed beside (or after) its own sub-rows: decoration, not a row
            self.current = None
            self.pending_group = RowReading(table="t3", key=span.key, label=text, merged_rows=subs,
                                            fields=[f"{span.key}.{c}" for c in T.T3_COLUMNS], label_score=span.score,
                                            span_range=(index, index))
        elif tag in (Tag.T4_GROUP, Tag.T4_COL, Tag.T4_HEADER):
            self.table = "t4"
        elif tag is Tag.VALUE:
            self.value(span, text)

    def value(self, span: Span, text: str) -> None:
        token = _token(self.doc, span, text)
        grid = self.doc.segments[span.segment].table
        if (self.current is not None and self.current_grid is not None and grid is None
                and token.status is CellStatus.number and self.current.table == self.table):
            self._drop_pushed_out()
            self.pushed_out, self.pushed_out_row = token, None
            return
        if grid is None and self.has_grids:
            self.outside.add(id(token))
        if self.table == "t4":
            if not self.current or self.current.table != "t4":
                self.start_row(RowReading(table="t4", key="t4", label="", fields=T.T4_FIELDS_IN_ORDER), grid)
            if self.current:
                self._add(token)
            return
        if self.pending_group is not None and self.table == "t3":
            if token.status is CellStatus.blank:
                return  # the empty cells beside a group heading (a grid row of its own) make no merged row
            group = self.pending_group
            self.start_row(group)
        if self.current is not None and self.current.table == self.table:
            self._add(token)
        elif token.status is CellStatus.number:
            self.warnings.append(f"value {token.raw!r} on line {token.provenance.line} belongs to no row")

    def _drop_pushed_out(self) -> None:
        if self.pushed_out is not None:
            tok = self.pushed_out
            self.warnings.append(f"value {tok.raw!r} on line {tok.provenance.line} belongs to no row")
        self.pushed_out = self.pushed_out_row = None

    def finish(self) -> list[RowReading]:
        """The rows with tokens. A row printed twice (a crawler repeating a row, a table of contents or
        an enumeration in the prose that reads like a table's start) keeps the printing whose numbers
        fit its cells best — on a tie the first."""
        rows = list(self.rows)
        for dup in self.duplicates:
            i = next(k for k, r in enumerate(rows) if (r.table, r.key) == (dup.table, dup.key))
            better = _fit(dup) > _fit(rows[i])
            if better:
                rows[i], dup = dup, rows[i]
            if dup.tokens:
                self.set_aside.append(dup)
            self.warnings.append(f"row {dup.table}.{dup.key} printed twice; the "
                                 f"{'second' if better else 'first'} printing fits its cells better and is kept")
        return _unmerge_groups_printed_apart([r for r in rows if r.tokens], self.warnings, self.set_aside)

    def _add(self, token: Token) -> None:
        assert self.current is not None
        if (token.status is CellStatus.blank and self.pushed_out is not None
                and self.pushed_out_row is self.current):
            token, self.pushed_out, self.pushed_out_row = self.pushed_out, None, None
        self.current.tokens.append(token)
        first = self.current.span_range[0] if self.current.span_range else self.index
        self.current.span_range = (first, self.index)


def _unmerge_groups_printed_apart(rows: list[RowReading], warnings: list[str],
                                  set_aside: list[RowReading]) -> list[RowReading]:
    """A table-3 group read as one merged row while some of its sub-rows are read as rows of their
    own is no merged row: the report prints the sub-rows, and the numbers beside the group label are
    a sub-row's whose label was lost (a scan's tall group cell sits beside its first sub-row, whose
    label wrapped or misread). With one sub-row unread they are that sub-row's; with more, nobody can
    say whose, so they are set aside and those sub-rows stay unread — never "absent by the form",
    which would make their cells confident."""
    read = {r.key for r in rows if r.table == "t3" and not r.merged_rows}
    out = []
    for row in rows:
        printed_apart = [k for k in row.merged_rows if k in read]
        if not printed_apart:
            out.append(row)
            continue
        unread = [k for k in row.merged_rows if k not in read]
        if len(unread) == 1:
            out.append(row.model_copy(update={"key": unread[0], "fields": T.t3_row_fields(unread[0]),
                                              "merged_rows": []}))
            warnings.append(f"t3.{row.key}: the numbers beside the group label are read as t3.{unread[0]} "
                            f"(its other sub-rows are printed apart)")
        else:
            set_aside.append(row)
            warnings.append(f"t3.{row.key}: numbers beside the group label, whose sub-rows are printed apart, "
                            "belong to no row that can be told")
    return out


def _fit(row: RowReading) -> tuple[int, int]:
    """How well a row's printed tokens fill its cells: numbers close to the cell count, then more numbers."""
    numbers = sum(1 for t in row.tokens if t.status is CellStatus.number)
    filled = sum(1 for t in row.tokens if t.status is not CellStatus.text)
    if not filled:
        return (-10**6, 0)
    return (-abs(filled - len(row.fields)), numbers)


def _without_label_lines(tokens: list[Token]) -> list[Token]:
    """A row printed over two grid lines (its label wrapped, the numbers beside one part of it):
    the empty cells beside the other part are that line's, not the row's."""
    lines: dict[tuple[int, int], list[Token]] = {}
    for t in tokens:
        lines.setdefault((t.provenance.page, t.provenance.line), []).append(t)
    if len(lines) < 2:
        return tokens
    blank_lines = {k for k, ts in lines.items() if all(t.status is CellStatus.blank for t in ts)}
    if not blank_lines or len(blank_lines) == len(lines):
        return tokens
    return [t for t in tokens if (t.provenance.page, t.provenance.line) not in blank_lines]


def _into_its_blank(tokens: list[Token], cells: int, outside: set[int]) -> list[Token]:
    """A row whose first number was printed above its grid (pushed out of the table by a converter)
    and whose grid holds one token too many for that with an empty cell: the number is that cell's."""
    if len(tokens) != cells + 1 or id(tokens[0]) not in outside or any(id(t) in outside for t in tokens[1:]):
        return tokens
    rest = tokens[1:]
    blank = next((i for i, t in enumerate(rest) if t.status is CellStatus.blank), None)
    if blank is None:
        return tokens
    return rest[:blank] + [tokens[0]] + rest[blank + 1:]


def assemble(labelled: LabelledDocument, *, ocr: bool = False) -> Assembled:
    """`ocr`: the text came through someone's OCR (a misread place name in the org may be healed)."""
    builder = _Builder(labelled)
    sections: list[int] = []
    for index, span in enumerate(labelled.spans):
        if span.tag is Tag.SECTION and span.key and int(span.key) not in sections:
            sections.append(int(span.key))
        builder.feed(span, index)
    builder._drop_pushed_out()
    meta = read_meta(labelled, ocr=ocr)
    for row in builder.rows + builder.duplicates:
        row.tokens = _into_its_blank(_without_label_lines(row.tokens), len(row.fields), builder.outside)
    rows = builder.finish()
    kind = labelled.document.source_kind
    return Assembled(source_kind=kind, org=meta.org, year=meta.year, title=meta.title,
                     meta=meta, rows=rows, sections=sections, warnings=builder.warnings, set_aside=builder.set_aside,
                     narrative=narrative_figures(labelled),
                     not_printed=[] if ocr or kind not in DIGITAL_KINDS
                     else not_printed_rows(rows, "".join(nfkc(s.text) for s in labelled.document.segments)))


def not_printed_rows(rows: list[RowReading], text: str) -> list[str]:
    """Table-2 rows the report does not print at all: the table is there but the row's label occurs
    nowhere in the text (county bureaus' exports drop 规章, which they cannot issue). Only for digital
    text — an OCR'd label may be garbled beyond recognition, and then the row was lost, not left out."""
    read = {r.key for r in rows if r.table == "t2"}
    if not read:
        return []
    return [row.key for row in T.T2_ROWS if row.key not in read and nfkc(row.label) not in text]
