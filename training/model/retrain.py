"""Retraining on reviewed reports: weak labels → fine-tune the served model with synthetic data mixed
in → export → score before/after on a benchmark → promote only if it does not regress.

The loop from the review page to the model that serves (README, "From reviewed reports to the model
that serves"): the review store `$GONGKAI_DATA_DIR/labelled/<job-id>/` holds each reviewed source
(text, HTML, PDF, scan, image) with its `.gold.json`; `gongkai train labelled` reads it recursively,
starts from the model served now, and a promoted model goes to `$GONGKAI_DATA_DIR/models/<version>/`
(`models.promoted`) — never into the source tree — where the next extraction picks it up.

Without `--data` / `--val` / `--bench`, the synthetic mix is generated into the run folder: text and
HTML reports of every layout (`synth_n` to train on, a tenth as many to validate, `bench_n` held
out to score), with fixed seeds, so two runs on the same store train on the same data.
"""
from __future__ import annotations

import json
from pathlib import Path

from gongkai.models.promoted import current_weights_dir, models_dir, promote as promote_weights
from gongkai.models.token_classifier import ModelLabeller
from gongkai.training.model.evaluate import evaluate_folder
from gongkai.training.model.export import export
from gongkai.training.model.finetune import finetune
from gongkai.training.model.trainer import TrainConfig
from gongkai.training.model.weak import labelled_reports, weak_examples

__all__ = ["retrain", "bench_accuracy", "synthetic_mix", "RetrainError"]

SYNTH_KINDS = ["text", "html"]  # what the synthetic mix holds: the kinds whose char labels are exact


class RetrainError(RuntimeError):
    """Nothing sensible to train on (no labelled reports); the CLI prints it and exits 1."""


def bench_accuracy(weights: Path, bench: list[Path], limit: int | None = None) -> dict:
    """Field accuracy (and token macro F1) of the network alone (`pure` mode: the rules play no
    part) in `weights` on each benchmark folder."""
    lab = ModelLabeller.from_dir(weights)  # the network alone
    out = {}
    for folder in bench:
        r = evaluate_folder(folder, {"model": lab}, limit=limit)["model"]
        out[folder.name] = {"field_accuracy": r["field_accuracy"], "token_macro_f1": r["token_macro_f1"]}
    return out


def _mean(scores: dict) -> float:
    return sum(v["field_accuracy"] for v in scores.values()) / max(1, len(scores))


def synthetic_mix(out: Path, synth_n: int, bench_n: int, seed: int) -> tuple[list[Path], list[Path], list[Path]]:
    """Generate (train, val, bench) synthetic folders under `out/synth/` (kept: a rerun reuses them)."""
    from gongkai.training.synth.corpus import generate
    from gongkai.training.synth.sample import SampleSpec

    def spec(kind: str) -> SampleSpec:
        return SampleSpec(kind=kind, noise={"clean": 2, "light": 2, "heavy": 1}, source_error_rate=0.05)

    folders = []
    for name, n, s in (("train", synth_n, seed), ("val", max(2, synth_n // 10), seed + 1),
                       ("bench", bench_n, seed + 2)):
        folder = Path(out) / "synth" / f"{name}-{n}-{s}"
        if not (folder / "manifest.jsonl").exists():
            generate(folder, max(1, n // len(SYNTH_KINDS)), SYNTH_KINDS, s, spec)
        folders.append([folder])
    return folders[0], folders[1], folders[2]


def retrain(labelled: Path, data: list[Path] | None, val: list[Path] | None, bench: list[Path] | None,
            weights: Path | None, out: Path, version: str, steps: int = 300, seed: int = 13,
            synth_limit: int = 400, promote: bool = True, repeat: int = 20, lr: float = 3e-4,
            bench_limit: int | None = None, tolerance: float = 0.002, synth_n: int = 200, bench_n: int = 20,
            data_dir: Path | None = None) -> dict:
    out = Path(out)
    found = labelled_reports(labelled)
    if not found:
        raise RetrainError(f"no labelled reports under {labelled}: expected <source file> + <stem>.gold.json "
                           "pairs (the review page writes them to $GONGKAI_DATA_DIR/labelled/<job-id>/)")
    if promote and (models_dir(data_dir) / version).exists():  # before hours of training, not after
        raise FileExistsError(f"model version {version} is already promoted ({models_dir(data_dir) / version}); "
                              "choose a new --version")
    weights = Path(weights) if weights else current_weights_dir(data_dir)
    if not (data and val and bench):
        gen_data, gen_val, gen_bench = synthetic_mix(out, synth_n, bench_n, seed)
        data, val, bench = data or gen_data, val or gen_val, bench or gen_bench
    extra = weak_examples(labelled)
    cfg = TrainConfig(steps=steps, lr=lr, warmup=min(30, steps // 10 + 1), eval_every=max(1, steps // 3),
                      save_every=max(1, min(50, steps // 3)), patience=3, seed=seed)
    res = finetune(data, val, weights, out / "tag", cfg, extra=extra, extra_repeat=repeat, train_limit=synth_limit)
    info = export(out / "tag" / "best", out / "weights", version)
    before = bench_accuracy(weights, bench, bench_limit)
    after = bench_accuracy(out / "weights", bench, bench_limit)
    # no folder may lose more than `tolerance`, and the mean may not fall by more than it either
    promoted = promote and _mean(after) >= _mean(before) - tolerance and all(
        after[k]["field_accuracy"] >= before[k]["field_accuracy"] - tolerance for k in before)
    print(f"benchmark field accuracy before: {json.dumps(before)}")
    print(f"benchmark field accuracy after:  {json.dumps(after)}")
    served = None
    if promoted:
        served = promote_weights(out / "weights", version, data_dir)
        print(f"promoted: model {version} in {served}; the next extraction uses it")
    else:
        print("not promoted" + ("" if promote else " (--no-promote)"))
    return {"train": res, "export": info["files"], "before": before, "after": after, "promoted": promoted,
            "model_dir": str(served) if served else None, "labelled_reports": len(extra),
            "base_model": str(weights)}
