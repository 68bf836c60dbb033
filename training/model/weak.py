"""Weak labelling of newly labelled reports (a source file + a gold JSON, no char labels).

The rule labeller labels the report; the pipeline (assemble + reconcile) then reads it, and a
VALUE span is accepted only where the value read from it equals the gold value of the field it
filled. VALUE spans that fed a wrong (or no) field are masked out of the loss rather than taught;
ORG / YEAR spans are kept only when the metadata read equals the gold metadata. All other rule
spans (sections, row and column labels, headers, prose, noise) are taught as labelled.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from gongkai.extraction.document import Document
from gongkai.extraction.fields import ALL_FIELDS
from gongkai.extraction.ingest import read_document
from gongkai.models.registry import extract_document
from gongkai.extraction.labelling import Tag, label_name
from gongkai.models.rules import RuleLabeller
from gongkai.training.model.data import Example, SegLabels, example_from_seg_labels
from gongkai.models.ocr import BundledOcr

__all__ = ["WeakLabels", "weak_labels", "weak_examples", "labelled_reports"]

# every kind the pipeline reads: text and HTML, digital and scanned PDFs, page images (OCRed again here)
SOURCE_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff")


@dataclass
class WeakLabels:
    document: Document
    labels: SegLabels
    values_accepted: int
    values_rejected: int
    fields_right: int
    fields_total: int


def _key(doc: Document, seg_idx: int, start: int, end: int) -> tuple:
    seg = doc.segments[seg_idx]
    raw = doc.segments[seg_idx].text[start:end].strip()
    return (seg.page, seg.line, raw)


def weak_labels(doc: Document, gold: dict) -> WeakLabels:
    labeller = RuleLabeller()
    labelled = labeller.label(doc)
    result = extract_document(doc, labeller=labeller)
    fields = gold["fields"]
    right_by_span: set[tuple[int, int]] = set()
    right_by_raw: Counter = Counter()
    n_right = 0
    for fid, value in fields.items():
        fr = result.fields[fid]
        if fr.value != value or fr.provenance is None:
            continue
        n_right += 1
        prov = fr.provenance
        if prov.span is not None:
            right_by_span.add(tuple(prov.span))
        else:
            right_by_raw[(prov.page, prov.line, fr.raw.strip())] += 1
    meta_ok = {Tag.ORG: result.meta.org == gold.get("meta", {}).get("org"),
               Tag.YEAR: result.meta.year == gold.get("meta", {}).get("year")}

    chars: list[list] = [[None] * len(s.text) for s in doc.segments]
    ignore = [[False] * len(s.text) for s in doc.segments]
    accepted = rejected = 0
    for sid, sp in enumerate(labelled.spans):
        seg = doc.segments[sp.segment]
        ok = True
        if sp.tag is Tag.VALUE:
            if sp.end == sp.start:
                continue
            if seg.span is not None:
                ok = (seg.span[0] + sp.start, seg.span[0] + sp.end) in right_by_span
            else:
                key = _key(doc, sp.segment, sp.start, sp.end)
                ok = right_by_raw[key] > 0
                if ok:
                    right_by_raw[key] -= 1
            accepted += ok
            rejected += not ok
        elif sp.tag in meta_ok:
            ok = meta_ok[sp.tag]
        for k in range(sp.start, sp.end):
            if ok:
                chars[sp.segment][k] = (sid, label_name(sp.tag, sp.key))
            else:
                ignore[sp.segment][k] = True
    return WeakLabels(doc, SegLabels(chars, ignore), accepted, rejected, n_right, len(fields))


def labelled_reports(folder: Path) -> list[tuple[Path, Path]]:
    """(source, gold) pairs anywhere under `folder` — the review store keeps one report per
    `<job-id>/` folder: the uploaded file and `<stem>.gold.json`."""
    out = []
    for gold in sorted(Path(folder).rglob("*.gold.json")):
        stem = gold.name[: -len(".gold.json")]
        for suffix in SOURCE_SUFFIXES:
            if (gold.parent / f"{stem}{suffix}").exists():
                out.append((gold.parent / f"{stem}{suffix}", gold))
                break
    return out


def weak_examples(folder: Path, verbose: bool = True) -> list[Example]:
    """Training examples from every labelled report in `folder`."""
    out = []
    for src, gold_path in labelled_reports(folder):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        gold["fields"] = {k: v for k, v in gold["fields"].items() if k in ALL_FIELDS}
        doc = read_document(src.read_bytes(), src.name, ocr=BundledOcr())
        wl = weak_labels(doc, gold)
        if verbose:
            print(f"weak labels {src.name}: {wl.values_accepted} values accepted, {wl.values_rejected} masked; "
                  f"rules read {wl.fields_right}/{wl.fields_total} fields right")
        out.append(example_from_seg_labels(src.stem, doc, wl.labels))
    return out
