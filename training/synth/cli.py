"""`gongkai synth`: generate a synthetic corpus, or the fixed benchmark splits.

Wire into the main CLI (gongkai/cli.py) with one line:  `synth.register(app)`  — or call
`synth_command(...)` from your own typer command. Also runnable alone: `python -m gongkai.training.synth`.
"""
from __future__ import annotations

import time
from pathlib import Path

import typer

__all__ = ["synth_command", "register", "app"]


def synth_command(n: int = 100, kinds: str = "text", seed: int = 0, out: Path = Path("data/synth"),
                  source_error_rate: float = 0.05, noise: str = "mixed", layouts: str | None = None,
                  split: str | None = None, progress: bool = True) -> dict:
    """Generate `n` samples per kind (comma-separated `kinds`) into `out`; or, with `split`
    ("all" or a name from training/synth/splits.py), build benchmark splits under `out/<split>/`.
    Returns {"samples": count, "seconds": wall time}."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from gongkai.training.synth.splits import SPLITS, build_split
    from gongkai.training.synth.corpus import generate
    from gongkai.training.synth.noise import LEVELS
    from gongkai.training.synth.sample import KINDS, SampleSpec  # here, not at import: `gongkai --help` stays fast

    t0 = time.time()
    cols = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*cols, disable=not progress) as bar:
        if split:
            names = list(SPLITS) if split == "all" else split.split(",")
            total = 0
            for name in names:
                task = bar.add_task(f"split {name}", total=SPLITS[name].n)
                total += len(build_split(name, Path(out), progress=lambda k, t=task: bar.advance(t, k)))
            return {"samples": total, "seconds": round(time.time() - t0, 1)}
        kind_list = [k.strip() for k in kinds.split(",") if k.strip()]
        bad = [k for k in kind_list if k not in KINDS]
        if bad:
            raise typer.BadParameter(f"unknown kinds {bad}; choose from {list(KINDS)}")
        if noise != "mixed" and noise not in LEVELS:
            raise typer.BadParameter(f"noise must be mixed or one of {list(LEVELS)}")
        noise_mix = {"clean": 2, "light": 2, "heavy": 1} if noise == "mixed" else {noise: 1}
        lay = {k: 1 for k in layouts.split(",")} if layouts else None

        def spec_for(kind: str) -> SampleSpec:
            return SampleSpec(kind=kind, layouts=lay, noise=noise_mix, source_error_rate=source_error_rate)

        task = bar.add_task("synth", total=n * len(kind_list))
        rows = generate(Path(out), n, kind_list, seed, spec_for, progress=lambda k: bar.advance(task, k))
    return {"samples": len(rows), "seconds": round(time.time() - t0, 1)}


def synth(
    n: int = typer.Option(100, "--n", help="samples per kind"),
    kinds: str = typer.Option("text", help="comma-separated: text,html,pdf,scan"),
    seed: int = typer.Option(0, help="global seed; sample i uses (seed, kind, i)"),
    out: Path = typer.Option(Path("data/synth"), help="output directory"),
    source_error_rate: float = typer.Option(0.05, help="share of reports with a misprinted total"),
    noise: str = typer.Option("mixed", help="mixed, clean, light or heavy (text kind)"),
    layouts: str = typer.Option(None, help="restrict text/html layouts, e.g. tsv,crawler"),
    split: str = typer.Option(None, help="build benchmark split(s) instead: a name from training/synth/splits.py or all"),
) -> None:
    """Generate synthetic annual reports with exact gold labels."""
    from gongkai.training.synth.pdf import FontMissing

    try:
        res = synth_command(n, kinds, seed, out, source_error_rate, noise, layouts, split)
    except FontMissing as exc:  # one line, not a traceback
        typer.echo(f"gongkai synth: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{res['samples']} samples in {res['seconds']} s -> {out}")


def register(main_app: typer.Typer) -> None:
    main_app.command("synth")(synth)


app = typer.Typer(add_completion=False)
app.command()(synth)
