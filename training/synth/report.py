"""A report as an ordered list of blocks — title, chrome, headings, paragraphs, tables — before
any layout decides how it is printed."""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from gongkai.extraction import template as T
from gongkai.extraction.labelling import Tag
from gongkai.training.synth import chrome, narrative
from gongkai.training.synth.content import ReportContent
from gongkai.training.synth.pieces import Piece, lab
from gongkai.training.synth.tables import Grid, Typo, build_t2, build_t3, build_t4

__all__ = ["Block", "Report", "build_report"]


@dataclass
class Block:
    """kind: title / chrome / heading / para / subhead / table; `pieces` for text blocks,
    `grid` for tables, `section` for headings."""

    kind: str
    pieces: list[Piece] = field(default_factory=list)
    grid: Grid | None = None
    section: int | None = None


@dataclass
class Report:
    content: ReportContent
    typo: Typo
    blocks: list[Block]
    structure: list[str]  # structural oddities applied ("no_heading_2", "six_before_five")
    title_split: bool = False


def heading(k: int, typo: Typo, rng: random.Random) -> Block:
    enum = T.CN_NUMERALS[k - 1] + ("、" if rng.random() < 0.95 else ".")
    return Block("heading", [Piece(enum, lab(Tag.SECTION, str(k)), role="enum"),
                             Piece(T.SECTION_TITLES[k], lab(Tag.SECTION, str(k)))], section=k)


def _para(text: str) -> Block:
    return Block("para", [Piece(text, lab(Tag.NARRATIVE))])


def _noise(text: str) -> Block:
    return Block("chrome", [Piece(text, lab(Tag.NOISE))])


def title_pieces(c: ReportContent, rng: random.Random, spaced: bool = False) -> list[Piece]:
    org, year, rest = chrome.title_text(c, rng)
    sp = " " if spaced else ""
    return [Piece(org, lab(Tag.ORG)), Piece(sp), Piece(year, lab(Tag.YEAR)), Piece(sp),
            Piece(rest, lab(Tag.TITLE))]


def build_report(c: ReportContent, typo: Typo, rng: random.Random, *, chrome_page: bool = False,
                 p_no_heading_2: float = 0.0, p_six_before_five: float = 0.0) -> Report:
    blocks: list[Block] = []
    if chrome_page:
        blocks += [_noise(s) for s in chrome.header_lines(c, rng)]
    blocks.append(Block("title", title_pieces(c, rng, spaced=rng.random() < 0.2)))
    if chrome_page and rng.random() < 0.5:
        blocks.append(_noise(f"发布日期:{c.publish_date}"))
    if rng.random() < 0.8:
        blocks.append(_para(narrative.preamble(c, rng)))
    structure: list[str] = []
    sections: dict[int, list[Block]] = {}
    sections[1] = [heading(1, typo, rng)] + [_para(p) for p in narrative.section1(c, rng)]
    sections[2] = [heading(2, typo, rng), Block("table", grid=build_t2(c, typo))]
    if rng.random() < p_no_heading_2:
        sections[2] = sections[2][1:]
        structure.append("no_heading_2")
    sections[3] = [heading(3, typo, rng), Block("table", grid=build_t3(c, typo))]
    sections[4] = [heading(4, typo, rng), Block("table", grid=build_t4(c, typo))]
    sections[5] = [heading(5, typo, rng)] + [_para(p) for p in narrative.section5(c, rng)]
    sections[6] = [heading(6, typo, rng)] + [_para(p) for p in narrative.section6(c, rng)]
    order = [1, 2, 3, 4, 5, 6]
    if rng.random() < p_six_before_five:
        order = [1, 2, 3, 4, 6, 5]
        structure.append("six_before_five")
    for k in order:
        blocks += sections[k]
    if chrome_page:
        blocks += [_noise(s) for s in chrome.footer_lines(c, rng)]
    return Report(c, typo, blocks, structure)
