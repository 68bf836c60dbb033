"""Human labels of the canonical fields and the three tables as the standard format prints them."""
from __future__ import annotations

from gongkai.extraction.fields import ALL_FIELDS, T2_FIELDS, T3_COLUMNS, T3_ROWS, T4_GROUPS, T4_OUTCOMES

__all__ = ["field_label", "TABLE2", "TABLE3_ROWS", "TABLE3_COLUMNS", "TABLE4_GROUPS", "TABLE4_OUTCOMES"]


def field_label(fid: str) -> str:
    if fid in T2_FIELDS:
        return T2_FIELDS[fid]
    table, rest = fid.split(".", 1)
    head, _, tail = rest.rpartition(".")
    if table == "t3":
        return f"{T3_ROWS.get(head, head)} / {T3_COLUMNS.get(tail, tail)}"
    if table == "t4":
        return f"{T4_GROUPS.get(head, head)} / {T4_OUTCOMES.get(tail, tail)}"
    return fid


# Table 2 (主动公开政府信息情况) prints four blocks, each a header row and one or two value rows.
TABLE2 = [
    ("第二十条第（一）项", ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
     [("规章", ["t2.rules.issued", "t2.rules.repealed", "t2.rules.in_force"]),
      ("行政规范性文件", ["t2.normative.issued", "t2.normative.repealed", "t2.normative.in_force"])]),
    ("第二十条第（五）项", ["信息内容", "本年处理决定数量"], [("行政许可", ["t2.licensing.decisions"])]),
    ("第二十条第（六）项", ["信息内容", "本年处理决定数量"],
     [("行政处罚", ["t2.punishment.decisions"]), ("行政强制", ["t2.coercion.decisions"])]),
    ("第二十条第（八）项", ["信息内容", "本年收费金额（单位：万元）"], [("行政事业性收费", ["t2.fees.amount"])]),
]
TABLE3_COLUMNS = list(T3_COLUMNS)
TABLE3_ROWS = [(row, T3_ROWS[row]) for row in T3_ROWS]
TABLE4_GROUPS = list(T4_GROUPS.items())
TABLE4_OUTCOMES = list(T4_OUTCOMES.items())

assert {f for _, _, rows in TABLE2 for _, fs in rows for f in fs} == set(T2_FIELDS)
assert len(ALL_FIELDS) == len(T2_FIELDS) + len(T3_ROWS) * len(T3_COLUMNS) + len(T4_GROUPS) * len(T4_OUTCOMES)
