"""Extractions: submit reports (queued jobs, or one small report at once), a job's status, the job list."""
from __future__ import annotations

import logging
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from gongkai.extraction.pipeline import ExtractionError
from gongkai.extraction.result import ExtractionResult
from gongkai.service.deps import AUTH, ERRORS, BlobsDep, CountersDep, DatabaseDep, DispatcherDep, SettingsDep, load_job
from gongkai.service.intake import Rejected, check_upload
from gongkai.service.jobs import JobFailure, crossyear_of, isolated_extract, result_of
from gongkai.service.schemas import JobPage, JobRef, JobView, Problem, Progress, Rejection, SubmitResponse
from gongkai.service.store import BlobStore, Database, Job, job_filters
from gongkai.service.workers import Dispatcher

__all__ = ["router", "job_view"]
log = logging.getLogger("gongkai.api")
router = APIRouter(tags=["extractions"], dependencies=AUTH)
MAX_OFFSET = 2**31 - 1  # databases take 64-bit integers at most; a larger offset is a 422, not a 500
Status = Literal["queued", "running", "done", "failed"]


def job_view(job: Job, include_result: bool = True) -> JobView:
    return JobView(
        id=job.id, filename=job.filename, kind=job.kind, size=job.size, sha256=job.sha256, status=job.status,
        reason=job.reason, progress=Progress(pages_done=job.pages_done, pages_total=job.pages_total),
        attempts=job.attempts, created_at=job.created_at, started_at=job.started_at,
        finished_at=job.finished_at, duration_s=job.duration_s, org=job.org, year=job.year,
        confidence=job.confidence, needs_review=job.needs_review, reviewed=job.reviewed,
        crossyear=crossyear_of(job), result=result_of(job) if include_result else None)


async def read_limited(upload: UploadFile, limit: int) -> bytes:
    """The upload's bytes, refused (413) as soon as they pass `limit`: a huge body is never held whole."""
    chunks, size = [], 0
    while chunk := await upload.read(1 << 20):
        size += len(chunk)
        if size > limit:
            raise Rejected(413, f"file is larger than the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _ref(job: Job, duplicate: bool) -> JobRef:
    return JobRef(id=job.id, filename=job.filename, status=job.status, duplicate=duplicate,
                  url=f"/v1/extractions/{job.id}")


def submit_one(data: bytes, name: str | None, force: bool, settings, db: Database, blobs: BlobStore,
               dispatcher: Dispatcher) -> JobRef:
    intake = check_upload(data, name, settings)
    sha = blobs.put(data)
    with db.session() as s:
        if not force and (old := s.scalars(select(Job).where(Job.dedup_key == sha)).first()):
            return _ref(old, duplicate=True)
        job = Job(dedup_key=sha if not force else f"{sha}:{uuid.uuid4().hex}", sha256=sha,
                  filename=intake.filename, kind=intake.kind, size=len(data), pages_total=intake.pages)
        s.add(job)
        try:
            s.commit()
        except IntegrityError:  # a concurrent upload of the same bytes won the race
            s.rollback()
            return _ref(s.scalars(select(Job).where(Job.dedup_key == sha)).one(), duplicate=True)
    dispatcher.submit(job.id)
    log.info("job queued", extra={"job_id": job.id, "file": job.filename, "kind": job.kind, "bytes": len(data)})
    return _ref(job, duplicate=False)


@router.post("/v1/extractions", status_code=202, response_model=SubmitResponse, responses=ERRORS)
async def submit(files: Annotated[list[UploadFile], File(description="one or more report files", min_length=1)],
                 settings: SettingsDep, db: DatabaseDep, blobs: BlobsDep, dispatcher: DispatcherDep,
                 counters: CountersDep,
                 force: Annotated[bool, Form(description="new job even if these bytes were seen")] = False):
    """Queue each file for extraction; answers 202 with one job per accepted file.

    The same bytes give the same job back (`duplicate: true`) unless `force` is set. If every file of
    the request is refused, the answer is that refusal (413, 415 or 422)."""
    if len(files) > settings.max_files:
        raise Rejected(413, f"{len(files)} files in one request; the limit is {settings.max_files}")
    out = SubmitResponse(jobs=[])
    for upload in files:
        try:
            data = await read_limited(upload, settings.max_upload_bytes)
            out.jobs.append(await run_in_threadpool(submit_one, data, upload.filename, force, settings, db, blobs,
                                                    dispatcher))
        except Rejected as exc:
            counters.reject(exc.status)
            out.rejected.append(Rejection(filename=upload.filename or "", status_code=exc.status,
                                          detail=exc.reason))
    if not out.jobs:
        first = out.rejected[0] if out.rejected else Rejection(filename="", status_code=422, detail="no file")
        return JSONResponse({"detail": first.detail}, status_code=first.status_code)
    return out


@router.get("/v1/extractions/{job_id}", response_model=JobView, responses=ERRORS)
def get_job(job_id: str, db: DatabaseDep, include_result: bool = True):
    """Status (queued / running / done / failed with reason), progress in pages, and the result."""
    return job_view(load_job(db, job_id), include_result)


@router.get("/v1/extractions", response_model=JobPage, responses=ERRORS)
def list_jobs(db: DatabaseDep, status: Status | None = None,
              org: Annotated[str | None, Query(max_length=200)] = None,
              year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
              needs_review: bool | None = None,
              limit: Annotated[int, Query(ge=1, le=500)] = 50,
              offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0):
    """Jobs, newest first, filtered; results are left out (fetch one job for its result)."""
    with db.session() as s:
        total = s.scalar(job_filters(select(func.count()).select_from(Job), status, org, year, needs_review))
        rows = s.scalars(job_filters(select(Job), status, org, year, needs_review)
                         .order_by(Job.created_at.desc(), Job.id).limit(limit).offset(offset)).all()
    return JobPage(items=[job_view(j, False) for j in rows], total=total, limit=limit, offset=offset)


@router.post("/v1/extract", response_model=ExtractionResult,
             responses={**ERRORS, 429: {"model": Problem}, 504: {"model": Problem}})
async def extract_now(request: Request, file: Annotated[UploadFile, File(description="one small report")],
                      settings: SettingsDep, counters: CountersDep):
    """Synchronous extraction for small inputs (≤ GONGKAI_SYNC_MAX_MB, ≤ GONGKAI_SYNC_MAX_PAGES pages);
    422 when the file is not an extractable report; 429 while GONGKAI_SYNC_CONCURRENCY are running
    (queue it with POST /v1/extractions instead)."""
    state = request.app.state  # sync_running: extractions in progress (one event loop: no lock needed)
    if state.sync_running >= settings.sync_concurrency:
        counters.reject(429)
        return JSONResponse({"detail": f"{state.sync_running} synchronous extractions are running; the limit "
                                       f"is {settings.sync_concurrency}: retry, or queue the file with "
                                       "POST /v1/extractions"}, status_code=429, headers={"Retry-After": "5"})
    state.sync_running += 1
    try:
        data = await read_limited(file, settings.sync_max_bytes)
        intake = check_upload(data, file.filename, settings, max_bytes=settings.sync_max_bytes,
                              max_pages=settings.sync_max_pages)
        return await run_in_threadpool(isolated_extract, data, intake.filename, settings)
    except ExtractionError as exc:
        raise HTTPException(422, f"not extractable: {exc}") from None
    except JobFailure as exc:
        code = 504 if "timed out" in str(exc) else 422
        raise HTTPException(code, str(exc)) from None
    finally:
        state.sync_running -= 1
