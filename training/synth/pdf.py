"""Digital PDFs as Word/WPS print them: A4, 仿宋-like body text, 黑体 headings, ruled tables
with the form's merged cells, table 3 breaking across pages (optionally with its header rows
repeated), and optionally a landscape page for the wide table 4.

Needs a CJK TrueType font: `apt-get install fonts-arphic-uming fonts-wqy-zenhei` (Debian);
`FontMissing` says so when none is installed.
"""
from __future__ import annotations

import io
import os
import random
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus.doctemplate import LayoutError
from reportlab.platypus import (BaseDocTemplate, Frame, NextPageTemplate, PageBreak, PageTemplate, Paragraph,
                                Spacer, Table, TableStyle)

from gongkai.training.synth.report import Report
from gongkai.training.synth.tables import Grid

__all__ = ["FontMissing", "fonts_available", "render_pdf"]

SERIF = ["/usr/share/fonts/truetype/arphic/uming.ttc", "/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf"]
SANS = ["/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"]


class FontMissing(RuntimeError):
    pass


_REGISTERED: dict[str, str] = {}


def _find(paths: list[str]) -> str | None:
    return next((p for p in paths if os.path.exists(p)), None)


def fonts_available() -> bool:
    return bool(_find(SERIF) or _find(SANS))


def _fonts() -> dict[str, str]:
    if _REGISTERED:
        return _REGISTERED
    serif, sans = _find(SERIF), _find(SANS)
    if not (serif or sans):
        raise FontMissing("no CJK TrueType font for the PDF/scan renderers: `make test` installs one, or "
                          "`apt-get install -y fonts-wqy-zenhei fonts-arphic-uming`")
    serif, sans = serif or sans, sans or serif
    pdfmetrics.registerFont(TTFont("Song", serif, subfontIndex=0))
    pdfmetrics.registerFont(TTFont("Hei", sans, subfontIndex=0))
    _REGISTERED.update(song="Song", hei="Hei", num="Times-Roman")
    return _REGISTERED


