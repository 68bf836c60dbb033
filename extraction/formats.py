"""Which template a report was printed in — and the refusal of the older ones.

Only the 2021 template (国办公开办函〔2021〕30号, used from the 2021 reports on) maps onto the 200
canonical fields. Two older templates look alike at a glance and would be mapped onto the wrong
fields, so they are recognised and refused with the reason, never extracted:

- 2019/2020 (国办公开办函〔2019〕60号): table 2's 第二十条 items have the columns
  本年新制作数量 / 本年新公开数量 / 对外公开总数量 (or 上一年项目数量 / 本年增/减 / 处理决定数量),
  not 本年制发件数 / 本年废止件数 / 现行有效件数; it also prints 第二十条第（九）项 (政府集中采购).
- 2008–2018 (条例 of 2007): one 政府信息公开情况统计表 with rows such as 主动公开政府信息数,
  收到申请数 / 当面申请数, 申请办结数, 同意公开答复数 / 不同意公开答复数 — no table 3 by applicant kind.

The markers are table wording, compared without spaces and with full-width brackets folded (NFKC),
so OCR and crawler spacing do not hide them. Prose alone never refuses a report: the 2019/2020
markers are column headings that 2021 reports do not print, and a report that prints the 2021
table-2 headings is taken as 2021 whatever else it quotes.
"""
from __future__ import annotations

from dataclasses import dataclass

from gongkai.extraction.template import T2_COLUMN_LABELS
from gongkai.extraction.textnorm import core

__all__ = ["Template", "detect_template", "older_format_reason", "older_layout_reason"]

# column headings that only the 2019/2020 table 2 prints
T2_2019_HEADINGS = ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "采购总金额")
T2_2019_ARTICLE = "第二十条第(九)项"
# the 2008–2018 统计表's row wording
STATS_2008_ROWS = ("政府信息公开情况统计表", "主动公开政府信息数", "收到申请数", "当面申请数", "申请办结数",
                   "按时办结数", "同意公开答复数", "不同意公开答复数", "属于已主动公开范围数", "信息不存在数")
# the 2021 template's own wording
T2_2021_HEADINGS = tuple(core(T2_COLUMN_LABELS[k]) for k in ("issued", "repealed", "in_force", "decisions"))
T3_2021_ANCHOR = core("本年新收政府信息公开申请数量")
ARTICLE_20 = core("第二十条")


@dataclass(frozen=True)
class Template:
    name: str  # "2021", "2019", "2008" or "unknown"
    evidence: tuple[str, ...]  # the printed wording it was recognised by

    @property
    def older(self) -> bool:
        return self.name in ("2019", "2008")


def detect_template(text: str) -> Template:
    """The template of a report from its text (all of it, or at least its tables)."""
    flat = core(text)
    t2_2021 = tuple(h for h in T2_2021_HEADINGS if h in flat)
    if len(t2_2021) >= 2:  # one heading may be misread (OCR) or garbled; two are the 2021 table 2
        return Template("2021", t2_2021)
    old_t2 = tuple(h for h in T2_2019_HEADINGS if core(h) in flat)
    if core(T2_2019_ARTICLE) in flat:
        old_t2 += (T2_2019_ARTICLE,)
    if len(old_t2) >= 2 or (old_t2 and ARTICLE_20 in flat):
        return Template("2019", old_t2)
    stats = tuple(r for r in STATS_2008_ROWS if core(r) in flat)
    if len(stats) >= 3 and T3_2021_ANCHOR not in flat:
        return Template("2008", stats)
    if ARTICLE_20 in flat and not t2_2021:
        return Template("2019", ("第二十条 items without 本年制发件数",))
    return Template("2021" if (t2_2021 or T3_2021_ANCHOR in flat) else "unknown", t2_2021)


def older_format_reason(text: str) -> str | None:
    """The refusal message for a report in an older template, or None."""
    t = detect_template(text)
    if t.name == "2019":
        return ("an older-format report (the 2019/2020 template, 国办公开办函〔2019〕60号): its table 2 has the "
                f"columns {' / '.join(t.evidence[:3])}, which do not map onto the 2021 fields; not extracted")
    if t.name == "2008":
        return ("an older-format report (the 2008–2018 template, 政府信息公开情况统计表): rows such as "
                f"{' / '.join(t.evidence[:3])} do not map onto the 2021 fields; not extracted")
    return None


def older_layout_reason(text: str, tables: set[str]) -> str | None:
    """After assembly: a report whose 2021 tables could not be read but whose wording is that of an
    older template's (its 主动公开 articles 第九条/第十条, or 依申请 rows without 本年新收…)."""
    if not tables and "主动公开" in text and ("第九条" in text or "第十条" in text
                                              or "政府信息公开申请情况" not in text):
        return "an older-format report (pre-2021 template): its tables cannot be mapped onto the 2021 fields"
    if "t3" not in tables and ("申请公开政府信息" in text or "不同意公开" in text) and "本年新收" not in text:
        return "an older-format report (pre-2021 template): table 3 uses the pre-2021 rows"
    return None
