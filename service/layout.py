"""Human labels of the canonical fields and the three tables as the standard format prints them."""
from __future__ import annotations

from gongkai.extraction.fields import ALL_FIELDS, T2_FIELDS, T3_COLUMNS, T3_ROWS, T4_GROUPS, T4_OUTCOMES
from gongkai.extraction.template import T2_ANCHORS, T2_BLOCKS, T2_COLUMN_LABELS, T2_ROW_FIELDS, T2_ROWS

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


# The template holds its wording as the text is matched (NFKC: ASCII brackets and colon); the standard
# format prints them full-width, and so does the review page.
PRINTED = str.maketrans({"(": "（", ")": "）", ":": "："})


def printed(wording: str) -> str:
    return wording.translate(PRINTED)


def _table2() -> list[tuple[str, list[str], list[tuple[str, list[str]]]]]:
    """Table 2 (主动公开政府信息情况) as the template has it: four blocks, each a title (the article),
    a header row (信息内容, the columns) and one or two value rows (label, field ids)."""
    labels = {r.key: r.label for r in T2_ROWS}
    blocks = []
    for article, rows in T2_BLOCKS:
        columns = [f.rsplit(".", 1)[1] for f in T2_ROW_FIELDS[rows[0]]]
        header = [T2_ANCHORS[1], *(printed(T2_COLUMN_LABELS[c]) for c in columns)]
        blocks.append((printed(article), header, [(labels[r], list(T2_ROW_FIELDS[r])) for r in rows]))
    return blocks


TABLE2 = _table2()
TABLE3_COLUMNS = list(T3_COLUMNS)
TABLE3_ROWS = [(row, T3_ROWS[row]) for row in T3_ROWS]
TABLE4_GROUPS = list(T4_GROUPS.items())
TABLE4_OUTCOMES = list(T4_OUTCOMES.items())

assert {f for _, _, rows in TABLE2 for _, fs in rows for f in fs} == set(T2_FIELDS)
assert len(ALL_FIELDS) == len(T2_FIELDS) + len(T3_ROWS) * len(T3_COLUMNS) + len(T4_GROUPS) * len(T4_OUTCOMES)
