"""Review: the pages (upload + job list at `/`, one report at `/review/{id}`, server-rendered with a little
JS) and the JSON endpoints they use — save a review, a cell's crop of the page image (PDFs, images) or its
source line (text, HTML); see `service.review.crops`. Their assets are mounted at /static by `create_app`."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel
from sqlalchemy import select

from gongkai.extraction.result import ExtractionResult
from gongkai.extraction.review_policy import decide
from gongkai.service import crossyear
from gongkai.service.deps import AUTH, BlobsDep, DatabaseDep, SettingsDep, authorised
from gongkai.service.jobs import crossyear_of, result_of
from gongkai.service.layout import TABLE2, TABLE3_COLUMNS, TABLE3_ROWS, TABLE4_GROUPS, TABLE4_OUTCOMES, field_label
from gongkai.service.review.crops import IMAGE_KINDS, LINE_KINDS, cell_crop, source_line
from gongkai.service.review.labelled import UnknownField, apply_edits, write_labelled
from gongkai.service.routers.extractions import job_view
from gongkai.service.schemas import Problem, ReviewRequest, ReviewResponse
from gongkai.service.store import Database, Job

__all__ = ["router", "STATIC_DIR"]
REVIEW_DIR = Path(__file__).resolve().parents[1] / "review"
STATIC_DIR = REVIEW_DIR / "static"
router = APIRouter()


class CellSource(BaseModel):
    page: int | None
    line: int | None
    text: str
    cell: str


def _colour(conf: float) -> str:
    return f"hsl({round(120 * max(0.0, min(1.0, conf)) ** 2)}, 70%, 86%)"


templates = Jinja2Templates(directory=REVIEW_DIR / "templates")
templates.env.globals.update(field_label=field_label, colour=_colour)


def _login(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "login.html", {}, status_code=401)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index(request: Request, db: DatabaseDep, status: str | None = None, page: int = 0):
    if not authorised(request):
        return _login(request)
    with db.session() as s:
        stmt = select(Job).order_by(Job.created_at.desc())
        if status in ("queued", "running", "done", "failed"):
            stmt = stmt.where(Job.status == status)
        jobs = s.scalars(stmt.limit(50).offset(50 * max(0, page))).all()
    return templates.TemplateResponse(request, "index.html", {"jobs": jobs, "status": status, "page": page})


@router.get("/review/{job_id}", response_class=HTMLResponse, include_in_schema=False)
def review(request: Request, job_id: str, db: DatabaseDep):
    if not authorised(request):
        return _login(request)
    job = db.get(job_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id}")
    result = result_of(job)
    violated: dict[str, list[str]] = {}
    for v in result.violations if result else []:
        for cell in v.cells or v.lhs + v.rhs:
            violated.setdefault(cell, []).append(v.constraint)
    findings = crossyear_of(job)
    for f in findings:
        violated.setdefault(f["field"], []).append(f["kind"])
    corrections = {c.field: c for c in result.corrections} if result else {}
    return templates.TemplateResponse(request, "review.html", {
        "job": job, "result": result, "fields": result.fields if result else {}, "violated": violated,
        "corrections": corrections, "findings": findings, "table2": TABLE2, "t3_rows": TABLE3_ROWS,
        "t3_cols": TABLE3_COLUMNS, "t4_groups": TABLE4_GROUPS, "t4_outcomes": TABLE4_OUTCOMES,
        "crops": job.kind == "pdf" or job.kind in IMAGE_KINDS})


@router.put("/v1/extractions/{job_id}/review", response_model=ReviewResponse, dependencies=AUTH,
            responses={c: {"model": Problem} for c in (400, 401, 403, 404, 409, 422)}, tags=["review"])
def save_review(job_id: str, body: ReviewRequest, settings: SettingsDep, db: DatabaseDep, blobs: BlobsDep):
    """Save a reviewer's corrections: the job's result gets them (human_verified) and the report is
    stored as a labelled example under `$GONGKAI_DATA_DIR/labelled/<job-id>/`."""
    with db.session() as s:
        job = s.get(Job, job_id)
        if job is None:
            raise HTTPException(404, f"no job {job_id}")
        if job.status != "done":
            raise HTTPException(409, f"job is {job.status}; only done jobs can be reviewed")
        try:
            result = apply_edits(ExtractionResult.model_validate_json(job.result_json), body.fields)
        except UnknownField as exc:
            raise HTTPException(422, str(exc)) from None
        if body.org is not None:  # the reviewer's spelling: canonical name and region follow it
            from gongkai.extraction.meta import canonical_agency  # noqa: PLC0415
            agency = canonical_agency(body.org)
            result.meta.org, result.meta.org_canonical, result.meta.region = (
                body.org, agency.canonical, agency.region)
        if body.year is not None:
            result.meta.year = body.year
        decide(result, reviewed=True)  # the same review policy decides on the saved review
        job.result_json, job.reviewed = result.model_dump_json(), True
        job.org, job.year, job.needs_review = result.meta.org, result.meta.year, result.needs_review
        job.org_canonical = result.meta.org_canonical
        s.flush()  # the database takes the save (or refuses it) before any file is written
        gold = settings.labelled_dir / job.id / f"{Path(job.filename).stem}.gold.json"  # write_labelled's path
        before = gold.read_bytes() if gold.exists() else None
        gold = write_labelled(settings.labelled_dir, job.id, job.filename, blobs.get(job.sha256), result)
        try:
            s.commit()
        except Exception:  # nothing is written unless the whole save commits: put the file back
            gold.write_bytes(before) if before is not None else gold.unlink(missing_ok=True)
            raise
    crossyear.refresh(db, job_id)
    return ReviewResponse(job=job_view(db.get(job_id)), labelled_dir=str(gold.parent), gold_file=str(gold))


def _cell_of(db: Database, job_id: str, field_id: str):
    job = db.get(job_id)
    result = result_of(job) if job else None
    cell = result.fields.get(field_id) if result else None
    if cell is None:
        raise HTTPException(404, f"no job {job_id}" if result is None else f"no field {field_id}")
    return job, cell


@router.get("/v1/extractions/{job_id}/cells/{field_id}/crop.png", dependencies=AUTH, tags=["review"],
            responses={200: {"content": {"image/png": {}}}, 404: {"model": Problem}}, response_class=Response)
def crop(job_id: str, field_id: str, db: DatabaseDep, blobs: BlobsDep):
    """The cell's region of the page image (PDFs and images, see `service.review.crops`); 404 when there
    is none (text and HTML sources: see `…/source`)."""
    job, cell = _cell_of(db, job_id, field_id)
    if cell.provenance is None or cell.provenance.box is None:
        raise HTTPException(404, "no page region for this cell")
    from gongkai.extraction.ingest.checks import PDFIUM_LOCK  # noqa: PLC0415 - pdfium is not thread-safe
    with PDFIUM_LOCK:
        png = cell_crop(blobs.get(job.sha256), job.kind, cell.provenance)
    if png is None:
        raise HTTPException(404, "this source has no page image")
    return Response(png, media_type="image/png")


@router.get("/v1/extractions/{job_id}/cells/{field_id}/source", response_model=CellSource, dependencies=AUTH,
            tags=["review"], responses={404: {"model": Problem}})
def source(job_id: str, field_id: str, db: DatabaseDep, blobs: BlobsDep):
    """The source line the cell was read from (text and HTML sources; PDFs and images: see crop.png)."""
    job, cell = _cell_of(db, job_id, field_id)
    if job.kind not in LINE_KINDS:
        raise HTTPException(404, "this source has page images, not text lines: see crop.png")
    line = source_line(blobs.get(job.sha256), job.filename, cell.provenance)
    if line is None:
        raise HTTPException(404, "no source line for this cell")
    return CellSource(page=line.page, line=line.line, text=line.text, cell=line.cell)
