"""The printed template of the 2021 format: what each canonical row, column and heading looks like.

Field ids and constraints come from `extraction.fields` (frozen from the shared contract); this
module adds only what the contract lacks and every stage needs — the printed wording of labels
(with the variants seen in the wild), their enumerators and their order. The rule labeller, the
synthetic corpus and the model's label set all read it, so wording is typed exactly once.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from gongkai.extraction import fields as F

SECTION_TITLES = {
    1: "总体情况",
    2: "主动公开政府信息情况",
    3: "收到和处理政府信息公开申请情况",
    4: "政府信息公开行政复议、行政诉讼情况",
    5: "存在的主要问题及改进情况",
    6: "其他需要报告的事项",
}
# Distinctive cores used to recognise a heading even when garbled or abbreviated.
SECTION_KEYWORDS = {
    1: ("总体情况",),
    2: ("主动公开政府信息情况", "主动公开政府信息"),
    3: ("收到和处理政府信息公开申请情况", "收到和处理政府信息公开申请", "处理政府信息公开申请情况"),
    4: ("行政复议、行政诉讼情况", "行政复议行政诉讼情况", "政府信息公开行政复议", "政府信息公开行政复议、行政诉讼情况"),
    5: ("存在的主要问题及改进情况", "主要问题及改进情况", "存在的主要问题"),
    6: ("其他需要报告的事项",),
}
CN_NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True)
class RowTemplate:
    """One printed row: `key` is the contract's row id, `label` its printed wording."""

    key: str
    label: str
    enumerator: str  # as printed before the label: "一", "(一)", "1" …
    group: str | None = None  # the group row it belongs to, for table 3 sub-rows
    aliases: tuple[str, ...] = field(default_factory=tuple)


# ---- table 2 (二、主动公开政府信息情况) ----------------------------------------------------
T2_ROWS: tuple[RowTemplate, ...] = (
    RowTemplate("rules", "规章", ""),
    RowTemplate("normative", "行政规范性文件", ""),
    RowTemplate("licensing", "行政许可", ""),
    RowTemplate("punishment", "行政处罚", ""),
    RowTemplate("coercion", "行政强制", ""),
    RowTemplate("fees", "行政事业性收费", ""),
)
T2_ROW_LABELS = tuple(r.label for r in T2_ROWS)
T2_ROW_FIELDS = {
    "rules": ["t2.rules.issued", "t2.rules.repealed", "t2.rules.in_force"],
    "normative": ["t2.normative.issued", "t2.normative.repealed", "t2.normative.in_force"],
    "licensing": ["t2.licensing.decisions"],
    "punishment": ["t2.punishment.decisions"],
    "coercion": ["t2.coercion.decisions"],
    "fees": ["t2.fees.amount"],
}
T2_COLUMN_LABELS = {
    "issued": "本年制发件数",
    "repealed": "本年废止件数",
    "in_force": "现行有效件数",
    "decisions": "本年处理决定数量",
    "amount": "本年收费金额(单位:万元)",
}
# the four blocks of table 2: the article of 第二十条 each prints as its title, and its rows (T2_ROWS keys);
# a block's header is 信息内容 then the column labels of its rows' fields
T2_BLOCKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("第二十条第(一)项", ("rules", "normative")),
    ("第二十条第(五)项", ("licensing",)),
    ("第二十条第(六)项", ("punishment", "coercion")),
    ("第二十条第(八)项", ("fees",)),
)
T2_ARTICLES = tuple(article for article, _ in T2_BLOCKS)
T2_ANCHORS = ("第二十条", "信息内容")
DECIMAL_FIELDS = frozenset({"t2.fees.amount"})

