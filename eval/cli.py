"""`gongkai eval` (benchmarks and report) and `gongkai eval calibrate` (fit the calibrator)."""
from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import List, Optional

import typer

__all__ = ["app", "register"]

app = typer.Typer(add_completion=False, invoke_without_command=True,
                  help="Benchmarks: accuracy, calibration, review rate, time; ablations; --compare gates promotion.")


@app.callback()
def eval_command(
    ctx: typer.Context,
    dataset: Optional[List[str]] = typer.Option(
        None, "--dataset", "-d", help="seeds | real | a synthetic split (training/synth/splits.py) | a folder; repeatable "
        "(default: real — the real files and seeds, per family — + every synthetic split)"),
    report: Path = typer.Option(Path("out/eval"), help="write metrics.json, report.md, report.html, plots here"),
    ablations: str = typer.Option("rules/full,rules/no_alternatives,rules/off,model/full",
                                  help="LABELLER/RECONCILE list; the first is the primary one"),
    limit: Optional[int] = typer.Option(None, help="first N samples of each dataset"),
    scan_limit: Optional[int] = typer.Option(None, help="first N samples of the scan splits (OCR is slow)"),
    compare: Optional[Path] = typer.Option(None, help="an older metrics.json: show deltas, exit 1 on regression"),
    tolerance: float = typer.Option(0.002, help="allowed drop in field accuracy with --compare"),
    calibration: Optional[Path] = typer.Option(None, help="calibrator JSON (default models/calibration.json)"),
    timeout: float = typer.Option(60.0, help="seconds per document and ablation before it counts as failed"),
    workers: int = typer.Option(2, help="worker processes (at most 2)"),
    no_cache: bool = typer.Option(False, "--no-cache", help="re-ingest (re-OCR) every file"),
    no_progress: bool = typer.Option(False, "--no-progress"),
    note: Optional[List[str]] = typer.Option(None, help="a line to print in the report (repeatable)"),
    records: Optional[Path] = typer.Option(None, help="also save the raw per-document records here (pickle)"),
    from_records: Optional[Path] = typer.Option(None, help="re-score saved records instead of running "
                                                "(e.g. after `gongkai eval calibrate`)"),
) -> None:
    """Run the benchmarks and write the report (see eval/README.md)."""
    if ctx.invoked_subcommand is not None:
        return
    from gongkai.eval.harness import evaluate

    metrics, regressions = evaluate(
        dataset or (), report=report, ablations=ablations, limit=limit, scan_limit=scan_limit, compare_to=compare,
        tolerance=tolerance, calibration=calibration, timeout=timeout, workers=workers, progress=not no_progress,
        cache=not no_cache, command="gongkai " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
        save_records=records, from_records=from_records, extra_notes=note or ())
    typer.echo(f"field accuracy {metrics['field_accuracy']:.4%}, document exact {metrics['document_exact']:.2%}, "
               f"cell ECE {metrics['ece']['cell']}, review rate {metrics['review']['review_rate']} → {report}/report.md")
    if regressions:
        typer.echo("regression: " + "; ".join(regressions), err=True)
        raise typer.Exit(1)


@app.command("calibrate")
def calibrate(
    dataset: Optional[List[str]] = typer.Option(None, "--dataset", "-d", help="validation data (default: the val-* splits)"),
    limit: Optional[int] = typer.Option(None, help="first N samples of each dataset"),
    scan_limit: Optional[int] = typer.Option(None, help="first N samples of the scan splits (OCR is slow)"),
    out: Path = typer.Option(None, help="default models/calibration.json"),
    target: float = typer.Option(0.0, help="max share of auto-accepted documents with any wrong field (contract: 0)"),
    labeller: str = typer.Option("model", help="the labeller the calibrated pipeline runs with (default: model)"),
    timeout: float = typer.Option(120.0),
    real: bool = typer.Option(True, "--real/--synthetic-only",
                              help="fit on the real reports + seeds too (and record their leave-one-org-out figures)"),
    reuse: bool = typer.Option(False, help="refit from the records the last run kept (no extraction)"),
) -> None:
    """Fit cell/document calibration and the review threshold on the validation splits (+ real reports)."""
    from gongkai.eval.calibrate import VALIDATION, calibrate_command
    from gongkai.extraction.confidence import CALIBRATION_FILE

    cal = calibrate_command(dataset or list(VALIDATION), limit, out or CALIBRATION_FILE, target, labeller, timeout,
                            scan_limit=scan_limit, real=real, reuse=reuse)
    typer.echo(f"review threshold {cal['review_threshold']}: review rate {cal['validation_review_rate']:.1%}, "
               f"residual error {cal['validation_residual_error']:.2%} → {out or CALIBRATION_FILE}")
    loo = cal.get("real_leave_one_org_out")
    if loo:
        typer.echo(f"real + seeds, leave-one-organisation-out: silent errors {loo['silent_errors']}, confident wrong "
                   f"cells {loo['confident_wrong_cells']}, review rate {loo['review_rate']:.1%}, cell ECE "
                   f"{loo['ece_cell']:.4f}, document ECE {loo['ece_document']:.3f}")


def register(main_app: typer.Typer) -> None:
    main_app.add_typer(app, name="eval")
