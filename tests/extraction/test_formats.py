"""Older templates (2008–2018 统计表, 2019/2020 table 2) are recognised and refused with a reason —
never mapped onto the 2021 fields; 2021 reports are not refused."""
from __future__ import annotations

import subprocess
import sys

import pytest

from gongkai.extraction.formats import detect_template, older_format_reason
from gongkai.extraction.ingest import read_document
from gongkai.extraction.pipeline import ExtractionError
from gongkai.models.registry import extract
from tests.conftest import REAL, need_shared, seed_files

T3_2019 = """三、收到和处理政府信息公开申请情况
（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）	申请人情况
	自然人	法人或其他组织	总计
		商业企业	科研机构	社会公益组织	法律服务机构	其他
一、本年新收政府信息公开申请数量	8	1	0	0	0	0	9
二、上年结转政府信息公开申请数量	0	0	0	0	0	0	0
三、本年度办理结果
（一）予以公开	5	1	0	0	0	0	6
（七）总计	8	1	0	0	0	0	9
四、结转下年度继续办理	0	0	0	0	0	0	0
"""

TEMPLATE_2019 = """某某市某某局2020年政府信息公开工作年度报告
一、总体情况
本年度，我局认真贯彻落实新修订的《中华人民共和国政府信息公开条例》。
二、主动公开政府信息情况
第二十条第（一）项
信息内容	本年新制作数量	本年新公开数量	对外公开总数量
规章	0	0	0
规范性文件	3	3	25
第二十条第（五）项
信息内容	上一年项目数量	本年增/减	处理决定数量
行政许可	12	0	340
其他对外管理服务事项	0	0	0
第二十条第（六）项
信息内容	上一年项目数量	本年增/减	处理决定数量
行政处罚	5	0	21
行政强制	0	0	0
第二十条第（八）项
信息内容	上一年项目数量	本年增/减
行政事业性收费	2	0
第二十条第（九）项
信息内容	采购项目数量	采购总金额
政府集中采购	4	56.3
""" + T3_2019

# the same report as a crawler export that lost table 2's heading rows: only the 第二十条 items remain
TEMPLATE_2019_NO_HEADINGS = "\n".join(
    line for line in TEMPLATE_2019.splitlines() if not line.startswith("信息内容")) + "\n"

TEMPLATE_2008 = """某某县人民政府办公室2015年政府信息公开工作年度报告
一、概述
二、主动公开政府信息情况
三、依申请公开政府信息情况
附表：政府信息公开情况统计表
统计指标	单位	统计数
一、主动公开情况
（一）主动公开政府信息数（不同渠道和方式公开相同信息计1条）	条	560
其中：主动公开规范性文件数	条	12
制发规范性文件总数	件	12
三、依申请公开情况
（一）收到申请数	件	15
1.当面申请数	件	3
2.传真申请数	件	0
3.网络申请数	件	10
4.信函申请数	件	2
（二）申请办结数	件	15
1.按时办结数	件	15
2.延期办结数	件	0
（三）申请答复数	件	15
1.属于已主动公开范围数	件	4
2.同意公开答复数	件	6
3.同意部分公开答复数	件	1
4.不同意公开答复数	件	2
四、行政复议数量	件	0
五、行政诉讼数量	件	0
"""


@pytest.mark.parametrize("text, template, words", [
    (TEMPLATE_2019, "2019", "2019/2020"),
    (TEMPLATE_2019_NO_HEADINGS, "2019", "2019/2020"),
    (TEMPLATE_2008, "2008", "2008–2018"),
])
def test_older_templates_are_refused_by_the_pipeline(text, template, words):
    assert detect_template(text).name == template
    with pytest.raises(ExtractionError) as err:
        extract(text.encode(), "old.txt", labeller="rules")
    assert "older-format" in str(err.value) and words in str(err.value)


def test_the_cli_exits_non_zero_with_the_reason(tmp_path):
    src = tmp_path / "report_2020.txt"
    src.write_text(TEMPLATE_2019, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "gongkai", "extract", str(src), "--labeller", "rules"],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "older-format" in proc.stderr and "本年新制作数量" in proc.stderr


def test_spacing_from_ocr_or_crawlers_does_not_hide_the_template():
    spaced = TEMPLATE_2019.replace("本年新制作数量", "本 年 新 制 作 数 量").replace("（", "(").replace("）", ")")
    assert older_format_reason(spaced) is not None


def test_2021_reports_are_not_refused():
    need_shared()
    files = seed_files() + sorted(REAL.glob("*.crawler.txt")) + sorted(REAL.glob("*.html"))
    assert files
    for path in files:
        doc = read_document(path.read_bytes(), path.name)
        assert detect_template("".join(s.text for s in doc.segments)).name == "2021", path.name
