"""Retraining on newly labelled reports: weak labels → fine-tune the current model with synthetic
data mixed in → export → score before/after on a benchmark → promote only if it does not regress."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from models.token_classifier import ModelLabeller
from training.model.evaluate import evaluate_folder
from training.model.export import export
from training.model.finetune import finetune
from training.model.trainer import TrainConfig
from training.model.weak import weak_examples

__all__ = ["retrain", "bench_accuracy"]


def bench_accuracy(weights: Path, bench: list[Path], limit: int | None = None) -> dict:
    """Field accuracy (and token macro F1) of the network alone (`pure` mode: the rules play no
    part) in `weights` on each benchmark folder."""
    lab = ModelLabeller.from_dir(weights, mode="pure")
    out = {}
    for folder in bench:
        r = evaluate_folder(folder, {"model": lab}, limit=limit)["model"]
        out[folder.name] = {"field_accuracy": r["field_accuracy"], "token_macro_f1": r["token_macro_f1"]}
    return out


def _mean(scores: dict) -> float:
    return sum(v["field_accuracy"] for v in scores.values()) / max(1, len(scores))


def retrain(labelled: Path, data: list[Path], val: list[Path], bench: list[Path], weights: Path, out: Path,
            version: str, steps: int = 300, seed: int = 13, synth_limit: int = 400, promote: bool = True,
            repeat: int = 20, lr: float = 3e-4, bench_limit: int | None = None,
            tolerance: float = 0.002) -> dict:
    out = Path(out)
    extra = weak_examples(labelled)
    cfg = TrainConfig(steps=steps, lr=lr, warmup=min(30, steps // 10 + 1), eval_every=max(1, steps // 3),
                      save_every=max(1, min(50, steps // 3)), patience=3, seed=seed)
    res = finetune(data, val, weights, out / "tag", cfg, extra=extra, extra_repeat=repeat, train_limit=synth_limit)
    info = export(out / "tag" / "best", out / "weights", version)
    before = bench_accuracy(weights, bench, bench_limit)
    after = bench_accuracy(out / "weights", bench, bench_limit)
    # no folder may lose more than `tolerance`, and the mean must not fall
    promoted = promote and _mean(after) >= _mean(before) and all(
        after[k]["field_accuracy"] >= before[k]["field_accuracy"] - tolerance for k in before)
    print(f"benchmark field accuracy before: {json.dumps(before)}")
    print(f"benchmark field accuracy after:  {json.dumps(after)}")
    print("promoted: new model written over " + str(weights) if promoted else "not promoted")
    if promoted:
        for p in (out / "weights").iterdir():
            if p.is_file():
                shutil.copy(p, Path(weights) / p.name)
    return {"train": res, "export": info["files"], "before": before, "after": after, "promoted": promoted,
            "labelled_reports": len(extra)}
