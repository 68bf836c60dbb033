"""Datasets: a folder of source files, each with gold labels, under a name.

    seeds        ../shared/data/seeds            (*.txt + *.gold.json)
    real         ../shared/data/real + the seeds (PDF, pdftotext, HTML, crawler text; *.meta.json
                                                  adds `missing` and `source_violations`), each
                                                  sample's `layout` set to its family (`real_family`)
    text-noisy…  a synthetic split of training/synth/splits.py, generated into data/bench/ when missing
    DIR          any folder of `{stem}.{txt|html|pdf|…}` + `{stem}.gold.json`

A gold file may serve several sources (`hongze_qu_2023.pdf` and `hongze_qu_2023.pdftotext.txt`
share `hongze_qu_2023.gold.json`): each source is one sample.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from gongkai.training.synth.splits import SPLITS, VALIDATION_SPLITS, ensure_split

__all__ = ["Gold", "Sample", "Dataset", "load_gold", "folder_samples", "resolve", "BUILTIN",
           "SOURCE_SUFFIXES", "REPO", "SHARED", "real_family", "real_samples"]

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
SOURCE_SUFFIXES = (".txt", ".html", ".htm", ".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff")
BUILTIN = {"seeds": SHARED / "seeds", "real": SHARED / "real"}


@dataclass
class Gold:
    """What a sample should give. `fields` holds the printed values (`None` = printed blank or `/`);
    ids in `missing` are not printed by the form and are not scored."""

    org: str | None
    year: int | None
    fields: dict[str, int | float | None]
    missing: frozenset[str] = frozenset()
    source_errors: frozenset[str] = frozenset()
    layout: str = ""
    noise: str = ""
    kind: str = ""
    dpi: int | None = None
    degradation: str = ""

    @property
    def scored(self) -> dict[str, int | float | None]:
        return {k: v for k, v in self.fields.items() if k not in self.missing}


@dataclass
class Sample:
    id: str
    source: Path
    gold: Gold
    dataset: str = ""
    layout: str = ""


@dataclass
class Dataset:
    name: str
    samples: list[Sample] = field(default_factory=list)
    note: str = ""
    by_family: bool = False  # report a full summary per `Sample.layout` (the real dataset's families)


# What a real file's `*.meta.json` `layout` says of a crawler text export, in the words such
# descriptions use, first match wins (a squashed page is also "one line", so it comes first).
_TEXT_FAMILIES = (
    ("squashed", re.compile(r"squash|concatenat|without separator|whole page on one line", re.I)),
    ("collapsed", re.compile(r"collaps|runs? of (identical|equal)", re.I)),
    ("spanline", re.compile(r"span per line|one cell\s*/\s*one html span|span.*per line|one cell per line", re.I)),
    ("ocr-md", re.compile(r"\bocr\b|\bvlm\b|scan", re.I)),
    ("converter-md", re.compile(r"markdown|mineru|marker|docling", re.I)),
)


def real_family(source: Path, stem: str, layout: str = "") -> str:
    """The family of a real file: from its suffix (`pdf`, `html`, `pdftotext.txt`) and, for other
    text exports, from the `layout` its meta file describes; never from the file's name."""
    suffix = Path(source).name[len(stem):].lstrip(".").lower()
    if suffix in ("pdf", "png", "jpg", "jpeg", "tif", "tiff"):
        return "pdf" if suffix == "pdf" else "image"
    if suffix in ("html", "htm"):
        return "html"
    if suffix.startswith("pdftotext"):
        return "pdftotext"
    for family, pattern in _TEXT_FAMILIES:
        if pattern.search(layout or ""):
            return family
    return suffix.split(".")[0] or "text"


def real_samples(name: str = "real") -> list[Sample]:
    """Every file of ../shared/data/real and every seed, `layout` = family (seeds: `seeds`)."""
    out = []
    for s in folder_samples(BUILTIN["real"], name):
        stem = s.source.name.split(".")[0]
        meta = s.source.with_name(stem + ".meta.json")
        layout = json.loads(meta.read_text(encoding="utf-8")).get("layout", "") if meta.exists() else ""
        s.layout = real_family(s.source, stem, layout)
        out.append(s)
    for s in folder_samples(BUILTIN["seeds"], name):
        s.layout = "seeds"
        out.append(s)
    return out


