"""Government web pages: real `<table>` markup with the form's rowspan/colspan, inside a site page,
a bare article fragment (no `<html>` wrapper, as CMSs serve it) or Word-exported markup, encoded
UTF-8 or GBK. Labels are character spans over the decoded page source."""
from __future__ import annotations

import html as _html
import random

from gongkai.extraction.labelling import Tag
from gongkai.training.synth import chrome
from gongkai.training.synth.pieces import Piece, lab
from gongkai.training.synth.report import Block, Report
from gongkai.training.synth.tables import Grid

__all__ = ["render_html", "draw_encoding", "HTML_VARIANTS"]

HTML_VARIANTS = {"site": 4, "fragment": 3, "word": 3}
NOISE = lab(Tag.NOISE)


def _esc(p: Piece) -> Piece:
    t = _html.escape(p.text, quote=False)
    return p if t == p.text else p._replace(text=t)


class _Out:
    def __init__(self):
        self.pieces: list[Piece] = []

    def raw(self, s: str) -> None:
        self.pieces.append(Piece(s))

    def text(self, pieces: list[Piece]) -> None:
        self.pieces += [_esc(p) for p in pieces]


def _cell_inner(out: _Out, cell, variant: str, rng: random.Random, split: bool) -> None:
    pieces = cell.pieces
    if split and cell.kind == "header" and len(cell.text) == 4 and len(pieces) == 1:
        p = pieces[0]
        halves = [[p._replace(text=p.text[:2])], [p._replace(text=p.text[2:])]]
    else:
        halves = [pieces]
    for part in halves:
        if variant == "word":
            out.raw('<p class=MsoNormal align=center style=\'text-align:center\'><span style=\'font-size:10.5pt;'
                    'font-family:仿宋_GB2312\'>')
            out.text(part)
            out.raw("</span></p>")
        elif variant == "fragment":
            out.raw('\n            <p align="center">')
            out.text(part)
            out.raw("</p>")
        else:
            out.text(part)
            if len(halves) > 1 and part is halves[0]:
                out.raw("<br/>")


def _table(out: _Out, grid: Grid, variant: str, rng: random.Random) -> None:
    split = rng.random() < 0.5
    total_w = 600
    if variant == "word":
        out.raw("<table class=MsoNormalTable border=0 cellspacing=0 cellpadding=0 width=600 "
                "style='border-collapse:collapse;border:none'>\n")
    elif variant == "fragment":
        out.raw('<table width="100%" border="1" bordercolor="#000000" cellpadding="2" cellspacing="0">\n    <tbody>\n')
    else:
        out.raw('<table class="table-bordered" border="1" cellspacing="0" style="width:100%;border-collapse:collapse;">\n<tbody>\n')
    for r, row in enumerate(grid.rows()):
        out.raw("        <tr>\n" if variant == "fragment" else "<tr>")
        for gc in row:
            attrs = []
            w = total_w * gc.cs // grid.ncols
            if variant == "word":
                attrs.append(f"width={w}")
                attrs.append("style='border:solid windowtext 1.0pt;padding:0cm 5.4pt 0cm 5.4pt'")
            elif variant == "fragment":
                attrs.append(f'width="{w}" valign="center"')
            if gc.cs > 1:
                attrs.append(f'colspan="{gc.cs}"' if variant != "word" else f"colspan={gc.cs}")
            if gc.rs > 1:
                attrs.append(f'rowspan="{gc.rs}"' if variant != "word" else f"rowspan={gc.rs}")
            out.raw(("            " if variant == "fragment" else "") + "<td" + (" " + " ".join(attrs) if attrs else "") + ">")
            _cell_inner(out, gc.cell, variant, rng, split)
            out.raw("\n            </td>\n" if variant == "fragment" else "</td>")
        out.raw("        </tr>\n" if variant == "fragment" else "</tr>\n")
    out.raw("    </tbody>\n</table>\n" if variant == "fragment" else ("</tbody></table>\n" if variant != "word" else "</table>\n"))


