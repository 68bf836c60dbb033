"""Retraining demo: a text layout the model never saw (pipe_lines: a `|` line opens each row, then
one `cell |` per line) is learned from 3 labelled reports (source + gold only, no char labels).

    python -m gongkai.training.model.demo_retrain --weights models/weights --out runs/demo [--no-promote]

Generates 3 "newly labelled" reports of the layout (seed 6001) and 30 further ones to score
(seed 6002), retrains with `gongkai train labelled`'s code path and prints field accuracy on the
30 before and after (rules for reference). The regression check also scores 15 validation
reports of the trained layouts; the new model is promoted only if neither regresses.
"""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from gongkai.training.model.evaluate import evaluate_folder
from gongkai.training.model.retrain import retrain
from gongkai.training.synth.corpus import generate
from gongkai.training.synth.sample import SampleSpec

LAYOUT = "pipe_lines"
NOISE = {"clean": 1, "light": 1, "heavy": 1}


def make_sets(out: Path, n_labelled: int = 3, n_eval: int = 30) -> tuple[Path, Path]:
    spec = SampleSpec(kind="text", layouts={LAYOUT: 1}, noise=NOISE, source_error_rate=0.05)
    gen = out / "generated"
    generate(gen, n_labelled, ["text"], 6001, lambda _k: spec)
    labelled = out / "labelled"
    labelled.mkdir(parents=True, exist_ok=True)
    for src in sorted(gen.glob("*.txt")):  # a labelled report is its source and its gold, nothing else
        shutil.copy(src, labelled / src.name)
        shutil.copy(src.with_name(src.stem + ".gold.json"), labelled / (src.stem + ".gold.json"))
    held_out = out / "held_out_eval"
    generate(held_out, n_eval, ["text"], 6002, lambda _k: spec)
    return labelled, held_out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", type=Path, default=Path("models/weights"))
    ap.add_argument("--out", type=Path, default=Path("runs/demo"))
    ap.add_argument("--data", default="data/train/text,data/train/html")
    ap.add_argument("--val", default="data/train/val_text,data/train/val_html")
    ap.add_argument("--regression", type=Path, default=Path("data/train/val_text"))
    ap.add_argument("--version", required=True)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--n-regression", type=int, default=15)
    ap.add_argument("--no-promote", action="store_true")
    args = ap.parse_args()
    labelled, held_out = make_sets(args.out)
    reg = args.out / "regression"
    if not reg.exists():  # validation reports of the trained layouts
        reg.mkdir(parents=True)
        for src in sorted(args.regression.glob("*.txt"))[:args.n_regression]:
            for suffix in (".txt", ".gold.json", ".labels.json"):
                shutil.copy(src.with_name(src.stem + suffix), reg / (src.stem + suffix))
    rules = evaluate_folder(held_out, ["rules"])["rules"]
    res = retrain(labelled, [Path(p) for p in args.data.split(",")], [Path(p) for p in args.val.split(",")],
                  [held_out, reg], args.weights, args.out / "retrain", args.version, steps=args.steps,
                  promote=not args.no_promote)
    summary = {"layout": LAYOUT, "labelled_reports": res["labelled_reports"], "eval_reports": 30,
               "rules_on_held_out": {"field_accuracy": rules["field_accuracy"],
                                     "token_macro_f1": rules["token_macro_f1"]},
               "before": res["before"], "after": res["after"], "promoted": res["promoted"]}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False))
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
