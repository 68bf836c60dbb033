"""CSV / XLSX exports: one report (a row per field) and datasets (a row per report, 200 field columns).

`extract_folder` is `gongkai extract DIR --out dataset.xlsx`: parallel extraction with a progress bar.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from gongkai.extraction.fields import ALL_FIELDS
from gongkai.extraction.pipeline import ExtractionError
from gongkai.extraction.result import ExtractionResult
from gongkai.service.config import Settings
from gongkai.service.layout import field_label

__all__ = ["RESULT_HEADER", "result_rows", "write_result", "dataset_header", "dataset_row", "write_dataset",
           "to_csv", "to_xlsx", "extract_folder", "FOLDER_SUFFIXES", "neutralise"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet runs as a formula at a cell's start

REPORT_META_COLUMNS = ["org", "org_canonical", "province", "city", "county", "region_code", "year", "published"]
RESULT_HEADER = ["field", "label", "value", "raw", "status", "confidence", "corrected_from", "implied",
                 "human_verified"] + REPORT_META_COLUMNS  # the report's who-and-when on every row
META_COLUMNS = ["job_id", "file", "org", "org_canonical", "province", "city", "county", "region_code", "year",
                "published", "status", "reason", "confidence", "needs_review", "reviewed", "violations",
                "crossyear_findings"]
LABEL_HEADER = ["column", "label"]
FOLDER_SUFFIXES = {".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".html", ".htm", ".txt", ".md"}
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def result_rows(result: ExtractionResult) -> list[list]:
    rows = []
    meta = report_meta(result)
    who = [meta[c] for c in REPORT_META_COLUMNS]
    for fid in ALL_FIELDS:
        f = result.fields.get(fid)
        if f is None:
            rows.append([fid, field_label(fid), None, "", "missing", 0.0, None, None, False] + who)
            continue
        rows.append([fid, field_label(fid), f.value, f.raw, f.status.value, round(f.confidence, 4),
                     f.corrected_from, f.implied, f.human_verified] + who)
    return rows


def report_meta(result: ExtractionResult) -> dict:
    """The result's who-and-when as flat columns (org as printed, canonical, region, year, published)."""
    m, region = result.meta, result.meta.region
    return {"org": m.org, "org_canonical": m.org_canonical, "province": region and region.province,
            "city": region and region.city, "county": region and region.county,
            "region_code": region and region.code, "year": m.year,
            "published": m.published.isoformat() if m.published else None}


def write_result(result: ExtractionResult, fmt: str, bom: bool = True) -> bytes:
    """One report as CSV (a row per field) or XLSX (that sheet plus its violations). `bom`: start the
    CSV with a UTF-8 BOM (files, so Excel reads the Chinese right; not for a stream on stdout)."""
    if fmt == "csv":
        return to_csv(RESULT_HEADER, result_rows(result), bom)
    return to_xlsx({"fields": (RESULT_HEADER, result_rows(result)),
                    "violations": (VIOLATION_HEADER, violation_rows(result))})


def dataset_header() -> list[str]:
    return META_COLUMNS + ALL_FIELDS


def dataset_row(meta: dict, result: ExtractionResult | None) -> list:
    meta = {**(report_meta(result) if result else {}), **{k: v for k, v in meta.items() if v is not None}}
    row = [meta.get(c) for c in META_COLUMNS]
    values = result.values() if result else {}
    return row + [values.get(fid) for fid in ALL_FIELDS]


def _status_row(meta: dict, result: ExtractionResult | None) -> list:
    """A report's cell statuses (number / blank / slash / text / missing): what an empty value cell was."""
    row = [meta.get(c) for c in META_COLUMNS]
    return row + [(result.fields[fid].status.value if fid in result.fields else "missing") if result else None
                  for fid in ALL_FIELDS]


def write_dataset(reports: list[tuple[dict, ExtractionResult | None]], fmt: str) -> bytes:
    """Many reports, a row each (meta columns, then the 200 field values), for `gongkai extract DIR --out`
    and GET /v1/export. CSV: that one table. XLSX: sheet `reports` (values), sheet `status` (each cell's
    status, so blank, `/` and missing stay apart) and sheet `labels` (column id → Chinese label)."""
    rows = [dataset_row(m, r) for m, r in reports]
    if fmt == "csv":
        return to_csv(dataset_header(), rows)
    labels = [[c, c] for c in META_COLUMNS] + [[fid, field_label(fid)] for fid in ALL_FIELDS]
    return to_xlsx({"reports": (dataset_header(), rows),
                    "status": (dataset_header(), [_status_row(m, r) for m, r in reports]),
                    "labels": (LABEL_HEADER, labels)})


