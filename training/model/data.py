"""Training examples for the token classifier: synthetic char labels projected onto a Document.

A synthetic sample's `{id}.labels.json` labels character ranges of the decoded source text. The
classifier reads a `Document` (what the real ingest reader makes of that source), so labels are
projected onto segment characters: text segments carry their source offsets; HTML cells are found
in the page's visible text in reading order (tags skipped, entities decoded, whitespace ignored).

An `Example` is a document's linearised character keys and one BIO label id per position
(-100 where there is nothing to learn: separators, characters that could not be placed).
"""
from __future__ import annotations

import html as htmllib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gongkai.extraction.document import Document
from gongkai.extraction.ingest import read_document
from gongkai.extraction.labelling import bio_labels
from gongkai.models.token_classifier import Linearised, linearise
from gongkai.models.ocr import BundledOcr

__all__ = ["Example", "SegLabels", "project_labels", "example_from_sample", "example_from_seg_labels",
           "load_examples", "sample_stems", "IGNORE"]

IGNORE = -100
LABELS = bio_labels()
LABEL_ID = {lab: i for i, lab in enumerate(LABELS)}


@dataclass
class SegLabels:
    """Per segment, per character: (span id, span label) or None (O); span ids tell B from I."""

    chars: list[list[tuple[int, str] | None]]
    ignore: list[list[bool]] | None = None


@dataclass
class Example:
    name: str
    keys: list[str]
    labels: np.ndarray  # int64, len(keys)


# ---- projection ------------------------------------------------------------------------------

_TAG_OR_ENTITY = re.compile(r"<!--.*?-->|<(script|style|head|title|noscript)\b.*?</\1\s*>|<[^>]*>|&#?\w+;",
                            re.DOTALL | re.IGNORECASE)


def visible_chars(source: str) -> tuple[str, list[int]]:
    """The page's text outside tags, entities decoded, whitespace dropped; with source offsets."""
    chars: list[str] = []
    offs: list[int] = []
    pos = 0

    def plain(a: int, b: int) -> None:
        for k in range(a, b):
            if not source[k].isspace():
                chars.append(source[k])
                offs.append(k)

    for m in _TAG_OR_ENTITY.finditer(source):
        plain(pos, m.start())
        tok = m.group(0)
        if tok.startswith("&"):
            ch = htmllib.unescape(tok)
            for c in ch:
                if not c.isspace() and c != "\xa0":
                    chars.append(c)
                    offs.append(m.start())
        pos = m.end()
    plain(pos, len(source))
    return "".join(chars), offs


def _label_array(length: int, spans: list) -> list[tuple[int, str] | None]:
    arr: list[tuple[int, str] | None] = [None] * length
    for sid, sp in enumerate(spans):
        for k in range(sp[0], min(sp[1], length)):
            arr[k] = (sid, sp[2])
    return arr


def project_labels(doc: Document, source: str, spans: list) -> SegLabels:
    """Project source-offset spans onto the document's segment characters."""
    arr = _label_array(len(source), spans)
    out: list[list[tuple[int, str] | None]] = []
    if all(seg.span is not None for seg in doc.segments):
        for seg in doc.segments:
            a = seg.span[0]
            out.append([arr[a + k] if a + k < len(arr) else None for k in range(len(seg.text))])
        return SegLabels(out)
    vis, offs = visible_chars(source)
    body = source.lower().find("<body")
    cursor = 0
    if body > 0:
        cursor = next((i for i, o in enumerate(offs) if o > body), 0)
    for seg in doc.segments:
        text = seg.text
        nonspace = [(k, c) for k, c in enumerate(text) if not c.isspace()]
        labs: list[tuple[int, str] | None] = [None] * len(text)
        if nonspace:
            needle = "".join(c for _, c in nonspace)
            at = vis.find(needle, cursor)
            if at >= 0 and at - cursor < 20000:
                for j, (k, _) in enumerate(nonspace):
                    labs[k] = arr[offs[at + j]]
                cursor = at + len(needle)
            else:  # greedy: each character at its next occurrence
                for k, c in nonspace:
                    at = vis.find(c, cursor, cursor + 200)
                    if at >= 0:
                        labs[k] = arr[offs[at]]
                        cursor = at + 1
            _fill_spaces(text, labs)
        out.append(labs)
    return SegLabels(out)


def _fill_spaces(text: str, labs: list) -> None:
    """A space inside a span (between two characters of the same span) belongs to it."""
    for k, c in enumerate(text):
        if c.isspace() and labs[k] is None:
            left = next((labs[j] for j in range(k - 1, -1, -1) if not text[j].isspace()), None)
            right = next((labs[j] for j in range(k + 1, len(text)) if not text[j].isspace()), None)
            if left is not None and left == right:
                labs[k] = left


# ---- examples --------------------------------------------------------------------------------

def bio_ids(lin: Linearised, seg_labels: SegLabels) -> np.ndarray:
    out = np.full(len(lin.keys), IGNORE, dtype=np.int64)
    prev: tuple[int, int, int] | None = None  # (segment, char, span id)
    for i, (seg, ci) in enumerate(lin.where):
        if ci < 0:
            prev = None
            continue
        if seg_labels.ignore is not None and seg_labels.ignore[seg][ci]:
            prev = None
            continue
        lab = seg_labels.chars[seg][ci]
        if lab is None:
            out[i] = 0
            prev = None
            continue
        sid, name = lab
        cont = prev is not None and prev[0] == seg and prev[1] == ci - 1 and prev[2] == sid
        out[i] = LABEL_ID.get(("I-" if cont else "B-") + name, 0)
        prev = (seg, ci, sid)
    return out


def example_from_seg_labels(name: str, doc: Document, seg_labels: SegLabels) -> Example:
    lin = linearise(doc)
    return Example(name, lin.keys, bio_ids(lin, seg_labels))


def read_source(src: Path, encoding: str = "utf-8") -> tuple[bytes, str]:
    data = src.read_bytes()
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        text = data.decode("utf-8", errors="replace")
    return data, text


def example_from_sample(src: Path) -> Example:
    """A synthetic sample (`{id}.txt|html` + `{id}.labels.json`) as a training example."""
    stem = src.name.rsplit(".", 1)[0]
    lab = json.loads((src.parent / f"{stem}.labels.json").read_text(encoding="utf-8"))
    data, text = read_source(src, lab.get("encoding", "utf-8"))
    doc = read_document(data, src.name, ocr=BundledOcr())
    return example_from_seg_labels(stem, doc, project_labels(doc, text, lab["spans"]))


def sample_stems(folder: Path) -> list[Path]:
    """Source files of the samples in `folder` that carry char labels."""
    out = []
    for lab in sorted(Path(folder).glob("*.labels.json")):
        stem = lab.name[: -len(".labels.json")]
        for suffix in (".txt", ".html", ".htm"):
            if (lab.parent / f"{stem}{suffix}").exists():
                out.append(lab.parent / f"{stem}{suffix}")
                break
    return out


def load_examples(folders: list[Path], limit: int | None = None, progress: bool = False) -> list[Example]:
    srcs = [s for f in folders for s in sample_stems(Path(f))]
    if limit:
        srcs = srcs[:limit]
    it = srcs
    if progress:
        from tqdm import tqdm

        it = tqdm(srcs, desc="examples", unit="doc")
    return [example_from_sample(s) for s in it]
