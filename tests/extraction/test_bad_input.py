"""Bad input gets a clear error; partial reports get `missing`, never zeros."""
from __future__ import annotations

import subprocess
import sys

import pytest

from gongkai.extraction.pipeline import ExtractionError

from gongkai.models.registry import extract
from tests.conftest import SEEDS, need_shared

OLD_FORMAT = """某某县人民政府2018年政府信息公开工作年度报告
一、概述
二、主动公开政府信息情况
本年度主动公开政府信息 120 条。
三、依申请公开政府信息情况
本年度共收到申请公开政府信息 12 件，同意公开 10 件，不同意公开 2 件。
四、政府信息公开的收费及减免情况
五、因政府信息公开申请行政复议、提起行政诉讼的情况
"""


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"   \n\n", "empty"),
    (bytes(range(256)) * 20, "binary"),
    ("今天天气很好，我们去公园散步。\n".encode() * 5, "not a 政府信息公开工作年度报告"),
    (OLD_FORMAT.encode(), "older-format"),
])
def test_inputs_that_are_not_reports_are_refused_with_a_reason(data, message):
    with pytest.raises(ExtractionError, match=message):
        extract(data, "input.txt")


def test_gbk_text_is_decoded():
    need_shared()
    text = (SEEDS / "002_772a363d23301ca9.txt").read_text(encoding="utf-8")
    result = extract(text.encode("gb18030"), "gbk.txt")
    assert result.meta.org == "二七区住房和城乡建设局"


def test_truncated_report_keeps_what_it_has_and_marks_the_rest_missing():
    need_shared()
    text = (SEEDS / "002_772a363d23301ca9.txt").read_text(encoding="utf-8")
    truncated = text[: text.index("四、政府信息公开行政复议")]
    result = extract(truncated.encode(), "cut.txt")
    t4 = [result.fields[f] for f in result.fields if f.startswith("t4.")]
    assert all(f.status.value == "missing" and f.value is None for f in t4)
    assert result.fields["t3.total.total"].value == 80
    assert any("table 4 not found" in w for w in result.warnings)


def test_cli_exits_non_zero_with_a_message(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("购物清单：苹果 3 个，香蕉 5 根。\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "gongkai", "extract", str(bad), "--json"],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "gongkai:" in proc.stderr and "not a" in proc.stderr
    missing = subprocess.run([sys.executable, "-m", "gongkai", "extract", str(tmp_path / "nope.pdf")],
                             capture_output=True, text=True)
    assert missing.returncode != 0 and "no such file" in missing.stderr
