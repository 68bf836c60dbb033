"""A whole report as agencies publish it in HTML — rowspan/colspan tables inside page chrome."""
from __future__ import annotations

from gongkai.extraction import template as T
from gongkai.models.registry import extract
from tests.conftest import SEEDS, gold_for, need_shared


def _cells(values) -> str:
    return "".join(f"<td><p><span>{v}</span></p></td>" for v in values)


def render_report(gold: dict) -> str:
    """The 2021 template's tables with the rowspan/colspan structure of Word-exported pages."""
    g = gold["fields"]
    t2 = "".join(
        f"<tr><td>{row.label}</td>{_cells(g[f] for f in T.T2_ROW_FIELDS[row.key])}</tr>" for row in T.T2_ROWS)
    group_span = {"results": 22, "denied": 8, "unable": 3, "not_processed": 5, "other": 3}
    rows, opened = [], set()
    for r in T.T3_ROW_TEMPLATES:
        lead = ""
        if r.group == "results" or (r.group in group_span and "results" not in opened):
            if "results" not in opened and r.key not in ("total",):
                lead += f'<td rowspan="{group_span["results"]}">三、本年度办理结果</td>'
                opened.add("results")
        if r.group in ("denied", "unable", "not_processed", "other") and r.group not in opened:
            lead += f'<td rowspan="{group_span[r.group]}">{T.T3_GROUPS[r.group].enumerator}{T.T3_GROUPS[r.group].label}</td>'
            opened.add(r.group)
        enum = f"{r.enumerator}." if r.enumerator.isdigit() else (
            r.enumerator if r.enumerator.startswith("(") else f"{r.enumerator}、")
        colspan = ' colspan="3"' if r.group is None else (' colspan="2"' if r.group == "results" else "")
        label = f"<td{colspan}>{enum}{r.label}</td>"
        rows.append(f"<tr>{lead}{label}{_cells(g[T.t3_field(r.key, c)] for c in T.T3_COLUMNS)}</tr>")
    t4 = _cells(g[f] for f in T.T4_FIELDS_IN_ORDER)
    return f"""<div class="crumbs">首页 &gt; 政务公开 &gt; 年度报告</div><style>td{{border:1px solid}}</style>
<div class="article"><div><h1>{gold['meta']['org']}{gold['meta']['year']}年政府信息公开工作年度报告</h1>
<p>一、总体情况</p><p>本年度共办理依申请公开 {g['t3.new_received.total']} 件，电话：0371-12345678。</p>
<p>二、主动公开政府信息情况</p>
<table><tr><td colspan="4">第二十条第（一）项</td></tr>
<tr><td>信息内容</td><td>本年制发件数</td><td>本年废止件数</td><td>现行有效件数</td></tr>{t2}</table>
<p>三、收到和处理政府信息公开申请情况</p>
<table><tr><td colspan="3" rowspan="3">（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td>
<td colspan="7">申请人情况</td></tr>
<tr><td rowspan="2">自然人</td><td colspan="5">法人或其他组织</td><td rowspan="2">总计</td></tr>
<tr><td>商业企业</td><td>科研机构</td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td></tr>
{''.join(rows)}</table>
<p>四、政府信息公开行政复议、行政诉讼情况</p>
<table><tr><td colspan="5">行政复议</td><td colspan="10">行政诉讼</td></tr>
<tr><td rowspan="2">结果维持</td><td rowspan="2">结果纠正</td><td rowspan="2">其他结果</td><td rowspan="2">尚未审结</td>
<td rowspan="2">总计</td><td colspan="5">未经复议直接起诉</td><td colspan="5">复议后起诉</td></tr>
<tr>{''.join(f'<td>{w}</td>' for w in ['结果维持', '结果纠正', '其他结果', '尚未审结', '总计'] * 2)}</tr>
<tr>{t4}</tr></table>
<p>五、存在的主要问题及改进情况</p><p>2025年将继续加强。</p><p>六、其他需要报告的事项</p><p>无。</p></div></div>"""


def test_html_report_with_rowspan_colspan_tables_is_extracted_exactly():
    need_shared()
    for path in sorted(SEEDS.glob("*.txt")):
        gold = gold_for(path)
        html = render_report(gold)
        for encoding in ("utf-8", "gb18030"):
            result = extract(html.encode(encoding), "report.html")
            assert result.meta.source_kind.value == "html"
            wrong = {k: v for k, v in gold["fields"].items() if result.fields[k].value != v}
            assert wrong == {}, path.name
            assert (result.meta.org, result.meta.year) == (gold["meta"]["org"], gold["meta"]["year"])
