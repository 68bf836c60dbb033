"""How a report names itself and its period: the title and statistics-period patterns, in one place.

Two readers look for the same wording: the rule labeller (`models.rules`) tags the title, the
organisation and the year on the lines as printed, and the metadata reader (`extraction.meta`) weighs
the organisation and year from the title, the opening sentence and the statistics period. They used
to write their own patterns; now both take them from here, built from one vocabulary (the year, the
words naming the disclosure work, the words introducing the statistics period), so a new way of
printing the title is taught to both at once. (`models/` may import `extraction/`, not the reverse,
hence this home.)

The two readers still see different text, so each has its variant of a pattern:
- the labeller's (`LINE_…`) run on one line as printed (NFKC only): spaces may sit between the
  characters of a word (`政 府 信 息 公 开`), a title may wrap before 报告, and group 1 is the year;
- the metadata reader's run on text without spaces and have named groups (`year`, `mid`, `org`).
The variants differ also in what they accept (the labeller's are narrower: no bare 信息公开, no 年报,
a period only with its start date); that is how the two readers behaved before they shared a home.
"""
from __future__ import annotations

import re

__all__ = ["YEAR", "DISCLOSURE_WORDS", "LINE_YEAR_RE", "LINE_TITLE_RE", "LINE_PERIOD_RE", "TITLE_RE",
           "UNDATED_TITLE_RE", "PERIOD_RE", "SPAN_RE"]

YEAR = r"(?:19|20)\d{2}"  # a year a report can be about, as four digits
DISCLOSURE_WORDS = ("政府信息公开", "政务公开")  # what the report reports on: "…政府信息公开工作年度报告"
PERIOD_WORDS = ("期限", "时限", "时间", "区间", "周期", "期间", "范围")  # 统计期限, 统计时限, …: the period
LINE_PERIOD_WORDS = PERIOD_WORDS[:2]  # the labeller's: 统计期限, 统计时限 only


def _spaced(word: str) -> str:
    """`word` with any whitespace between its characters (a line as printed: `政 府 信 息 公 开`)."""
    return r"\s*".join(word)


def _any(words) -> str:
    return "|".join(words)


# ---- the rule labeller's: one line as printed ---------------------------------------------------
LINE_YEAR_RE = re.compile(rf"({YEAR})\s*年")
LINE_TITLE_RE = re.compile(rf"({YEAR})\s*年\s*度?\s*(?:[^\s，。,]{{0,12}}?)\s*"
                           rf"(?:{_any(_spaced(w) for w in DISCLOSURE_WORDS)})"
                           r"[^。]*?(?:年\s*度?\s*报\s*告|工\s*作\s*年\s*度\s*$)")  # or wrapped before 报告
LINE_PERIOD_RE = re.compile(rf"(?:{_any('统计' + w for w in LINE_PERIOD_WORDS)}|数据统计)[^。]{{0,12}}?"
                            rf"({YEAR})\s*年\s*1\s*月\s*1\s*日")

# ---- the metadata reader's: text without spaces, named groups -----------------------------------
TITLE_RE = re.compile(rf"(?P<year>{YEAR})年(?:度)?(?P<mid>[^，。；：:,;《》]{{0,30}}?)"
                      rf"(?:{_any(DISCLOSURE_WORDS)}|信息公开)(?:工作)?(?:年度)?(?:报告|年报)")
UNDATED_TITLE_RE = re.compile(rf"(?P<org>[^，。；：:,;《》]{{2,40}}?)(?:{_any(DISCLOSURE_WORDS)})(?:工作)?(?:年度)?报告")
# "统计期限自2023年1月1日…", "统计期限为2023年度"; or the period alone: "2023年1月1日至12月31日"
PERIOD_RE = re.compile(rf"(?:统计(?:{_any(PERIOD_WORDS)})|数据统计)[^。；]{{0,10}}?(?P<year>{YEAR})年"
                       r"(?:度|(?:0?1|一)月)")
SPAN_RE = re.compile(rf"(?P<year>{YEAR})年(?:0?1|一)月(?:0?1|一)日起?(?:至|到|—|-|~)(?:(?P=year)年)?12月31日")