def to_csv(header: list[str], rows: Iterable[list], bom: bool = True) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([neutralise(h) for h in header])
    w.writerows([neutralise(v) for v in r] for r in rows)
    return buf.getvalue().encode("utf-8-sig" if bom else "utf-8")  # BOM: Excel opens Chinese CSV correctly


def to_xlsx(sheets: dict[str, tuple[list[str], Iterable[list]]]) -> bytes:
    from openpyxl import Workbook  # noqa: PLC0415
    wb = Workbook(write_only=True)
    for title, (header, rows) in sheets.items():
        ws = wb.create_sheet(title[:31])
        ws.append(header)
        for r in rows:
            ws.append([_cell(v) for v in r])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def neutralise(v):
    """A text cell that a spreadsheet would run as a formula (`=1+2`, `@SUM(…)`, a leading tab…) gets a
    leading apostrophe: shown as text, never evaluated. Every CSV and XLSX writer passes cells here."""
    if isinstance(v, str) and v.startswith(FORMULA_START):
        return "'" + v
    return v


def _cell(v):
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False)
    return neutralise(v)


def violation_rows(result: ExtractionResult) -> list[list]:
    return [[v.constraint, v.kind.value, " + ".join(v.lhs), " + ".join(v.rhs), v.lhs_value, v.rhs_value,
             v.difference, ", ".join(v.cells)] for v in result.violations]


VIOLATION_HEADER = ["constraint", "kind", "lhs", "rhs", "lhs_value", "rhs_value", "difference", "cells"]


def extract_folder(folder: str | Path, out: str | Path, jobs: int | None = None,
                   settings: Settings | None = None, progress: bool = True, labeller: str | None = None) -> dict:
    """Extract every report under `folder` in parallel and write one dataset (.xlsx or .csv by suffix).

    Failed files are rows with status 'failed' and a reason. Consecutive years of one organisation are
    cross-checked (carried_over(N) = carried_forward(N−1)). Returns {"done": n, "failed": n, "out": path}."""
    from rich.progress import Progress  # noqa: PLC0415
    from gongkai.service.crossyear import agency_key, compare  # noqa: PLC0415
    from gongkai.service.intake import Rejected, check_upload  # noqa: PLC0415
    from gongkai.service.jobs import JobFailure, isolated_extract  # noqa: PLC0415

    settings = settings or Settings.from_env()
    if labeller is not None:
        settings = settings.model_copy(update={"labeller": labeller})
    folder, out = Path(folder), Path(out)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in FOLDER_SUFFIXES
                   and not p.name.startswith("."))
    results: dict[Path, tuple[dict, ExtractionResult | None]] = {}

    def one(path: Path):
        meta = {"file": str(path.relative_to(folder)), "status": "failed"}
        try:
            data = path.read_bytes()
            intake = check_upload(data, path.name, settings)
            res = isolated_extract(data, intake.filename, settings)
        except (Rejected, ExtractionError, JobFailure, OSError) as exc:
            meta["reason"] = getattr(exc, "reason", None) or str(exc)
            return path, meta, None
        meta.update(status="done", org=res.meta.org, year=res.meta.year, confidence=round(res.confidence, 4),
                    needs_review=res.needs_review, violations=len(res.violations))
        return path, meta, res

    with Progress(disable=not progress, transient=False) as bar, \
            ThreadPoolExecutor(max_workers=max(1, jobs or settings.workers)) as pool:
        task = bar.add_task(f"extracting {len(files)} files", total=len(files))
        for fut in as_completed([pool.submit(one, p) for p in files]):
            path, meta, res = fut.result()
            results[path] = (meta, res)
            bar.advance(task)

    by_key = {(agency_key(r.meta.org, r.meta.org_canonical), r.meta.year): (m, r)
              for m, r in results.values() if r is not None}
    for (org, year), (meta, res) in by_key.items():
        prev = by_key.get((org, year - 1)) if org and year else None
        if prev:
            on_prev, on_cur = compare(prev[1].values(), res.values(), year - 1, year)
            meta["crossyear_findings"] = "; ".join(f.message for f in on_cur) or None
            if on_prev:
                prev[0]["crossyear_findings"] = "; ".join(
                    filter(None, [prev[0].get("crossyear_findings"), *(f.message for f in on_prev)]))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(write_dataset([results[p] for p in files], "csv" if out.suffix.lower() == ".csv" else "xlsx"))
    done = sum(1 for m, _ in results.values() if m["status"] == "done")
    return {"done": done, "failed": len(files) - done, "out": str(out)}
