"""`gongkai` — the command line: extract, schema, serve, worker, synth, train, eval.

It belongs to the façade, not to a stage: it wires the commands of every stage together (the
service's serve and worker, training's synth and train, eval's eval), which no stage may import
(tests/packaging/test_layering.py). `python -m gongkai` runs it.
"""
from __future__ import annotations

import ctypes
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

# This process is ours: pydantic's plugin discovery scans every installed distribution's entry points
# (importlib.metadata, ≈ 25 ms of each command) for plugins the command line never uses. Set before
# anything imports pydantic; a caller's own PYDANTIC_DISABLE_PLUGINS wins.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

import typer  # noqa: E402

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,  # plain help: no rich import
                  help="Verified structured data from 政府信息公开工作年度报告.")


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"gongkai: {message}", err=True)
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

        from gongkai.extraction.pipeline import CODE_VERSION  # noqa: PLC0415
        try:
            typer.echo(f"gongkai {version('gongkai')} (pipeline {CODE_VERSION})")
        except PackageNotFoundError:
            typer.echo(f"gongkai {CODE_VERSION}")
        raise typer.Exit()


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                        help="print the version and exit")) -> None:
    """Verified structured data from 政府信息公开工作年度报告."""


def _warn(message: str) -> None:
    typer.echo(f"gongkai: warning: {message}", err=True)


def _page_line(done: int, total: int) -> None:
    """Per-page progress on stderr (a scanned page takes seconds): stdout stays the result."""
    typer.echo(f"page {done}/{total} read", err=True)


@contextmanager
def _native_output_to_stderr() -> Iterator[None]:
    """While extracting, file descriptor 1 points at stderr: stdout is the result alone, and native
    code may print (HiGHS' MIP search writes a line with printf when it re-solves a presolved
    incumbent), which Python's sys.stdout never sees. C's buffered stdout is flushed before the real
    stdout comes back, so nothing printed meanwhile reaches it late."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no stdout at all: nothing to keep clean
        yield
        return
    os.dup2(2, 1)
    try:
        yield
    finally:
        try:
            ctypes.CDLL(None).fflush(None)
        except (OSError, AttributeError):  # no C library to flush (not on Linux/macOS)
            pass
        os.dup2(saved, 1)
        os.close(saved)


@app.command()
def extract(
    source: Path = typer.Argument(..., help="a report file (PDF, image, HTML, text) or a folder of them"),
    as_json: bool = typer.Option(False, "--json", help="print the full result object (the default)"),
    as_csv: bool = typer.Option(False, "--csv", help="print one row per field (the layout of result.csv)"),
    labeller: str = typer.Option("model", help="model (token classifier + rules, default) | rules"),
    ocr_text: bool = typer.Option(False, "--ocr-text", help="the text is OCR output: numbers may be misread"),
    out: Optional[Path] = typer.Option(None, help="for a folder: write the dataset (.csv or .xlsx) here"),
    jobs: int = typer.Option(2, help="for a folder: parallel workers"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress on stderr"),
    model_mode: Optional[str] = typer.Option(None, envvar="GONGKAI_MODEL_MODE", show_envvar=False,
                                             help="hybrid (model fused with the rules) | pure (the network "
                                                  "alone); default: the weights' own [env GONGKAI_MODEL_MODE]"),
    calibration: str = typer.Option("", envvar="GONGKAI_CALIBRATION", show_envvar=False,
                                    help="off (raw scores) | a calibrator file; default: the shipped one "
                                         "[env GONGKAI_CALIBRATION]"),
    ocr_cells: bool = typer.Option(True, "--ocr-cells/--ocr-page", envvar="GONGKAI_OCR_CELLS", show_envvar=False,
                                   help="OCR a scan's known table cells from their own crops (the default), or "
                                        "detect text over the whole page [env GONGKAI_OCR_CELLS=0]"),
) -> None:
    """Extract one report (or a folder of reports into one dataset table)."""
    from gongkai.extraction.document import SourceKind
    from gongkai.extraction.pipeline import ExtractionError
    from gongkai.extraction.progress import on_page
    from gongkai.models.registry import build_pipeline

    if source.is_dir():
        if out is None:
            _fail("a folder needs --out dataset.csv|dataset.xlsx")
        if out.suffix.lower() not in (".csv", ".xlsx"):
            _fail(f"--out must end in .csv or .xlsx, not {out.name!r}")
        ignored = [o for o, given in (("--json", as_json), ("--csv", as_csv), ("--ocr-text", ocr_text)) if given]
        if ignored:
            _warn(f"{', '.join(ignored)} ignored for a folder (it is written to --out as one dataset)")
        from gongkai.service.config import Settings
        from gongkai.service.exports import extract_folder

        settings = Settings.from_env(labeller=labeller, model_mode=model_mode, calibration=calibration,
                                     ocr_cells=ocr_cells)
        summary = extract_folder(source, out, jobs=jobs, settings=settings, progress=not quiet)
        typer.echo(f"{summary['done']} extracted, {summary['failed']} failed -> {summary['out']}", err=True)
        return
    if not source.exists():
        _fail(f"no such file: {source}")
    if out is not None:
        _warn("--out is for a folder; a single file's result goes to stdout (use --json or --csv and redirect)")
    if jobs != 2:
        _warn("--jobs is for a folder; ignored for a single file")
    if as_json and as_csv:
        _fail("choose one of --json and --csv")
    try:
        pipeline = build_pipeline(labeller, model_mode=model_mode, calibration=calibration, ocr_cells=ocr_cells)
        with on_page(_page_line if not quiet else (lambda _d, _t: None)), _native_output_to_stderr():
            result = pipeline.extract(source, source_kind=SourceKind.ocr_text if ocr_text else None)
    except ExtractionError as exc:
        _fail(str(exc), 1)
    if as_csv:
        from gongkai.service.exports import write_result

        sys.stdout.buffer.write(write_result(result, "csv", bom=False))
        sys.stdout.flush()
    else:
        sys.stdout.write(result.model_dump_json(indent=1) + "\n")


@app.command()
def schema() -> None:
    """Print the JSON Schema of the extraction result."""
    from gongkai.extraction.result import ExtractionResult

    typer.echo(json.dumps(ExtractionResult.model_json_schema(), ensure_ascii=False, indent=1))


@app.command()
def serve(host: str = typer.Option("127.0.0.1"), port: int = typer.Option(8000)) -> None:
    """Start the HTTP service (SQLite + in-process workers unless configured otherwise)."""
    from gongkai.service.api import serve as run_server
    from gongkai.service.config import Settings

    run_server(host, port, Settings.from_env())


@app.command()
def worker() -> None:
    """Run a Celery worker (needs GONGKAI_BROKER_URL)."""
    from gongkai.service.celery_app import run_worker
    from gongkai.service.config import Settings

    run_worker(Settings.from_env())


def main() -> None:
    try:
        from gongkai.training.synth.cli import register as register_synth

        register_synth(app)
    except ImportError:
        pass
    from gongkai.training.model.cli import register as register_train  # imports torch only when a command runs

    register_train(app)
    from gongkai.eval.cli import register as register_eval

    register_eval(app)
    app()


if __name__ == "__main__":
    main()
