"""Text normalisation and fuzzy matching shared by the labeller, the assembler and the synth checks.

Reports mix full- and half-width punctuation, stray spaces inside words (`总 计`, `年 度报告`) and
OCR swaps (`总记`, `本年理结果`); everything that compares label text goes through here.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz.distance import LCSseq

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_KEEP_FOR_MATCH = re.compile(rf"[^{_CJK}A-Za-z0-9]")

NUMBER_RE = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\d])")
SLASH_TOKENS = frozenset({"/", "-", "—", "－", "／", "——", "--", "\\", "、"})
# "— 1 —" (its dashes also read as 一), "第1页共3页", "1/3" — and a footer whose one dash OCR lost
# ("-1", "1—"; no space: "- 1" may be two cells)
PAGE_NUMBER_RE = re.compile(r"^\s*(?:[-—–－一]\s*\d{1,3}\s*[-—–－一]|[-—–－]\d{1,3}|\d{1,3}[-—–－]|第\s*\d{1,3}\s*页(?:\s*共\s*\d+\s*页)?"
                            r"|\d{1,3}\s*/\s*\d{1,3})\s*$")
ENUMERATOR_RE = re.compile(
    r"^\s*(?:[(（]\s*([一二三四五六七八九十])\s*[)）]|([一二三四五六七八九十])\s*[、.．,，]|(\d{1,2})\s*[、.．,，](?!\d))\s*"
)


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def squash_spaces(text: str) -> str:
    """NFKC, then remove whitespace between CJK characters and collapse the rest."""
    text = _SPACE_BETWEEN_CJK.sub("", nfkc(text))
    return re.sub(r"\s+", " ", text).strip()


def core(text: str) -> str:
    """The characters that identify a label: CJK, letters and digits only."""
    return _KEEP_FOR_MATCH.sub("", nfkc(text))


def split_enumerator(text: str) -> tuple[str, str]:
    """('(三)', rest) for '（三）不予公开'; ('3', rest) for '3.其他'; ('', text) when there is none."""
    m = ENUMERATOR_RE.match(nfkc(text))
    if not m:
        return "", text
    bracketed, plain, digit = m.groups()
    enum = f"({bracketed})" if bracketed else (plain or digit)
    return enum, nfkc(text)[m.end():]


def lcs(a: str, b: str) -> int:
    """Length of the longest common subsequence (rapidfuzz's bit-parallel C++: a pure-Python table
    cost ≈ 25 µs a pair, tens of ms of every new report's labelling)."""
    return LCSseq.similarity(a, b)


def prefix_match(fragment: str, label: str) -> tuple[float, int]:
    """How well `fragment` reads as the beginning of `label` (both already `core`d).

    Returns (precision, matched): the share of the fragment's characters found, in order, in the
    label's opening, and how many matched. A wrapped label's first line scores high; its
    continuation lines do not, because they match the label's middle, not its start.
    """
    if not fragment or not label:
        return 0.0, 0
    window = label[: len(fragment) + 2]
    m = lcs(fragment, window)
    return m / len(fragment), m


# a squashed row (its cells' digits glued together) is parsed whole and split later: tens of digits. A run
# past this is no report's number — and int() of 4300+ digits raises
MAX_NUMBER_CHARS = 1000


def parse_number(token: str) -> int | float | None:
    t = nfkc(token).strip().replace(",", "")
    if len(t) > MAX_NUMBER_CHARS:
        return None
    if re.fullmatch(r"\d+", t):
        return int(t)
    if re.fullmatch(r"\d+\.\d+", t):
        return float(t)
    return None


TITLE_PHRASES = ("年政府信息公开", "政府信息公开", "年度政府信息", "政务公开", "工作年度报告", "年度报告")
ORG_PHRASES = ("人民政府办公室", "人民政府", "政府办公室", "管理委员会", "街道办事处", "人力资源和社会保障")


def heal_phrases(text: str, phrases: tuple[str, ...] = TITLE_PHRASES) -> str:
    """Restore fixed phrases that OCR misread by one character (`玫府信息公开` → `政府信息公开`).

    Same length in, same length out, so offsets into `text` stay valid. Only phrases of four or more
    characters are healed, and only where all but one character match in place. Left to right,
    each window seeing the heals before it; only windows that match the phrase's first or second
    character in place are compared (one off the phrase, a window matches at least one of them).
    """
    for phrase in phrases:
        n = len(phrase)
        if n < 4:
            continue
        starts = _window_starts(phrase)
        i = 0
        while (m := starts.search(text, i)) is not None and (j := m.start()) <= len(text) - n:
            if sum(a != b for a, b in zip(text[j:j + n], phrase)) == 1:
                text = text[:j] + phrase + text[j + n:]
            i = j + 1
    return text


@lru_cache(maxsize=64)
def _window_starts(phrase: str) -> re.Pattern[str]:
    return re.compile(f"(?={re.escape(phrase[0])}|.{re.escape(phrase[1])})", re.S)
