"""`gongkai train`: pretrain, fine-tune, export and retrain the token classifier.

    gongkai train pretrain --data data/train/text,data/train/html --val data/train/val_text --out runs/mlm
    gongkai train finetune --data ... --val ... --init runs/mlm/best --out runs/tag
    gongkai train export --model runs/tag/best --out models/weights --version tc-1
    gongkai train labelled --version tc-2   # the review store → retrain → promote (README)

Every run resumes from the latest checkpoint in its --out folder. Needs the `train` extra
(`pip install -e '.[train]'`: torch, transformers, onnx).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

__all__ = ["register", "train_app"]

train_app = typer.Typer(add_completion=False, no_args_is_help=True,
                        help="Train the token classifier (needs the `train` extra).")


def _dirs(spec: str) -> list[Path]:
    return [Path(p) for p in spec.split(",") if p.strip()]


def _cfg(steps: int, batch: int, window: int, lr: float, eval_every: int, patience: int, seed: int):
    from gongkai.training.model.trainer import TrainConfig

    return TrainConfig(steps=steps, batch=batch, window=window, lr=lr, eval_every=eval_every,
                       save_every=min(50, eval_every), patience=patience, seed=seed, warmup=min(50, steps // 10 + 1))


@train_app.command()
def pretrain(
    data: str = typer.Option(..., help="comma-separated synthetic folders (with *.labels.json)"),
    val: str = typer.Option(..., help="comma-separated validation folders"),
    out: Path = typer.Option(Path("runs/mlm"), help="output folder (resumed if it has a checkpoint)"),
    text: str = typer.Option("", help="comma-separated folders of unlabelled *.txt reports (MLM only)"),
    steps: int = typer.Option(300), batch: int = typer.Option(16), window: int = typer.Option(256),
    lr: float = typer.Option(1e-3), eval_every: int = typer.Option(100), patience: int = typer.Option(5),
    seed: int = typer.Option(13),
    hidden: int = typer.Option(128), layers: int = typer.Option(2), heads: int = typer.Option(4),
    intermediate: int = typer.Option(256),
) -> None:
    """Masked-LM pretraining of a fresh character BERT."""
    from gongkai.training.model.pretrain import pretrain as run
    from gongkai.training.model.trainer import ModelSize

    extra = [p for d in _dirs(text) for p in sorted(d.glob("*.txt"))]
    res = run(_dirs(data), _dirs(val), out, _cfg(steps, batch, window, lr, eval_every, patience, seed),
              ModelSize(hidden, layers, heads, intermediate), extra_text=extra)
    typer.echo(json.dumps(res))


@train_app.command()
def finetune(
    data: str = typer.Option(..., help="comma-separated synthetic folders (with *.labels.json)"),
    val: str = typer.Option(..., help="comma-separated validation folders"),
    init: Path = typer.Option(..., "--init", "--base-model", help="pretrained folder (HF format + vocab)"),
    out: Path = typer.Option(Path("runs/tag"), help="output folder (resumed if it has a checkpoint)"),
    labelled: Optional[Path] = typer.Option(None, help="folder of labelled reports (source + .gold.json)"),
    steps: int = typer.Option(2000), batch: int = typer.Option(16), window: int = typer.Option(256),
    lr: float = typer.Option(1e-3), eval_every: int = typer.Option(100), patience: int = typer.Option(5),
    seed: int = typer.Option(13),
) -> None:
    """Token-classification fine-tuning (optionally with weakly labelled real reports mixed in)."""
    from gongkai.training.model.finetune import finetune as run

    extra = []
    if labelled:
        from gongkai.training.model.weak import weak_examples

        extra = weak_examples(labelled)
    res = run(_dirs(data), _dirs(val), init, out, _cfg(steps, batch, window, lr, eval_every, patience, seed),
              extra=extra, extra_repeat=20 if extra else 1)
    typer.echo(json.dumps(res))


@train_app.command()
def export(
    model: Path = typer.Option(..., help="fine-tuned folder (HF format + vocab.json)"),
    out: Path = typer.Option(Path("models/weights")),
    version: str = typer.Option(..., help="model version, goes into the output fingerprint"),
    quantize: bool = typer.Option(True, help="also write a dynamic-int8 ONNX and ship it"),
) -> None:
    """Export to ONNX (+ int8) with the JSON the runtime labeller reads."""
    from gongkai.training.model.export import export as run

    typer.echo(json.dumps(run(model, out, version, quantize=quantize)))


@train_app.command("labelled")
def retrain_labelled(
    labelled: Optional[Path] = typer.Option(None, "--labelled",
                                            help="labelled reports, searched recursively (default: the review "
                                                 "store $GONGKAI_DATA_DIR/labelled)"),
    version: str = typer.Option(..., help="version of the retrained model (a new one each run)"),
    data: str = typer.Option("", help="synthetic folders mixed in (default: generated into --out)"),
    val: str = typer.Option("", help="validation folders (default: generated)"),
    bench: str = typer.Option("", help="folders with gold scored before/after (default: generated, held out)"),
    weights: Optional[Path] = typer.Option(None, help="model to start from (default: the one served now)"),
    out: Path = typer.Option(Path("runs/retrain")),
    steps: int = typer.Option(300), seed: int = typer.Option(13),
    synth_n: int = typer.Option(200, help="synthetic reports generated to mix in (when --data is not given)"),
    synth_limit: int = typer.Option(400, help="at most this many synthetic reports per run"),
    bench_n: int = typer.Option(20, help="held-out synthetic reports generated to score (when --bench is not given)"),
    tolerance: float = typer.Option(0.002, help="largest benchmark field-accuracy loss still promoted"),
    promote: bool = typer.Option(True, help="promote to $GONGKAI_DATA_DIR/models/<version> when no regression"),
) -> None:
    """Fine-tune the served model on reviewed reports + synthetic data; promote it if it does not regress."""
    from gongkai.models.promoted import default_data_dir
    from gongkai.training.model.retrain import RetrainError, retrain

    labelled = labelled or default_data_dir() / "labelled"
    try:
        res = retrain(labelled, _dirs(data), _dirs(val), _dirs(bench), weights, out, version, steps=steps,
                      seed=seed, synth_limit=synth_limit, promote=promote, tolerance=tolerance,
                      synth_n=synth_n, bench_n=bench_n)
    except (RetrainError, FileExistsError, ValueError) as exc:
        typer.echo(f"gongkai train labelled: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(res, ensure_ascii=False))


def register(main_app: typer.Typer) -> None:
    main_app.add_typer(train_app, name="train")
