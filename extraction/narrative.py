"""Figures the report states in its own words, as evidence beside its tables.

Section 一 (总体情况) usually restates the main counts of table 3 and table 4 in prose:
"共收到政府信息公开申请81件", "予以公开22件", "结转下年度继续办理3件", "行政复议2件". They are a second,
independent printing of a few table fields. The reconciler takes each as a soft constraint on its
field (or on the sum of a group's sub-rows), so that where the table itself is ambiguous — a squashed
row with several valid cuttings, an OCR digit the sums cannot settle — the text breaks the tie; where
the table is certain, the text cannot move it, and a figure that contradicts the table is reported as
a finding (`NarrativeFigure.agrees is False`), like a source arithmetic error.

The prose is read from the labeller's NARRATIVE spans before the first table, joined across lines:
crawler exports break a sentence into one span per line ("受理依申请公开信息" / "8" / "件").
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from gongkai.extraction import fields as F
from gongkai.extraction.result import NarrativeFigure, Provenance
from gongkai.extraction.textnorm import nfkc
from gongkai.extraction.labelling import LabelledDocument, Tag


def _totals(group: str) -> tuple[str, ...]:
    return tuple(f"t3.{row}.total" for row in F.T3_ROWS if row.startswith(group + "."))


@dataclass(frozen=True)
class _Pattern:
    key: str
    fields: tuple[str, ...]
    regex: re.Pattern


_GAP = r"[^。；;！!？?\d]{0,%d}?"  # words between the phrase and its number, within one clause
_NUM = r"(\d{1,6})\s*(?:件|条|起|个|宗)"


def _p(key: str, fields: tuple[str, ...], phrase: str, gap: int = 8) -> _Pattern:
    return _Pattern(key, fields, re.compile(phrase + (_GAP % gap) + _NUM))


# Ordered: the first pattern that claims a number wins it (部分公开 before 公开, 上年结转 before 结转).
PATTERNS: tuple[_Pattern, ...] = (
    _p("carried_over", ("t3.carried_over.total",), r"上年(?:度)?结转(?:的)?(?:政府信息公开)?(?:申请)?"),
    _p("carried_forward", ("t3.carried_forward.total",), r"结转(?:至|到)?下(?:一)?年度(?:继续)?(?:办理)?"),
    _p("new_received", ("t3.new_received.total",),
       r"(?:共|累计|新)?(?:收到|新收|接收|受理)(?:各类)?(?:政府信息公开|依申请公开)(?:信息)?(?:申请)?", 4),
    _p("partial", ("t3.partial.total",), r"部分公开", 3),
    _p("granted", ("t3.granted.total",), r"予以公开", 3),  # not 同意公开: often a sub-count beside 已主动公开
    _p("denied", _totals("denied"), r"不予公开", 3),
    _p("unable", _totals("unable"), r"无法提供", 3),
    _p("not_processed", _totals("not_processed"), r"不予处理", 3),
    _p("normative_in_force", ("t2.normative.in_force",), r"现行有效(?:的)?(?:行政)?规范性文件", 4),
    _p("normative_issued", ("t2.normative.issued",),
       r"(?:本年(?:度)?|新)(?:制发|公布|出台|制定|印发)(?:的)?(?:行政)?(?:规范性文件)?", 4),
    _p("normative_repealed", ("t2.normative.repealed",), r"(?:废止(?:、失效)?|失效)(?:的)?(?:行政)?(?:规范性文件)?", 4),
    _p("review", ("t4.review.total",), r"(?:被申请|提起|收到|发生)?行政复议(?:案件|申请)?", 3),
    _p("litigation", ("t4.litigation_direct.total", "t4.litigation_after_review.total"),
       r"(?:被提起|提起|发生)?行政诉讼(?:案件)?", 3),
)


def narrative_figures(labelled: LabelledDocument) -> list[NarrativeFigure]:
    """The table figures stated in the prose before the first table, each claimed once."""
    text, where = _prose(labelled)
    if not text:
        return []
    norm = nfkc(text)
    if len(norm) != len(text):  # a character NFKC expands: keep offsets true, match the text as printed
        norm = text
    taken: list[tuple[int, int]] = []
    out: list[NarrativeFigure] = []
    seen_keys: set[str] = set()
    for pat in PATTERNS:
        for m in pat.regex.finditer(norm):
            lo, hi = m.span(1)
            if pat.key in seen_keys:  # a report states each figure once; later mentions are sub-counts
                break
            if any(a < hi and lo < b for a, b in taken) or _negated(norm, m.start()):
                continue
            taken.append((lo, hi))
            seen_keys.add(pat.key)
            page, line, start = where[lo]
            out.append(NarrativeFigure(
                key=pat.key, fields=list(pat.fields), value=int(m.group(1)), phrase=norm[m.start():m.end()],
                provenance=Provenance(page=page, line=line, span=None if start is None else (start, start + hi - lo))))
    return out


def _negated(text: str, at: int) -> bool:
    """"未发生…行政复议" / "无…" right before the phrase: the number that follows is something else."""
    return bool(re.search(r"(?:未|无|没有)[^。；;，,]{0,6}$", text[max(0, at - 8):at]))


def _prose(labelled: LabelledDocument) -> tuple[str, list[tuple[int | None, int | None, int | None]]]:
    """The NARRATIVE text before the first table section, and for each character its (page, line,
    source offset)."""
    doc = labelled.document
    parts: list[str] = []
    where: list[tuple[int | None, int | None, int | None]] = []
    for span in labelled.spans:
        if span.tag is Tag.SECTION and span.key in ("2", "3", "4"):
            break
        if span.tag is not Tag.NARRATIVE:
            continue
        seg = doc.segments[span.segment]
        chunk = seg.text[span.start:span.end]
        base = seg.span[0] + span.start if seg.span else None
        parts.append(chunk)
        where += [(seg.page, seg.line, None if base is None else base + i) for i in range(len(chunk))]
    return "".join(parts), where