def _para(out: _Out, b: Block, variant: str, rng: random.Random) -> None:
    if variant == "word":
        bold = b.kind in ("heading", "title")
        out.raw("<p class=MsoNormal style='text-indent:32.0pt;line-height:28.0pt'><span style='font-size:16.0pt;"
                f"font-family:{'黑体' if bold else '仿宋_GB2312'}'>")
        out.text(b.pieces)
        out.raw("</span></p>\n")
    elif variant == "fragment":
        out.raw("<p>\u3000\u3000" + ("<strong>" if b.kind == "heading" else ""))
        out.text(b.pieces)
        out.raw(("</strong>" if b.kind == "heading" else "") + "</p>\n")
    else:
        tag = {"title": "h1", "heading": "h3"}.get(b.kind, "p")
        style = ' style="text-indent:2em;"' if tag == "p" else ""
        out.raw(f"<{tag}{style}>")
        out.text(b.pieces)
        out.raw(f"</{tag}>\n")


def draw_encoding(variant: str, rng: random.Random) -> str:
    if variant == "word" or (variant == "site" and rng.random() < 0.3):
        return rng.choice(("gbk", "gb2312"))
    return "utf-8"


def render_html(report: Report, variant: str, encoding: str, rng: random.Random) -> list[Piece]:
    """Pieces of the page source, declaring `encoding` where the variant declares one."""
    c = report.content
    out = _Out()
    title = f"{c.org.name}{c.year}年政府信息公开工作年度报告"
    if variant == "site":
        out.raw(f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="{encoding}">\n'
                f"<title>{title}_{c.org.city}人民政府</title>\n"
                '<link rel="stylesheet" href="/css/common.css">\n</head>\n<body>\n<div class="header"><div class="nav">')
        for s in chrome.header_lines(c, rng)[:2]:
            out.raw("<span>")
            out.text([Piece(s, NOISE)])
            out.raw("</span>")
        out.raw('</div></div>\n<div class="xxgk-info"><table class="info"><tr><td>索引号：</td><td>')
        out.text([Piece(c.index_no, NOISE)])
        out.raw("</td><td>发布机构：</td><td>")
        out.text([Piece(c.org.name, NOISE)])
        out.raw("</td></tr><tr><td>发文日期：</td><td>")
        out.text([Piece(c.publish_date, NOISE)])
        out.raw('</td></tr></table></div>\n<div class="article-tools">')
        out.text([Piece("【字号：大 中 小】【打印】【关闭】", NOISE)])
        out.raw('</div>\n<div class="article-content" id="zoom">\n')
    elif variant == "word":
        out.raw(f"<html xmlns:v=\"urn:schemas-microsoft-com:vml\" xmlns:o=\"urn:schemas-microsoft-com:office:office\" "
                f"xmlns:w=\"urn:schemas-microsoft-com:office:word\">\n<head>\n<meta http-equiv=Content-Type "
                f"content=\"text/html; charset={encoding}\">\n<meta name=Generator content=\"Microsoft Word 15\">\n"
                "<style>\n<!-- p.MsoNormal {margin:0cm;text-align:justify;font-size:10.5pt;font-family:等线;} -->\n"
                "</style>\n</head>\n<body lang=ZH-CN style='text-justify-trim:punctuation'>\n<div class=WordSection1>\n")
    else:
        out.raw("<div class=TRS_Editor>")
        if rng.random() < 0.3:
            out.raw("<style type=\"text/css\">.TRS_Editor P{margin-top:0px;margin-bottom:12px;line-height:1.8;"
                    "font-family:宋体;font-size:12pt;}</style>")
    for b in report.blocks:
        if b.kind == "chrome":
            continue
        if b.kind == "table":
            _table(out, b.grid, variant, rng)
        else:
            _para(out, b, variant, rng)
    if variant == "site":
        out.raw('</div>\n<div class="footer">')
        for s in chrome.footer_lines(c, rng):
            out.raw("<p>")
            out.text([Piece(s, NOISE)])
            out.raw("</p>")
        out.raw("</div>\n</body>\n</html>\n")
    elif variant == "word":
        out.raw("</div>\n</body>\n</html>\n")
    else:
        out.raw("</div>\n")
    return out.pieces
