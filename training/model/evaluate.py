"""Model vs rules on benchmark samples: token-level macro F1 against the synthetic char labels and
field accuracy of the whole pipeline, plus labelling time.

    python -m gongkai.training.model.evaluate data/bench/text-noisy --limit 100 [--labellers rules,model]

Both labellers are scored the same way: their spans become per-character span labels (B/I pooled)
compared with the projected gold on non-space characters; macro over span labels present in gold.
"""
from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from gongkai.extraction.ingest import read_document
from gongkai.models.registry import extract_document, get_labeller
from gongkai.extraction.labelling import LabelledDocument, label_name
from gongkai.training.model.data import project_labels, read_source, sample_stems
from gongkai.models.ocr import BundledOcr

__all__ = ["evaluate_folder", "char_labels", "macro_f1"]


def char_labels(labelled: LabelledDocument) -> list[list[str]]:
    out = [["O"] * len(s.text) for s in labelled.document.segments]
    for sp in labelled.spans:
        name = label_name(sp.tag, sp.key)
        for k in range(sp.start, sp.end):
            out[sp.segment][k] = name
    return out


def macro_f1(pairs: list[tuple[str, str]]) -> float:
    tp: dict[str, int] = defaultdict(int)
    fp: dict[str, int] = defaultdict(int)
    fn: dict[str, int] = defaultdict(int)
    for g, p in pairs:
        if g == p:
            tp[g] += 1
        else:
            fp[p] += 1
            fn[g] += 1
    labels = {g for g, _ in pairs if g != "O"}
    f1 = [2 * tp[lab] / (2 * tp[lab] + fp[lab] + fn[lab]) if tp[lab] else 0.0 for lab in labels]
    return float(np.mean(f1)) if f1 else 0.0


def _labeller(name: str):
    """'rules', 'model' (the shipped model, hybrid) or 'model-pure' (the network alone)."""
    if name == "model-pure":
        from gongkai.models.token_classifier import WEIGHTS_DIR, ModelLabeller

        return ModelLabeller.from_dir(WEIGHTS_DIR)  # the network alone
    return get_labeller(name)


def evaluate_folder(folder: Path, labellers: list[str] | dict, limit: int | None = None, every: int = 1) -> dict:
    """`labellers`: names for `get_labeller`, or {name: Labeller}."""
    srcs = sample_stems(folder)[::every]
    if limit:
        srcs = srcs[:limit]
    labs = labellers if isinstance(labellers, dict) else {name: _labeller(name) for name in labellers}
    labellers = list(labs)
    pairs: dict[str, list] = {n: [] for n in labellers}
    right = {n: 0 for n in labellers}
    meta_ok = {n: 0 for n in labellers}
    total = 0
    secs = {n: 0.0 for n in labellers}
    by_layout: dict[str, dict[str, list[int]]] = {n: defaultdict(lambda: [0, 0]) for n in labellers}
    for src in srcs:
        stem = src.name.rsplit(".", 1)[0]
        gold = json.loads((src.parent / f"{stem}.gold.json").read_text(encoding="utf-8"))
        lab = json.loads((src.parent / f"{stem}.labels.json").read_text(encoding="utf-8"))
        data, text = read_source(src, lab.get("encoding", "utf-8"))
        doc = read_document(data, src.name, ocr=BundledOcr())
        seg_gold = project_labels(doc, text, lab["spans"])
        total += len(gold["fields"])
        for name, labeller in labs.items():
            t0 = time.perf_counter()
            labelled = labeller.label(doc)
            secs[name] += time.perf_counter() - t0
            pred = char_labels(labelled)
            for si, seg in enumerate(doc.segments):
                for ci, ch in enumerate(seg.text):
                    if ch.isspace():
                        continue
                    g = seg_gold.chars[si][ci]
                    pairs[name].append((g[1] if g else "O", pred[si][ci]))
            try:
                result = extract_document(doc, labeller=labeller)
                ok = sum(1 for k, v in gold["fields"].items() if result.fields[k].value == v)
                meta_ok[name] += (result.meta.org, result.meta.year) == (gold["meta"]["org"], gold["meta"]["year"])
            except Exception:  # noqa: BLE001 - a refusal scores zero
                ok = 0
            right[name] += ok
            lay = by_layout[name][gold.get("layout", "?")]
            lay[0] += ok
            lay[1] += len(gold["fields"])
    n = len(srcs)
    return {"folder": str(folder), "samples": n, **{name: {
        "token_macro_f1": round(macro_f1(pairs[name]), 4),
        "field_accuracy": round(right[name] / total, 4) if total else 0.0,
        "meta_accuracy": round(meta_ok[name] / n, 4) if n else 0.0,
        "label_seconds_per_doc": round(secs[name] / n, 4) if n else 0.0,
        "by_layout": {k: round(a / b, 4) for k, (a, b) in sorted(by_layout[name].items())},
    } for name in labellers}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folders", nargs="+", type=Path)
    ap.add_argument("--labellers", default="rules,model-pure,model")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--every", type=int, default=1, help="take every k-th sample")
    args = ap.parse_args()
    for folder in args.folders:
        print(json.dumps(evaluate_folder(folder, args.labellers.split(","), args.limit, args.every),
                         ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
