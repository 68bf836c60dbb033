"""Evidence that a plain-text source came out of OCR: printed template labels with misread characters.

A digital export prints the form's row labels exactly (`予以公开`); OCR output garbles some
(`予以么开`). When several are garbled, the text's digits are no more certain than its labels, so
the document is read as `ocr_text`: readings become uncertain and the reconciler may correct a
digit instead of reporting the agency's arithmetic as wrong.
"""
from __future__ import annotations

from gongkai.extraction import template as T
from gongkai.extraction.textnorm import core, split_enumerator
from gongkai.extraction.labelling import LabelledDocument, Tag

MIN_GARBLED = 2  # one odd label happens in real digital exports (seen once in five seeds)

_LABELS: dict[tuple[Tag, str], list[str]] = {}
for _r in T.T3_ROW_TEMPLATES:
    _LABELS[(Tag.T3_ROW, _r.key)] = [core(_r.label), *(core(a) for a in _r.aliases)]
for _r in T.T2_ROWS:
    _LABELS[(Tag.T2_ROW, _r.key)] = [core(_r.label)]
for _k, _g in T.T3_GROUPS.items():
    _LABELS[(Tag.T3_GROUP, _k)] = [core(_g.label)]


def garbled_labels(labelled: LabelledDocument) -> int:
    """Row/group labels whose text is neither part of nor contains the template's wording."""
    n = 0
    for span in labelled.spans:
        wording = _LABELS.get((span.tag, span.key or ""))
        if not wording:
            continue
        c = core(split_enumerator(labelled.text(span))[1])
        if len(c) >= 3 and not any(c in w or w in c for w in wording):
            n += 1
    return n


def looks_ocred(labelled: LabelledDocument) -> bool:
    return garbled_labels(labelled) >= MIN_GARBLED