def load_gold(path: Path) -> Gold:
    """Read `{stem}.gold.json` (and `{stem}.meta.json` beside it, as the real reports have)."""
    g = json.loads(Path(path).read_text(encoding="utf-8"))
    meta_path = Path(str(path)[: -len(".gold.json")] + ".meta.json")
    extra = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    missing = set(g.get("missing", [])) | set(extra.get("missing", []))
    errors = set(g.get("source_errors", [])) | set(extra.get("source_violations", []))
    deg = g.get("degradation") or {}
    noise = g.get("noise") or {}
    return Gold(
        org=g["meta"].get("org"), year=g["meta"].get("year"), fields=dict(g["fields"]),
        missing=frozenset(missing), source_errors=frozenset(errors),
        layout=g.get("layout") or "",
        noise=noise.get("level", "") if isinstance(noise, dict) else str(noise),
        kind=g.get("kind", ""), dpi=g.get("dpi"),
        degradation=deg.get("mode", "") if isinstance(deg, dict) else str(deg),
    )


def folder_samples(folder: Path, name: str | None = None) -> list[Sample]:
    """Every (source, gold) pair in `folder`, sorted; page images of scans (`{id}.p1.jpg`) are not
    samples of their own when their PDF is there."""
    folder = Path(folder)
    name = name or folder.name
    out: list[Sample] = []
    for gold_path in sorted(folder.glob("*.gold.json")):
        stem = gold_path.name[: -len(".gold.json")]
        gold = None
        sources = [p for p in sorted(folder.glob(f"{stem}.*"))
                   if p.suffix.lower() in SOURCE_SUFFIXES and not p.name.endswith((".gold.json", ".meta.json"))]
        if any(p.suffix == ".pdf" for p in sources):
            sources = [p for p in sources if not (p.suffix.lower() in (".jpg", ".jpeg") and ".p" in p.name[len(stem):])]
        for src in sources:
            gold = gold or load_gold(gold_path)
            layout = gold.layout or src.name[len(stem) + 1:]  # real reports: pdf, pdftotext.txt, html…
            out.append(Sample(id=src.name, source=src, gold=gold, dataset=name, layout=layout))
    return out


def resolve(name: str, bench_dir: Path = REPO / "data" / "bench", limit: int | None = None,
            progress: Callable[[str, int, int], None] | None = None) -> Dataset:
    """A dataset by built-in name, synthetic split name or folder path; `limit` keeps the first N
    (of every dataset but `real`, which is always whole)."""
    if name in BUILTIN:
        folder = BUILTIN[name]
        if not folder.is_dir():
            raise FileNotFoundError(f"dataset {name!r}: {folder} not found (../shared beside the repo?)")
        samples = real_samples(name) if name == "real" else folder_samples(folder, name)
    elif name in SPLITS or name in VALIDATION_SPLITS:
        split = SPLITS.get(name) or VALIDATION_SPLITS[name]
        n = min(limit, split.n) if limit else split.n
        done = [0]

        def tick(k: int) -> None:
            done[0] += k
            if progress:
                progress(name, done[0], n)

        folder = ensure_split(name, Path(bench_dir), n, progress=tick)
        samples = [s for s in folder_samples(folder, name)
                   if int(s.source.name.split("-")[2].split(".")[0]) < n]
    else:
        folder = Path(name)
        if not folder.is_dir():
            known = ", ".join([*BUILTIN, *SPLITS])
            raise FileNotFoundError(f"unknown dataset {name!r}: not a folder nor one of {known}")
        samples = folder_samples(folder, folder.name)
    note = ""
    if limit and len(samples) > limit and name != "real":  # the real files are few: always all of them
        note = f"first {limit} of {len(samples)}"
        samples = samples[:limit]
    elif limit and name in SPLITS and SPLITS[name].n > limit:
        note = f"first {limit} of {SPLITS[name].n}"
    return Dataset(name=Path(name).name if name not in BUILTIN and name not in SPLITS else name,
                   samples=samples, note=note, by_family=name == "real")
