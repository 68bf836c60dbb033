"""The rule labeller: the template's wording, fuzzy matching and reading order.

It walks the document line by line (`_Walk`: which section a line is in) and hands each line to
the reader of its section, each a small unit with the state only that part of the report needs:
`_Preamble` (title, organisation, year), `_Table2`, `_Table3` (which row comes next), `_Table4`;
all of them add their spans through one `_Spans`. Table-3 rows are matched monotonically against
the template — rows are always printed in canonical order, so a wrapped label's continuation or an
OCR-garbled fragment cannot jump to an unrelated row. It is the fallback and ablation baseline for
the model.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from gongkai.extraction import template as T
from gongkai.extraction.digitlike import as_digits, reads_lookalikes
from gongkai.extraction.document import Document
from gongkai.extraction.title_patterns import LINE_PERIOD_RE, LINE_TITLE_RE, LINE_YEAR_RE
from gongkai.extraction.textnorm import (
    NUMBER_RE, ORG_PHRASES, heal_phrases, PAGE_NUMBER_RE, SLASH_TOKENS, core, lcs, nfkc, prefix_match, split_enumerator, squash_spaces,
)
from gongkai.extraction.labelling import LabelledDocument, Span, Tag

ORG_SUFFIX_RE = re.compile(r"(人民政府|办公室|办公厅|局|委员会|委|厅|署|中心|管委会|办事处|政府|院|所|站|队|处|会)$")
CHROME_PREFIX_RE = re.compile(r"^\s*(?:#+|标题\s*[:：]|[*•·]+)\s*")
PUBLISHER_RE = re.compile(r"(?:发布机构|发文机关|来源)\s*[:：]\s*(\S+)")
# the column names a VLM or converter puts over a table it could not read a header for
GENERIC_HEADER_RE = re.compile(r"^\s*(?:数据|列|栏|字段|项|Column|Col|C)\s*\d{1,2}\s*$", re.IGNORECASE)
GENERIC_LABEL_WORDS = ("项目", "类别", "名称", "指标", "内容")

T3_ROW_CORES = [(r.key, core(r.label), tuple(core(a) for a in r.aliases), r.enumerator) for r in T.T3_ROW_TEMPLATES]
T3_GROUP_CORES = [(k, core(g.label), g.enumerator) for k, g in T.T3_GROUPS.items()]
T3_COL_CORES = [(k, core(v)) for k, v in T.T3_COLUMN_LABELS.items()] + [("legal_service", "法律服务机构")]
T2_ROW_CORES = [(r.key, core(r.label)) for r in T.T2_ROWS]
T2_COL_CORES = [(k, core(v)) for k, v in T.T2_COLUMN_LABELS.items()]
T4_GROUP_CORES = [(k, core(v)) for k, v in T.T4_GROUP_LABELS.items()]
T4_COL_CORES = [(k, core(v)) for k, v in T.T4_OUTCOME_LABELS.items()]
T4_WORDS = {"结果", "维持", "纠正", "其他", "尚未", "审结", "总计", "行政诉讼"}
NARRATIVE_MIN = 30  # characters: longer unmatched text in a table section is prose


@dataclass
class Piece:
    """A run inside a segment: either a number or a stretch of text."""

    start: int
    end: int
    text: str
    is_number: bool


def pieces(text: str) -> list[Piece]:
    """Split a segment into numbers and text, keeping enumerators such as `1.` / `2、` as text."""
    out: list[Piece] = []
    pos = 0
    norm = nfkc(text)
    for m in NUMBER_RE.finditer(norm):
        after = norm[m.end():m.end() + 4]
        if m.group(2) is None and len(m.group(1)) <= 2 and (
                re.match(r"[.、．,，]\s*[^\d\s]", after) or re.fullmatch(r"[.、．]\s*", norm[m.end():])):
            continue  # an enumerator like "3." before a label, or alone in its cell with the label on the next line
        if m.start() > pos:
            out.append(Piece(pos, m.start(), text[pos:m.start()], False))
        out.append(Piece(m.start(), m.end(), text[m.start():m.end()], True))
        pos = m.end()
    if pos < len(text):
        out.append(Piece(pos, len(text), text[pos:], False))
    return [p for p in out if p.is_number or p.text.strip()]


def detect_section(line_text: str) -> int | None:
    """The section number when a line is a 一…六 heading: short, no numbers, the wording up front."""
    text = CHROME_PREFIX_RE.sub("", squash_spaces(line_text))
    enum, rest = split_enumerator(text)
    c = core(rest)
    if not c or len(c) > 26 or re.search(r"\d", rest) or "。" in rest.rstrip("。"):
        return None
    for number, keywords in T.SECTION_KEYWORDS.items():
        for kw in keywords:
            k = core(kw)
            at = c.find(k)
            fuzzy = len(c) >= 4 and lcs(c, k) / len(k) >= 0.85 and len(c) <= len(k) + 6
            if (0 <= at <= 8) or fuzzy:
                if enum and enum in T.CN_NUMERALS and T.CN_NUMERALS.index(enum) + 1 != number and not (
                        number in (5, 6) and enum in "五六"):
                    continue  # "三、本年度办理结果" is a table row, not section 3
                return number
    return None


@dataclass
class _Spans:
    """The spans labelled so far, shared by every reader below: one place trims a span to its
    printed characters, so no reader can emit a span that starts or ends on whitespace."""

    doc: Document
    spans: list[Span] = field(default_factory=list)

    def add(self, seg: int, start: int, end: int, tag: Tag, key: str | None = None, score: float = 1.0) -> None:
        text = self.doc.segments[seg].text
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start or tag is Tag.VALUE:
            self.spans.append(Span(segment=seg, start=start, end=end, tag=tag, key=key, score=score))

    def whole(self, seg: int, tag: Tag, key: str | None = None, score: float = 1.0) -> None:
        self.add(seg, 0, len(self.doc.segments[seg].text), tag, key, score)

    def drop(self, seg: int, tag: Tag) -> None:
        """Take back the spans of one tag on a segment (a line first read as prose, then as more)."""
        self.spans = [s for s in self.spans if not (s.segment == seg and s.tag is tag)]

    def cell_pieces(self, seg: int) -> list[Piece]:
        """`pieces` of a segment, except that a grid cell holding a number with look-alike letters in
        it (`1B`, `2O`: an OCR'd table) is one piece, so the whole misread reaches the reconciler,
        which may read it as 18 / 20 — cut at the letter, `1B` would be a confident, wrong 1."""
        text = self.doc.segments[seg].text
        ps = pieces(text)
        if len(ps) > 1 and any(p.is_number for p in ps) and self.digit_like(seg, Piece(0, len(text), text, False)):
            lead = len(text) - len(text.lstrip())
            return [Piece(lead, len(text.rstrip()), text.strip(), False)]
        return ps

    def digit_like(self, seg: int, p: Piece) -> bool:
        """`O` alone in a cell of an OCR'd table is a zero (see extraction.digitlike)."""
        return reads_lookalikes(self.doc.source_kind, self.doc.segments[seg], p.text) and as_digits(p.text) is not None

    def slash_or_noise(self, seg: int, p: Piece) -> None:
        tag = Tag.VALUE if nfkc(p.text).strip() in SLASH_TOKENS else Tag.NOISE
        self.add(seg, p.start, p.end, tag)


@dataclass
class _Preamble:
    """Before section 一: the title, the organisation and the year it reports on. The same
    organisation/year evidence recurs in section 一's statistics period (`period_year`)."""

    out: _Spans

    def read(self, seg_ids: list[int]) -> None:
        if len(seg_ids) > 1 and self.title_across(seg_ids):
            return
        for i in seg_ids:
            text = self.out.doc.segments[i].text
            norm = heal_phrases(nfkc(text))
            m = LINE_TITLE_RE.search(norm)
            if m:
                before = norm[: m.start()]
                cut = max(before.rfind(ch) for ch in "《，,。:：；;、)）")
                org_start = cut + 1
                org_text = CHROME_PREFIX_RE.sub("", before[org_start:])
                verb = list(re.finditer(r"公布|发布|印发|编制|现将|特向社会|向社会", org_text))
                if verb:
                    org_text = org_text[verb[-1].end():]
                org_start = m.start() - len(org_text)
                long_line = len(core(norm)) > 45
                score = 0.85 if long_line else 0.95
                self.out.add(i, m.start(1), m.end(1), Tag.YEAR, score=score)
                if 2 <= len(core(org_text)) <= 30:
                    self.out.add(i, org_start, m.start(), Tag.ORG, score=score)
                self.out.add(i, m.end(1), m.end(), Tag.TITLE)
                continue
            pub = PUBLISHER_RE.search(norm)
            if pub and ORG_SUFFIX_RE.search(pub.group(1)):
                self.out.add(i, pub.start(1), pub.end(1), Tag.ORG, score=0.6)
                continue
            c = core(heal_phrases(norm, ORG_PHRASES))
            if 3 <= len(c) <= 24 and ORG_SUFFIX_RE.search(c) and not LINE_YEAR_RE.search(norm):
                self.out.add(i, 0, len(text), Tag.ORG, score=0.7)
                continue
            self.out.whole(i, Tag.NARRATIVE)
        self.period_year(seg_ids)

    def title_across(self, seg_ids: list[int], sep: str = " ") -> bool:
        """A title spread over segments: the year set apart by spaces (`2021  年政府信息公开…`), or
        the title wrapped onto a second line (`sep=""`)."""
        texts = [heal_phrases(nfkc(self.out.doc.segments[i].text)) for i in seg_ids]
        if any(LINE_TITLE_RE.search(t) for t in texts):
            return False
        m = LINE_TITLE_RE.search(sep.join(texts))
        if not m:
            return False
        pos = 0
        for i, t in zip(seg_ids, texts):
            lo, hi = max(m.start(1) - pos, 0), min(m.end(1) - pos, len(t))
            if lo < hi:
                org = core(t[:lo])
                if 2 <= len(org) <= 30 and ORG_SUFFIX_RE.search(org):
                    self.out.add(i, 0, lo, Tag.ORG, score=0.9)
                self.out.add(i, lo, hi, Tag.YEAR, score=0.9)
                if hi < len(t):
                    self.out.add(i, hi, len(t), Tag.TITLE)
            elif pos + len(t) <= m.start(1):
                c = core(t)
                self.out.add(i, 0, len(t), Tag.ORG if 2 <= len(c) <= 30 and ORG_SUFFIX_RE.search(c) else Tag.NOISE,
                             score=0.9)
            else:
                self.out.whole(i, Tag.TITLE)
            pos += len(t) + len(sep)
        return True

    def period_year(self, seg_ids: list[int]) -> None:
        """`统计期限为2023年1月1日…`: the year reported on, stated where no title gives it."""
        for i in seg_ids:
            m = LINE_PERIOD_RE.search(nfkc(self.out.doc.segments[i].text))
            if m:
                self.out.drop(i, Tag.NARRATIVE)
                self.out.add(i, m.start(1), m.end(1), Tag.YEAR, score=0.8)


@dataclass
class _Table2:
    """Section 二 (主动公开): row labels (each matched against every table-2 row), column labels and
    the values; an `O` read for 0 and a blank cell count as values only once a row label was seen."""

    out: _Spans
    seen: bool = False  # a row label was read: digit look-alikes and blank cells are values from here

    def read(self, seg_ids: list[int]) -> None:
        for i in seg_ids:
            if not self.out.doc.segments[i].text.strip() and self.seen:
                self.out.add(i, 0, 0, Tag.VALUE)
                continue
            for p in self.out.cell_pieces(i):
                if p.is_number or (self.seen and self.out.digit_like(i, p)):
                    self.out.add(i, p.start, p.end, Tag.VALUE)
                    continue
                c = core(p.text)
                if not c:
                    self.out.slash_or_noise(i, p)
                    continue
                if "第二十条" in c or c == "信息内容" or c.startswith("信息内容"):
                    self.out.add(i, p.start, p.end, Tag.T2_ARTICLE)
                    continue
                key, score = best_full_match(c, T2_ROW_CORES)
                if score >= 0.75:
                    self.out.add(i, p.start, p.end, Tag.T2_ROW, key, score)
                    self.seen = True
                    continue
                key, score = best_full_match(c, T2_COL_CORES)
                if score >= 0.6:
                    self.out.add(i, p.start, p.end, Tag.T2_COL, key, score)
                    continue
                self.out.add(i, p.start, p.end, Tag.NARRATIVE if len(c) > NARRATIVE_MIN else Tag.NOISE)


@dataclass
class _Table3:
    """Section 三 (依申请公开): its rows are matched monotonically against the template (`pointer`
    is the last row read), so a wrapped label's continuation or a garbled fragment cannot jump to
    an unrelated row; a group label (`（三）不予公开`) opens its sub-rows or stands for them."""

    out: _Spans
    pointer: int = -1  # index into T3_ROW_CORES of the last row read; -1 before the first
    done: bool = False  # its last row (结转下年度继续办理) was read: table 4 may follow unannounced
    group_open: str | None = None  # a group label was read and no row of it yet

    @property
    def started(self) -> bool:
        """The rows have begun: column-header words are no longer expected, values are."""
        return self.pointer >= 0

    def read(self, seg_ids: list[int]) -> None:
        # in a grid row, the row's label is its last label cell: the cells before it hold the
        # group labels, also a fragment of a group label split over rows (`（六）` / `其他` / `处理`)
        labels = [i for i in seg_ids if self.out.doc.segments[i].table is not None
                  and len(core(re.sub(r"\d", "", self.out.doc.segments[i].text))) >= 2]
        before_label = set(labels[:-1])
        for i in seg_ids:
            if not self.out.doc.segments[i].text.strip() and self.pointer >= 0:
                self.out.add(i, 0, 0, Tag.VALUE)  # a printed blank cell (HTML / grid sources)
                continue
            for p in self.out.cell_pieces(i):
                started = self.pointer >= 0 or self.group_open
                if p.is_number or (started and self.out.digit_like(i, p)):
                    self.out.add(i, p.start, p.end, Tag.VALUE if started else Tag.NOISE)
                    continue
                if not core(p.text):
                    self.out.slash_or_noise(i, p) if self.pointer >= 0 else self.out.add(i, p.start, p.end, Tag.NOISE)
                    continue
                self.text(i, p, group_only=i in before_label)

    def text(self, seg: int, p: Piece, group_only: bool = False) -> None:
        parts = enumerated_parts(p)
        if len(parts) > 1:  # "三、本年度办理结果 (一)予以公开" on one line: a group label, then a row's
            for part in parts:
                self.text(seg, part, group_only)
            return
        enum, rest = split_enumerator(p.text)
        c = core(rest)
        row = None if group_only else self.match_row(c, enum)
        group = self.match_group(c, enum)
        if row and (not group or row[1] >= group[1]):
            key, score, idx = row
            self.pointer = idx
            self.group_open = None
            self.done = key == "carried_forward"
            self.out.add(seg, p.start, p.end, Tag.T3_ROW, key, min(score, 1.0))
            return
        if group:
            self.group_open = group[0]
            self.out.add(seg, p.start, p.end, Tag.T3_GROUP, group[0], min(group[1], 1.0))
            return
        if self.pointer < 0:
            col = best_col(c)
            if col:
                self.out.add(seg, p.start, p.end, Tag.T3_COL, col)
                return
            if any(core(w) in c for w in T.T3_HEADER_WORDS) or c in ("法人", "或其他组织", "组织"):
                self.out.add(seg, p.start, p.end, Tag.T3_HEADER)
                return
        self.out.add(seg, p.start, p.end, Tag.NARRATIVE if len(c) > NARRATIVE_MIN + 10 else Tag.NOISE)

    def match_row(self, c: str, enum: str) -> tuple[str, float, int] | None:
        """The best row among the next few after `pointer` (a few more once the rows have begun, as
        rows may be missing), each step further costing a little."""
        if not c and not enum:
            return None
        first = self.pointer + 1
        window = 3 if self.pointer < 0 else 6
        best: tuple[str, float, int] | None = None
        for idx in range(first, min(first + window, len(T3_ROW_CORES))):
            key, label, aliases, expected_enum = T3_ROW_CORES[idx]
            score = max(row_score(c, enum, lab, expected_enum) for lab in (label, *aliases))
            score -= 0.04 * (idx - first)
            if score >= 0.7 and (best is None or score > best[1]):
                best = (key, score, idx)
        return best

    def match_group(self, c: str, enum: str) -> tuple[str, float] | None:
        best = None
        for key, label, expected_enum in T3_GROUP_CORES:
            score = row_score(c, enum, label, expected_enum)
            if score >= 0.7 and (best is None or score > best[1]):
                best = (key, score)
        return best


@dataclass
class _Table4:
    """Section 四 (行政复议、行政诉讼): one row of fifteen numbers under two levels of headers. A
    number is a value only on a line of numbers alone: beside words it belongs to a label or prose."""

    out: _Spans
    values: int = 0  # values read so far: while none, a 行政复议/行政诉讼 line after 五 is this table

    def read(self, seg_ids: list[int]) -> None:
        numbers_beside = any(p.is_number for i in seg_ids for p in pieces(self.out.doc.segments[i].text))
        for i in seg_ids:
            text = self.out.doc.segments[i].text
            if not text.strip():
                if numbers_beside:
                    self.out.add(i, 0, 0, Tag.VALUE)  # a printed blank cell among the row's numbers (grids)
                continue
            ps = [p if p.is_number or not self.out.digit_like(i, p) else Piece(p.start, p.end, p.text, True)
                  for p in self.out.cell_pieces(i)]
            residue = "".join(p.text for p in ps if not p.is_number)
            numeric_only = not core(residue) and any(p.is_number for p in ps)
            for p in ps:
                if p.is_number:
                    self.out.add(i, p.start, p.end, Tag.VALUE if numeric_only else Tag.NOISE)
                    if numeric_only:
                        self.values += 1
                    continue
                c = core(p.text)
                if not c:
                    self.out.slash_or_noise(i, p)
                    continue
                self.text(i, p, c)

    def text(self, seg: int, p: Piece, c: str) -> None:
        key, score = best_full_match(c, T4_GROUP_CORES)
        if score >= 0.8:
            self.out.add(seg, p.start, p.end, Tag.T4_GROUP, key, score)
            return
        key, score = best_full_match(c, T4_COL_CORES)
        if score >= 0.75:
            self.out.add(seg, p.start, p.end, Tag.T4_COL, key, score)
            return
        words = re.findall(r"..", c) if len(c) % 2 == 0 else []
        if words and all(w in T4_WORDS for w in words):
            self.out.add(seg, p.start, p.end, Tag.T4_HEADER)
            return
        self.out.add(seg, p.start, p.end, Tag.NARRATIVE if len(c) > NARRATIVE_MIN else Tag.NOISE)


class _Walk:
    """The walk over the document's lines: which section a line is in (headings, and tables whose
    heading was dropped), page numbers and pasted header rows set aside, then the section's reader."""

    def __init__(self, doc: Document):
        self.out = _Spans(doc)
        self.preamble = _Preamble(self.out)
        self.t2 = _Table2(self.out)
        self.t3 = _Table3(self.out)
        self.t4 = _Table4(self.out)
        self.section = 0
        self.prev_text = ""  # the previous line, to tell a heading from prose broken over lines

    def feed(self, seg_ids: list[int]) -> None:
        texts = [self.out.doc.segments[i].text for i in seg_ids]
        line_text = " ".join(texts)
        printed = [t for t in texts if t.strip()]  # a footer row of a grid keeps its empty cells
        if printed and all(PAGE_NUMBER_RE.match(t) for t in printed):
            for i in seg_ids:
                self.out.whole(i, Tag.NOISE)
            return
        if self.section in (2, 3, 4) and self.header_row(printed):
            for i in seg_ids:
                self.out.whole(i, Tag.NOISE)
            return
        continues_prose = bool(re.search(r"\d$", self.prev_text) and re.match(r"\s*[年月日件条个项次人万%]", line_text))
        self.prev_text = line_text.strip()
        number = None if continues_prose else detect_section(line_text)  # "202" / "3" / "年主动公开…" is prose
        if number is not None and not (number == 4 and self.section == 3 and not self.t3.done and "复议" not in line_text):
            self.section = number
            for i in seg_ids:
                self.out.whole(i, Tag.SECTION, str(number))
            return
        self.implicit_section(line_text)
        if self.section == 2:
            self.t2.read(seg_ids)
        elif self.section == 3:
            self.t3.read(seg_ids)
        elif self.section == 4:
            self.t4.read(seg_ids)
        elif self.section == 0:
            self.preamble.read(seg_ids)
        else:
            for i in seg_ids:
                self.out.whole(i, Tag.NARRATIVE)
            if self.section == 1:
                self.preamble.period_year(seg_ids)

    def header_row(self, texts: list[str]) -> bool:
        """A column-header row that names no canonical row: generic names (`数据1…数据6`, `列1…`)
        anywhere in a table, or, once table 3's rows have begun, a header row pasted over them (its
        `其他` / `总计` are column names there, not the rows of that name)."""
        if len(texts) < 3 or any(NUMBER_RE.fullmatch(nfkc(t).strip()) for t in texts):
            return False
        generic = sum(1 for t in texts if GENERIC_HEADER_RE.match(nfkc(t)))
        if generic >= 2 and all(GENERIC_HEADER_RE.match(nfkc(t)) or core(t) in GENERIC_LABEL_WORDS
                                or best_col(core(t)) or best_full_match(core(t), T4_COL_CORES)[1] >= 0.75
                                for t in texts):
            return True
        if self.section != 3 or not self.t3.started:
            return False
        return all(best_col(core(t)) or best_full_match(core(t), T4_COL_CORES)[1] >= 0.75
                   or best_full_match(core(t), T4_GROUP_CORES)[1] >= 0.75
                   or any(core(w) in core(t) for w in (*T.T3_HEADER_WORDS, *T.T4_HEADER_WORDS)) for t in texts)

    def implicit_section(self, line_text: str) -> None:
        """Tables whose heading was dropped still announce themselves by their own wording."""
        c = core(line_text)
        if self.section < 2 and ("第二十条" in c or c.startswith("信息内容本年")) and len(c) < 40:
            self.section = 2
        elif self.section < 3 and ("申请人情况" in c or "本年新收政府信息公开申请" in c) and len(c) < 60:
            self.section = 3
        elif self.section == 3 and self.t3.done and "行政复议" in c and len(c) < 60:
            self.section = 4
        elif self.section in (5, 6) and not self.t4.values and "行政复议" in c and "行政诉讼" in c and len(c) < 60:
            self.section = 4


INNER_ENUMERATOR_RE = re.compile(
    r"[(（]\s*[一二三四五六七八九十]\s*[)）]|[一二三四五六七八九十]\s*、|(?<![\d.．])[1-9]\s*[、.．](?=\s*[\u4e00-\u9fff])")


def enumerated_parts(p: Piece) -> list[Piece]:
    """Cut a text run where a new enumerator starts inside it (labels of two levels on one line)."""
    cuts = [m.start() for m in INNER_ENUMERATOR_RE.finditer(p.text) if p.text[:m.start()].strip()]
    if not cuts:
        return [p]
    bounds = [0, *cuts, len(p.text)]
    return [Piece(p.start + a, p.start + b, p.text[a:b], False) for a, b in zip(bounds, bounds[1:])
            if p.text[a:b].strip()]


def row_score(c: str, enum: str, label: str, expected_enum: str) -> float:
    """Score a fragment as the start of a table-3 row; the enumerator, when printed, is evidence too."""
    enum_bonus = 0.0
    if enum:
        enum_bonus = 0.25 if enum == expected_enum else -0.15
    if not c:
        return 0.0
    precision, matched = prefix_match(c, label)
    need = min(len(label), 3)
    if matched < need:
        if enum_bonus > 0 and precision >= 0.5:
            return precision + enum_bonus
        return 0.0
    coverage = matched / len(label)
    return precision + 0.2 * coverage + enum_bonus - (0.1 if len(c) > len(label) + 4 else 0.0)


def best_full_match(c: str, choices: list[tuple[str, str]]) -> tuple[str | None, float]:
    best, best_score = None, 0.0
    for key, label in choices:
        m = lcs(c, label)
        score = m / max(len(c), len(label))
        if score > best_score:
            best, best_score = key, score
    return best, best_score


def best_col(c: str) -> str | None:
    key, score = best_full_match(c, T3_COL_CORES)
    return key if score >= 0.75 else None


class RuleLabeller:
    """Labels a document from the template's wording; see the module docstring."""

    name = "rules"
    version = "rules-1"

    def label(self, document: Document) -> LabelledDocument:
        walk = _Walk(document)
        lines = list(document.lines())
        skip = False
        for seg_ids, following in zip(lines, lines[1:] + [[]]):
            if skip:
                skip = False
                continue
            if walk.section == 0 and following and walk.preamble.title_across(seg_ids + following, sep=""):
                skip = True  # a title wrapped onto the next line
                continue
            walk.feed(seg_ids)
        spans = sorted(walk.out.spans, key=lambda s: (s.segment, s.start))
        return LabelledDocument(document=document, spans=spans, labeller=self.name)
