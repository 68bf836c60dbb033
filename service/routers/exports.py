"""Exports: one done job's result as JSON, CSV or XLSX, and the dataset of many jobs (one row per report)."""
from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from sqlalchemy import select

from gongkai.service import exports
from gongkai.service.deps import AUTH, ERRORS, DatabaseDep, load_job
from gongkai.service.jobs import crossyear_of, result_of
from gongkai.service.store import Job, job_filters

__all__ = ["router"]
router = APIRouter(dependencies=AUTH)


@router.get("/v1/extractions/{job_id}/result.{fmt}", responses={**ERRORS, 200: {
    "content": {"application/json": {}, "text/csv": {}, exports.XLSX_MEDIA: {}}}},
            tags=["extractions"], response_class=Response)
def get_result(job_id: str, fmt: Literal["json", "csv", "xlsx"], db: DatabaseDep):
    """The result of a done job as JSON (the `ExtractionResult` contract), CSV or XLSX (one row per field)."""
    job = load_job(db, job_id)
    if job.status != "done":
        raise HTTPException(409, f"job is {job.status}" + (f": {job.reason}" if job.reason else ""))
    result = result_of(job)
    stem = job.filename.rsplit(".", 1)[0]
    if fmt == "json":
        return Response(result.model_dump_json(), media_type="application/json")
    body, media = exports.write_result(result, fmt), "text/csv" if fmt == "csv" else exports.XLSX_MEDIA
    return Response(body, media_type=media, headers={
        "Content-Disposition": f"attachment; filename=\"{job.id}.{fmt}\"; filename*=UTF-8''{quote(stem, safe='')}.{fmt}"})


@router.get("/v1/export.{fmt}", responses={**ERRORS, 200: {"content": {"text/csv": {}, exports.XLSX_MEDIA: {}}}},
            tags=["datasets"], response_class=Response)
def export(fmt: Literal["csv", "xlsx"], db: DatabaseDep, org: Annotated[str | None, Query(max_length=200)] = None,
           year: Annotated[int | None, Query(ge=1900, le=2200)] = None, needs_review: bool | None = None,
           status: Literal["queued", "running", "done", "failed"] = "done"):
    """One row per report: job, org, year, confidence, needs_review, then the 200 fields as columns."""
    with db.session() as s:
        jobs = s.scalars(job_filters(select(Job), status, org, year, needs_review)
                         .order_by(Job.org, Job.year, Job.created_at)).all()
    reports = []
    for j in jobs:
        result = result_of(j)
        meta = {"job_id": j.id, "file": j.filename, "org": j.org, "year": j.year, "status": j.status,
                "reason": j.reason, "confidence": j.confidence, "needs_review": j.needs_review,
                "reviewed": j.reviewed, "violations": len(result.violations) if result else None,
                "crossyear_findings": "; ".join(f["message"] for f in crossyear_of(j)) or None}
        reports.append((meta, result))
    return Response(exports.write_dataset(reports, fmt), media_type="text/csv" if fmt == "csv" else exports.XLSX_MEDIA,
                    headers={"Content-Disposition": f'attachment; filename="gongkai.{fmt}"'})
