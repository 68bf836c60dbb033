"""Page chrome around a report as web pages and crawlers print it: breadcrumbs, 索引号 blocks,
字号/打印 widgets, share bars and footers. Everything here is labelled NOISE."""
from __future__ import annotations

import random

from gongkai.training.synth.content import ReportContent

__all__ = ["header_lines", "footer_lines", "crawler_header", "title_text"]


def title_text(c: ReportContent, rng: random.Random) -> tuple[str, str, str]:
    """(org, year, rest) of the report title, e.g. ("淮安市人民政府", "2024", "年政府信息公开工作年度报告")."""
    rest = rng.choice(("年政府信息公开工作年度报告", "年政府信息公开工作年度报告", "年度政府信息公开工作年度报告"))
    return c.org.name, str(c.year), rest


def header_lines(c: ReportContent, rng: random.Random) -> list[str]:
    site = f"{c.org.city}人民政府" if rng.random() < 0.5 else c.org.name
    crumbs = rng.choice((" > ", " / ", " ", "  >  ", "»"))
    path = ["首页", "政务公开", "政府信息公开", rng.choice(("政府信息公开年报", "政府信息公开年度报告", "年度报告"))]
    lines = [rng.choice((f"{site}门户网站", site, "无障碍 | 长者模式 | 繁體 | 登录")), crumbs.join(path)]
    if rng.random() < 0.7:
        lines.append(f"索引号: {c.index_no}  文号: 〔〕号" if rng.random() < 0.5 else f"索引号：{c.index_no}")
        lines.append(f"发文日期: {c.publish_date}  发布机构: {c.org.name}")
    lines.append(rng.choice(("  • 字号:\n  • 大 中 小\n  • |\n  • 打印", "【字体：大 中 小】【打印】【关闭】",
                             "字号：大 | 中 | 小    打印本页    关闭窗口", f"发布日期:{c.publish_date}  浏览次数:{rng.randint(10, 9999)}")))
    return lines


def footer_lines(c: ReportContent, rng: random.Random) -> list[str]:
    opts = [f"主办单位：{c.org.city}人民政府办公室  网站标识码：{rng.randint(10**9, 10**10 - 1)}",
            f"ICP备案号：{rng.choice('苏闽豫鲁津浙湘川粤皖冀赣晋鄂桂辽陕滇')}ICP备{rng.randint(10**7, 10**8 - 1)}号-{rng.randint(1, 9)}",
            "【打印本页】【关闭窗口】", "分享到：微信 微博 QQ空间", "扫一扫在手机打开当前页", "翻译 搜索 复制"]
    return rng.sample(opts, k=rng.randint(1, 4))


def crawler_header(c: ReportContent, rng: random.Random) -> list[str]:
    title = f"{c.org.name}{c.year}年政府信息公开工作年度报告"
    return [f"标题: {title}", f"发布时间: {c.publish_date} {rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}",
            "文号: ", f"发布机构: {c.org.name}", "栏目: 政府信息公开年报",
            f"原始链接: https://www.{c.org.domain}.gov.cn/zfxxgk/zfxxgknb/{c.year + 1}01/t{c.publish_date.replace('-', '')}_{rng.randint(10**6, 10**7)}.htm",
            "正文:"]
