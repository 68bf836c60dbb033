"""One synthetic sample: content + rendering + gold, for every kind (text, html, pdf, scan)."""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

import numpy as np

from gongkai.training.synth.content import ReportContent, draw_content
from gongkai.training.synth.layouts import LAYOUTS, TEXT_MIX
from gongkai.training.synth.noise import LEVELS, apply_noise
from gongkai.training.synth.pieces import assemble
from gongkai.training.synth.report import build_report
from gongkai.training.synth.tables import draw_typo

__all__ = ["SampleSpec", "Sample", "sample_rngs", "make_text", "make_content"]

KINDS = ("text", "html", "pdf", "scan")


@dataclass(frozen=True)
class SampleSpec:
    """What to generate for one sample. `layouts` / `noise` are weighted mixes (name -> weight);
    `source_error_rate` is the chance the agency misprinted a total."""

    kind: str = "text"
    layouts: dict | None = None
    noise: dict = field(default_factory=lambda: {"clean": 2, "light": 2, "heavy": 1})
    source_error_rate: float = 0.0
    merged_other_rate: float = 0.04
    dpi: tuple[int, ...] = (100, 120, 150, 150, 200, 200, 300)  # scan resolutions drawn from
    levels: dict | None = None  # publisher levels (training.synth.orgs.LEVELS -> weight); None = the usual mix


@dataclass
class Sample:
    id: str
    kind: str
    gold: dict
    text: str | None = None  # text kinds: the sample text; html: the decoded page
    spans: list | None = None
    data: bytes | None = None  # bytes written to disk (html in its encoding, pdf, scan pdf)
    ext: str = "txt"
    extra_files: dict = field(default_factory=dict)  # name suffix -> bytes (scan page images)


def sample_rngs(seed: int, index: int, kind: str) -> tuple[random.Random, np.random.Generator]:
    h = hashlib.blake2b(f"{seed}:{kind}:{index}".encode(), digest_size=16).digest()
    s = int.from_bytes(h, "big")
    return random.Random(s), np.random.default_rng(s)


def _pick(rng: random.Random, mix: dict) -> str:
    names = list(mix)
    return rng.choices(names, weights=[mix[n] for n in names])[0]


def make_content(rng: random.Random, np_rng: np.random.Generator, spec: SampleSpec) -> ReportContent:
    return draw_content(rng, np_rng, source_error_rate=spec.source_error_rate,
                        merged_other_rate=spec.merged_other_rate, levels=spec.levels)


def make_text(seed: int, index: int, spec: SampleSpec) -> Sample:
    rng, np_rng = sample_rngs(seed, index, "text")
    content = make_content(rng, np_rng, spec)
    layout_name = _pick(rng, spec.layouts or TEXT_MIX)
    level = LEVELS[_pick(rng, spec.noise)]
    layout = LAYOUTS[layout_name]()
    typo = draw_typo(rng)
    report = build_report(content, typo, rng, chrome_page=layout.chrome_page,
                          p_no_heading_2=level.no_heading_2, p_six_before_five=level.six_before_five)
    info: dict = {}
    lines = layout.lines(report, rng)
    lines = apply_noise(lines, level, rng, info, structural=getattr(layout, "structural_noise", True))
    pieces = layout.serialize(lines, rng, info)
    text, spans = assemble(pieces)
    gold = content.gold()
    _unprinted(gold, info)
    gold.update(kind="text", layout=layout_name,
                noise={"level": level.name, "structure": report.structure, "ops": dict(sorted(info["ops"].items())),
                       "altered": info.get("altered", []), "dropped": sorted(set(info.get("dropped", []))),
                       "collapsed": sorted(set(info.get("collapsed", [])))})
    sid = f"text-{seed}-{index:06d}"
    return Sample(sid, "text", gold, text=text, spans=spans, ext="txt")


def _unprinted(gold: dict, info: dict) -> None:
    """What the layout left out of the page: ids it does not print at all (`info["missing"]`, e.g.
    a table-2 row the page omits) leave `fields` for `missing`; cells printed empty
    (`info["blank"]`, e.g. an OCR `-`) are `None` in gold, as the seeds write a blank cell."""
    for fid in info.get("missing", ()):
        if fid in gold["fields"]:
            del gold["fields"][fid]
            gold["missing"].append(fid)
    for fid in info.get("blank", ()):
        gold["fields"][fid] = None


def make_html(seed: int, index: int, spec: SampleSpec) -> Sample:
    from gongkai.training.synth.html import HTML_VARIANTS, draw_encoding, render_html

    rng, np_rng = sample_rngs(seed, index, "html")
    content = make_content(rng, np_rng, spec)
    variant = _pick(rng, spec.layouts or HTML_VARIANTS)
    typo = draw_typo(rng)
    report = build_report(content, typo, rng, p_no_heading_2=0.03, p_six_before_five=0.03)
    encoding = draw_encoding(variant, rng)
    state = rng.getstate()
    text, spans = assemble(render_html(report, variant, encoding, rng))
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        rng.setstate(state)
        encoding = "utf-8"
        text, spans = assemble(render_html(report, variant, encoding, rng))
        data = text.encode(encoding)
    gold = content.gold()
    gold.update(kind="html", layout=variant, encoding=encoding,
                noise={"level": "clean", "structure": report.structure, "ops": {}, "altered": [], "dropped": [],
                       "collapsed": []})
    return Sample(f"html-{seed}-{index:06d}", "html", gold, text=text, spans=spans, data=data, ext="html")


def _t3_pages(pdf: bytes) -> list[int]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    pages = []
    for i in range(len(doc)):
        t = doc[i].get_textpage().get_text_range()
        if any(k in t for k in ("本年新收政府信息公开申请数量", "属于国家秘密", "结转下年度继续办理")):
            pages.append(i + 1)
    doc.close()
    return pages


def make_pdf(seed: int, index: int, spec: SampleSpec, kind: str = "pdf") -> tuple[Sample, object]:
    """A digital PDF sample (and the rng the scan step continues with)."""
    from gongkai.training.synth.pdf import render_pdf

    rng, np_rng = sample_rngs(seed, index, kind)
    content = make_content(rng, np_rng, spec)
    typo = draw_typo(rng)
    report = build_report(content, typo, rng, p_no_heading_2=0.02, p_six_before_five=0.02)
    data, desc = render_pdf(report, rng)
    desc["t3_pages"] = _t3_pages(data)
    gold = content.gold()
    gold.update(kind=kind, layout="wps-pdf", pdf=desc,
                noise={"level": "clean", "structure": report.structure, "ops": {}, "altered": [], "dropped": [],
                       "collapsed": []})
    return Sample(f"{kind}-{seed}-{index:06d}", kind, gold, data=data, ext="pdf"), (rng, np_rng)


def make_scan(seed: int, index: int, spec: SampleSpec) -> Sample:
    from gongkai.training.synth.scan import render_scan

    sample, (rng, np_rng) = make_pdf(seed, index, spec, kind="scan")
    data, deg, jpgs = render_scan(sample.data, rng, np_rng, sample.gold["meta"]["org"], sample.gold["pdf"]["t3_pages"],
                                  dpis=spec.dpi)
    sample.gold.update(layout="scan-" + deg["mode"], dpi=deg["dpi"], degradation=deg)
    sample.data = data
    sample.extra_files = {f"p{k + 1}.jpg": b for k, b in enumerate(jpgs)}
    return sample