def _p(pieces_or_text, style: ParagraphStyle) -> Paragraph:
    text = pieces_or_text if isinstance(pieces_or_text, str) else "".join(p.text for p in pieces_or_text)
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _grid_table(grid: Grid, width: float, rng: random.Random, st: dict, repeat: bool) -> Table:
    rows = grid.nrows
    data = [["" for _ in range(grid.ncols)] for _ in range(rows)]
    cmds = [("GRID", (0, 0), (-1, -1), 0.6, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ("TOPPADDING", (0, 0), (-1, -1), st["pad"]), ("BOTTOMPADDING", (0, 0), (-1, -1), st["pad"])]
    for gc in grid.cells:
        cell = gc.cell
        if cell.kind == "value":
            data[gc.r][gc.c] = _p(cell.pieces, st["num"])
        elif cell.kind == "header":
            data[gc.r][gc.c] = _p(cell.pieces, st["head"])
        elif gc.rs > 1:
            # plain strings, not Paragraphs: reportlab can split a table inside a row span only
            # when the spanning cell holds text; wrap by hand as Word does in the narrow column
            txt = cell.text
            per = 3 if gc.c == 0 else 4
            data[gc.r][gc.c] = "\n".join(txt[k:k + per] for k in range(0, len(txt), per))
            cmds += [("FONTNAME", (gc.c, gc.r), (gc.c, gc.r), st["cell_c"].fontName),
                     ("FONTSIZE", (gc.c, gc.r), (gc.c, gc.r), st["cell_c"].fontSize),
                     ("LEADING", (gc.c, gc.r), (gc.c, gc.r), st["cell_c"].leading),
                     ("ALIGN", (gc.c, gc.r), (gc.c, gc.r), "CENTER")]
        else:
            data[gc.r][gc.c] = _p(cell.pieces, st["cell_c"] if grid.name == "t4" else st["cell"])
        if gc.rs > 1 or gc.cs > 1:
            cmds.append(("SPAN", (gc.c, gc.r), (gc.c + gc.cs - 1, gc.r + gc.rs - 1)))
        if cell.kind == "header" and st["shade"] is not None and grid.name == "t2" and gc.cs == 4:
            cmds.append(("BACKGROUND", (gc.c, gc.r), (gc.c + gc.cs - 1, gc.r), st["shade"]))
    if grid.name == "t2":
        fr = [0.3, 0.7 / 3, 0.7 / 3, 0.7 / 3]
    elif grid.name == "t3":
        lw = rng.uniform(0.44, 0.52)
        fr = [0.06, 0.11, lw - 0.17] + [(1 - lw) / 7] * 7
    else:
        fr = [1 / 15] * 15
    t = Table(data, colWidths=[f * width for f in fr], repeatRows=grid.header_rows if repeat else 0,
              splitByRow=1)
    t.setStyle(TableStyle(cmds))
    return t


def render_pdf(report: Report, rng: random.Random) -> tuple[bytes, dict]:
    """Render the report; return (pdf bytes, layout descriptor for the gold file)."""
    f = _fonts()
    c = report.content
    body = rng.choice((12, 14, 15, 16))
    lead = body * rng.uniform(1.45, 1.8)
    small = rng.choice((9, 9.5, 10, 10.5))
    st = {
        "title": ParagraphStyle("title", fontName=f["hei"], fontSize=20, leading=30, alignment=TA_CENTER),
        "body": ParagraphStyle("body", fontName=f["song"], fontSize=body, leading=lead, firstLineIndent=2 * body,
                               alignment=TA_JUSTIFY, wordWrap="CJK"),
        "heading": ParagraphStyle("heading", fontName=f["hei"], fontSize=body, leading=lead,
                                  firstLineIndent=2 * body, spaceBefore=4),
        "cell": ParagraphStyle("cell", fontName=f["song"], fontSize=small, leading=small * 1.3, wordWrap="CJK"),
        "cell_c": ParagraphStyle("cell_c", fontName=f["song"], fontSize=small, leading=small * 1.3,
                                 alignment=TA_CENTER, wordWrap="CJK"),
        "head": ParagraphStyle("head", fontName=f["song"], fontSize=small, leading=small * 1.3,
                               alignment=TA_CENTER, wordWrap="CJK"),
        "num": ParagraphStyle("num", fontName=f["num"], fontSize=small + rng.choice((0, 1, 2)), leading=small * 1.4,
                              alignment=TA_CENTER),
        "sign": ParagraphStyle("sign", fontName=f["song"], fontSize=body, leading=lead, alignment=TA_RIGHT),
        "pad": rng.choice((2, 3, 4)),
        "shade": rng.choice((None, None, colors.HexColor("#DBE5F1"), colors.HexColor("#D9D9D9"))),
    }
    lm = rng.uniform(2.4, 3.2) * cm
    tm = rng.uniform(2.5, 3.4) * cm
    land_t4 = rng.random() < 0.3
    repeat = rng.random() < 0.5
    page_no_style = rng.choice(("- {} -", "-{}-", "— {} —", "{}"))
    layout_seed = rng.random()
    # reportlab cannot always split a table around the form's nested merged cells (with repeated
    # header rows even less often): fall back to no repeated header, then to a tighter table
    for attempt in range(4):
        try:
            data = _build(report, st, lm, tm, land_t4, repeat, page_no_style, random.Random(layout_seed))
            break
        except LayoutError:
            if attempt == 3:
                raise
            if repeat:
                repeat = False
                continue
            small = max(7.5, small - 1)
            st["pad"] = 1
            for k in ("cell", "cell_c", "head", "num"):
                st[k] = ParagraphStyle(k, parent=st[k], fontSize=small, leading=small * 1.25)
    return data, {"body_pt": body, "cell_pt": small, "landscape_t4": land_t4, "repeat_header_rows": repeat,
                  "shaded_headers": st["shade"] is not None}


def _build(report, st, lm, tm, land_t4, repeat, page_no_style, rng) -> bytes:
    c = report.content
    body = st["body"].fontSize
    pw, ph = A4
    buf = io.BytesIO()

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("Times-Roman", 10.5)
        w, _ = canvas._pagesize
        canvas.drawRightString(w - lm, 1.3 * cm, page_no_style.format(doc.page))
        canvas.restoreState()

    doc = BaseDocTemplate(buf, pagesize=A4, leftMargin=lm, rightMargin=lm, topMargin=tm, bottomMargin=2.4 * cm,
                          invariant=1, title=f"{c.org.name}{c.year}年政府信息公开工作年度报告",
                          author="", creator="WPS 文字", producer="")
    portrait = Frame(lm, 2.4 * cm, pw - 2 * lm, ph - tm - 2.4 * cm, id="p", leftPadding=0, rightPadding=0)
    lw_, lh_ = landscape(A4)
    land = Frame(2.2 * cm, 2.2 * cm, lw_ - 4.4 * cm, lh_ - 4.4 * cm, id="l", leftPadding=0, rightPadding=0)
    doc.addPageTemplates([PageTemplate("portrait", [portrait], onPage=footer, pagesize=A4),
                          PageTemplate("landscape", [land], onPage=footer, pagesize=landscape(A4))])
    story = []
    width = pw - 2 * lm
    for b in report.blocks:
        if b.kind == "chrome":
            continue
        if b.kind == "title":
            org, rest = b.pieces[:1], b.pieces[1:]
            if rng.random() < 0.6:
                story += [_p(org, st["title"]), _p(rest, st["title"])]
            else:
                story.append(_p(b.pieces, st["title"]))
            story.append(Spacer(1, body))
        elif b.kind == "heading":
            if b.section == 4 and land_t4:
                story += [NextPageTemplate("landscape"), PageBreak()]
            story.append(_p(b.pieces, st["heading"]))
        elif b.kind == "table":
            tw = (lw_ - 4.4 * cm) if (b.grid.name == "t4" and land_t4) else width
            story += [Spacer(1, 4), _grid_table(b.grid, tw, rng, st, repeat), Spacer(1, 8)]
            if b.grid.name == "t4" and land_t4:
                story += [NextPageTemplate("portrait"), PageBreak()]
        else:
            story.append(_p(b.pieces, st["body"]))
    story += [Spacer(1, 2 * body), _p(c.org.name, st["sign"]),
              _p(f"{c.year + 1}年{int(c.publish_date[5:7])}月{int(c.publish_date[8:10])}日", st["sign"])]
    doc.build(story)
    return buf.getvalue()
