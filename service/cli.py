"""`gongkai` — the command line: extract, schema, serve, worker, synth, train, eval."""
from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Verified structured data from 政府信息公开工作年度报告.")


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"gongkai: {message}", err=True)
    raise typer.Exit(code)


def result_csv(result) -> str:
    """One row per field: id, value, raw, status, confidence, corrected_from, implied, then the report's
    who-and-when (org, org_canonical, region, year, published)."""
    from service.exports import REPORT_META_COLUMNS, report_meta

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["field", "value", "raw", "status", "confidence", "corrected_from", "implied",
                     *REPORT_META_COLUMNS])
    meta = report_meta(result)
    who = ["" if meta[c] is None else meta[c] for c in REPORT_META_COLUMNS]
    for fid, f in result.fields.items():
        writer.writerow([fid, "" if f.value is None else f.value, f.raw, f.status.value, f.confidence,
                         f.corrected_from or "", "" if f.implied is None else f.implied, *who])
    return buf.getvalue()


@app.command()
def extract(
    source: Path = typer.Argument(..., help="a report file (PDF, image, HTML, text) or a folder of them"),
    as_json: bool = typer.Option(False, "--json", help="print the full result object"),
    as_csv: bool = typer.Option(False, "--csv", help="print one row per field"),
    labeller: str = typer.Option("model", help="model (token classifier + rules, default) | rules"),
    ocr_text: bool = typer.Option(False, "--ocr-text", help="the text is OCR output: numbers may be misread"),
    out: Optional[Path] = typer.Option(None, help="for a folder: write the dataset (.csv or .xlsx) here"),
    jobs: int = typer.Option(2, help="for a folder: parallel workers"),
) -> None:
    """Extract one report (or a folder of reports into one dataset table)."""
    from extraction.document import SourceKind
    from extraction.pipeline import ExtractionError
    from extraction.pipeline import extract as run

    if source.is_dir():
        if out is None:
            _fail("a folder needs --out dataset.csv|dataset.xlsx")
        from service.exports import extract_folder

        extract_folder(source, out, jobs=jobs, labeller=labeller)
        return
    if not source.exists():
        _fail(f"no such file: {source}")
    try:
        result = run(source, labeller=labeller, source_kind=SourceKind.ocr_text if ocr_text else None)
    except ExtractionError as exc:
        _fail(str(exc), 1)
    if as_csv:
        sys.stdout.write(result_csv(result))
    elif as_json or True:
        sys.stdout.write(result.model_dump_json(indent=1) + "\n")


@app.command()
def schema() -> None:
    """Print the JSON Schema of the extraction result."""
    from extraction.result import ExtractionResult

    typer.echo(json.dumps(ExtractionResult.model_json_schema(), ensure_ascii=False, indent=1))


@app.command()
def serve(host: str = typer.Option("127.0.0.1"), port: int = typer.Option(8000)) -> None:
    """Start the HTTP service (SQLite + in-process workers unless configured otherwise)."""
    from service.api import serve as run_server
    from service.config import Settings

    run_server(host, port, Settings.from_env())


@app.command()
def worker() -> None:
    """Run a Celery worker (needs GONGKAI_BROKER_URL)."""
    from service.celery_app import run_worker
    from service.config import Settings

    run_worker(Settings.from_env())


def main() -> None:
    try:
        from training.synth.cli import register as register_synth

        register_synth(app)
    except ImportError:
        pass
    from training.model.cli import register as register_train  # imports torch only when a command runs

    register_train(app)
    from eval.cli import register as register_eval

    register_eval(app)
    app()


if __name__ == "__main__":
    main()