# ---- table 3 (三、收到和处理政府信息公开申请情况) ---------------------------------------------
T3_GROUPS = {
    "results": RowTemplate("results", "本年度办理结果", "三"),
    "denied": RowTemplate("denied", "不予公开", "(三)", "results"),
    "unable": RowTemplate("unable", "无法提供", "(四)", "results"),
    "not_processed": RowTemplate("not_processed", "不予处理", "(五)", "results"),
    "other": RowTemplate("other", "其他处理", "(六)", "results"),
}
T3_ROW_TEMPLATES: tuple[RowTemplate, ...] = (
    RowTemplate("new_received", "本年新收政府信息公开申请数量", "一"),
    RowTemplate("carried_over", "上年结转政府信息公开申请数量", "二"),
    RowTemplate("granted", "予以公开", "(一)", "results"),
    RowTemplate("partial", "部分公开(区分处理的,只计这一情形,不计其他情形)", "(二)", "results"),
    RowTemplate("denied.state_secret", "属于国家秘密", "1", "denied"),
    RowTemplate("denied.law_forbidden", "其他法律行政法规禁止公开", "2", "denied", ("其他法律行政止公开",)),
    RowTemplate("denied.three_safety", "危及“三安全一稳定”", "3", "denied"),
    RowTemplate("denied.third_party", "保护第三方合法权益", "4", "denied"),
    RowTemplate("denied.internal_affairs", "属于三类内部事务信息", "5", "denied"),
    RowTemplate("denied.process_info", "属于四类过程性信息", "6", "denied"),
    RowTemplate("denied.enforcement_file", "属于行政执法案卷", "7", "denied"),
    RowTemplate("denied.query_item", "属于行政查询事项", "8", "denied"),
    RowTemplate("unable.not_held", "本机关不掌握相关政府信息", "1", "unable"),
    RowTemplate("unable.need_creation", "没有现成信息需要另行制作", "2", "unable"),
    RowTemplate("unable.unclear", "补正后申请内容仍不明确", "3", "unable"),
    RowTemplate("not_processed.petition", "信访举报投诉类申请", "1", "not_processed"),
    RowTemplate("not_processed.duplicate", "重复申请", "2", "not_processed"),
    RowTemplate("not_processed.publication", "要求提供公开出版物", "3", "not_processed"),
    RowTemplate("not_processed.excessive", "无正当理由大量反复申请", "4", "not_processed"),
    RowTemplate("not_processed.confirm", "要求行政机关确认或重新出具已获取信息", "5", "not_processed"),
    RowTemplate("other.overdue_correction",
                "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "1", "other"),
    RowTemplate("other.overdue_fee",
                "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "2", "other"),
    RowTemplate("other.other", "其他", "3", "other"),
    RowTemplate("total", "总计", "(七)", "results"),
    RowTemplate("carried_forward", "结转下年度继续办理", "四"),
)
assert [r.key for r in T3_ROW_TEMPLATES] == list(F.T3_ROWS), "template rows drifted from the contract"
T3_COLUMN_LABELS = {
    "natural_person": "自然人",
    "commercial": "商业企业",
    "research": "科研机构",
    "social": "社会公益组织",
    "legal_service": "法律服务机构",
    "other_org": "其他",
    "total": "总计",
}
T3_HEADER_WORDS = ("申请人情况", "法人或其他组织", "本列数据的勾稽关系为", "第一项加第二项之和",
                   "等于第三项加第四项之和")
T3_COLUMNS = list(F.T3_COLUMNS)


def t3_field(row: str, column: str) -> str:
    return f"t3.{row}.{column}"


def t3_row_fields(row: str) -> list[str]:
    return [t3_field(row, c) for c in T3_COLUMNS]


# ---- table 4 (四、政府信息公开行政复议、行政诉讼情况) -------------------------------------------
T4_GROUP_LABELS = {"review": "行政复议", "litigation_direct": "未经复议直接起诉",
                   "litigation_after_review": "复议后起诉"}
T4_HEADER_WORDS = ("行政诉讼",)
T4_OUTCOME_LABELS = {"upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果",
                     "pending": "尚未审结", "total": "总计"}
T4_FIELDS_IN_ORDER = [f"t4.{g}.{o}" for g in F.T4_GROUPS for o in F.T4_OUTCOMES]

ALL_FIELDS: list[str] = list(F.ALL_FIELDS)
INTEGER_FIELDS = frozenset(f for f in ALL_FIELDS if f not in DECIMAL_FIELDS)
