"""The HTTP service: versioned JSON API under /v1, health and metrics, and the review pages.

`create_app(settings)` builds the app; `serve(host, port, settings)` runs it with uvicorn
(`gongkai serve`). OpenAPI is published at /openapi.json, /docs (Swagger UI) and /redoc, both served
from a packaged copy of their assets (fastapi-offline), so they load without network.
"""
from __future__ import annotations

import ipaddress
import json
import logging
import secrets
import time
import uuid
from contextlib import asynccontextmanager
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi_offline import FastAPIOffline
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import Match
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from gongkai.extraction.pipeline import ExtractionError
from gongkai.extraction.result import ExtractionResult
from gongkai.service import exports
from gongkai.service.config import Settings
from gongkai.service.intake import Rejected, check_upload
from gongkai.service.jobs import JobFailure, crossyear_of, isolated_extract, result_of
from gongkai.service.logs import setup_logging
from gongkai.service.metrics import Counters, render
from gongkai.service.schemas import Health, JobPage, JobRef, JobView, Problem, Progress, Rejection, SubmitResponse
from gongkai.service.store import BlobStore, Database, Job
from gongkai.service.workers import make_dispatcher

__all__ = ["create_app", "serve", "job_view"]
log = logging.getLogger("gongkai.api")
ERRORS = {code: {"model": Problem} for code in (400, 401, 403, 404, 409, 413, 415, 422)}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_OFFSET = 2**31 - 1  # databases take 64-bit integers at most; a larger offset is a 422, not a 500


def job_view(job: Job, include_result: bool = True) -> JobView:
    return JobView(
        id=job.id, filename=job.filename, kind=job.kind, size=job.size, sha256=job.sha256, status=job.status,
        reason=job.reason, progress=Progress(pages_done=job.pages_done, pages_total=job.pages_total),
        attempts=job.attempts, created_at=job.created_at, started_at=job.started_at,
        finished_at=job.finished_at, duration_s=job.duration_s, org=job.org, year=job.year,
        confidence=job.confidence, needs_review=job.needs_review, reviewed=job.reviewed,
        crossyear=crossyear_of(job), result=result_of(job) if include_result else None)


def _check_key(request: Request) -> None:
    key = request.app.state.settings.api_key
    if not key:
        return
    given = (request.headers.get("x-api-key") or request.cookies.get("gongkai_api_key")
             or request.headers.get("authorization", "").removeprefix("Bearer ").strip())
    if not given or not secrets.compare_digest(given.encode(), key.encode()):
        raise HTTPException(401, "missing or wrong API key (send it in the X-API-Key header)")


async def _read_limited(upload: UploadFile, limit: int) -> bytes:
    chunks, size = [], 0
    while chunk := await upload.read(1 << 20):
        size += len(chunk)
        if size > limit:
            raise Rejected(413, f"file is larger than the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def cross_origin(request: Request) -> str | None:
    """Why a state-changing request is refused as cross-origin, or None.

    Browsers send `Sec-Fetch-Site` (anything but same-origin / none — a page on another port of the
    same host is `same-site` — is refused) and `Origin` (it must be this very host and port). A client
    that sends neither (curl, scripts) is not a browser page acting with the user's cookie."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return f"cross-origin request refused (Sec-Fetch-Site: {site})"
    origin = request.headers.get("origin")
    if origin is None:
        return None
    host = request.headers.get("host", "")
    # host and port must match; the scheme is not compared (a TLS proxy in front speaks http to us)
    if origin == "null" or origin.rstrip("/").partition("://")[2].lower() != host.lower():
        return f"cross-origin request refused (Origin {origin} is not this host, {host})"
    return None


def _job_filters(stmt, status, org, year, needs_review):
    if status:
        stmt = stmt.where(Job.status == status)
    if org:
        stmt = stmt.where(Job.org.contains(org))
    if year is not None:
        stmt = stmt.where(Job.year == year)
    if needs_review is not None:
        stmt = stmt.where(Job.needs_review.is_(needs_review))
    return stmt


def create_app(settings: Settings | None = None, start_workers: bool = True) -> FastAPI:
    settings = settings or Settings.from_env()
    setup_logging(settings.log_level)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.db_url)
    blobs = BlobStore(settings.blob_dir)
    dispatcher = make_dispatcher(settings, db)
    counters = Counters()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if start_workers:
            dispatcher.start()
        log.info("service started", extra={"data_dir": str(settings.data_dir),
                                           "executor": type(dispatcher).__name__})
        yield
        dispatcher.stop()

    # /docs serves Swagger UI's assets from the fastapi-offline wheel: no CDN, works offline
    app = FastAPIOffline(title="gongkai", version="1", lifespan=lifespan, static_url="/static-docs",
                  description="Structured data from 政府信息公开工作年度报告: upload reports, poll jobs, "
                              "download results, review and correct them.")
    app.state.settings, app.state.db, app.state.blobs = settings, db, blobs
    app.state.dispatcher, app.state.counters = dispatcher, counters
    auth = [Depends(_check_key)]
    sync_running = [0]  # synchronous extractions in progress (one event loop: no lock needed)

    @app.middleware("http")
    async def count_requests(request: Request, call_next):
        t0 = time.monotonic()
        if request.method in UNSAFE_METHODS and (why := cross_origin(request)):
            response = JSONResponse({"detail": why}, status_code=403)
        else:
            response = await call_next(request)
        counters.request(request.method, response.status_code)
        if request.url.path.startswith("/v1"):
            log.info("request", extra={"method": request.method, "path": request.url.path,
                                       "status": response.status_code, "ms": round(1000 * (time.monotonic() - t0))})
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError):
        """A 422 whose body is the documented `Problem` (`detail`: the reasons, one string)."""
        reasons = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors())
        return JSONResponse({"detail": reasons or "invalid request"}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # Allow: every method of the path, not just the first route's
            methods: set[str] = set()
            for route in app.router.routes:
                match, _ = route.matches(request.scope)
                if match is not Match.NONE and getattr(route, "methods", None):
                    methods |= route.methods
            headers["Allow"] = ", ".join(sorted(methods))
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(Rejected)
    async def rejected(_request: Request, exc: Rejected):
        counters.reject(exc.status)
        return JSONResponse({"detail": exc.reason}, status_code=exc.status)

    def submit_one(data: bytes, name: str | None, force: bool) -> JobRef:
        intake = check_upload(data, name, settings)
        sha = blobs.put(data)
        with db.session() as s:
            if not force and (old := s.scalars(select(Job).where(Job.dedup_key == sha)).first()):
                return JobRef(id=old.id, filename=old.filename, status=old.status, duplicate=True,
                              url=f"/v1/extractions/{old.id}")
            job = Job(dedup_key=sha if not force else f"{sha}:{uuid.uuid4().hex}", sha256=sha,
                      filename=intake.filename, kind=intake.kind, size=len(data), pages_total=intake.pages)
            s.add(job)
            try:
                s.commit()
            except IntegrityError:  # a concurrent upload of the same bytes won the race
                s.rollback()
                old = s.scalars(select(Job).where(Job.dedup_key == sha)).one()
                return JobRef(id=old.id, filename=old.filename, status=old.status, duplicate=True,
                              url=f"/v1/extractions/{old.id}")
        dispatcher.submit(job.id)
        log.info("job queued", extra={"job_id": job.id, "file": job.filename, "kind": job.kind, "bytes": len(data)})
        return JobRef(id=job.id, filename=job.filename, status=job.status, duplicate=False,
                      url=f"/v1/extractions/{job.id}")

    @app.post("/v1/extractions", status_code=202, response_model=SubmitResponse, responses=ERRORS,
              dependencies=auth, tags=["extractions"])
    async def submit(files: Annotated[list[UploadFile], File(description="one or more report files", min_length=1)],
                     force: Annotated[bool, Form(description="new job even if these bytes were seen")] = False):
        """Queue each file for extraction; answers 202 with one job per accepted file.

        The same bytes give the same job back (`duplicate: true`) unless `force` is set. If every file of
        the request is refused, the answer is that refusal (413, 415 or 422)."""
        if len(files) > settings.max_files:
            raise Rejected(413, f"{len(files)} files in one request; the limit is {settings.max_files}")
        out = SubmitResponse(jobs=[])
        for upload in files:
            try:
                data = await _read_limited(upload, settings.max_upload_bytes)
                out.jobs.append(await run_in_threadpool(submit_one, data, upload.filename, force))
            except Rejected as exc:
                counters.reject(exc.status)
                out.rejected.append(Rejection(filename=upload.filename or "", status_code=exc.status,
                                              detail=exc.reason))
        if not out.jobs:
            first = out.rejected[0] if out.rejected else Rejection(filename="", status_code=422, detail="no file")
            return JSONResponse({"detail": first.detail}, status_code=first.status_code)
        return out

    def load(job_id: str) -> Job:
        job = db.get(job_id)
        if job is None:
            raise HTTPException(404, f"no job {job_id}")
        return job

    @app.get("/v1/extractions/{job_id}", response_model=JobView, responses=ERRORS, dependencies=auth,
             tags=["extractions"])
    def get_job(job_id: str, include_result: bool = True):
        """Status (queued / running / done / failed with reason), progress in pages, and the result."""
        return job_view(load(job_id), include_result)

    @app.get("/v1/extractions/{job_id}/result.{fmt}", responses={**ERRORS, 200: {
        "content": {"application/json": {}, "text/csv": {}, "application/vnd.openxmlformats-officedocument"
                                                                ".spreadsheetml.sheet": {}}}},
             dependencies=auth, tags=["extractions"], response_class=Response)
    def get_result(job_id: str, fmt: Literal["json", "csv", "xlsx"]):
        """The result of a done job as JSON (the `ExtractionResult` contract), CSV or XLSX (one row per field)."""
        job = load(job_id)
        if job.status != "done":
            raise HTTPException(409, f"job is {job.status}" + (f": {job.reason}" if job.reason else ""))
        result = result_of(job)
        stem = job.filename.rsplit(".", 1)[0]
        if fmt == "json":
            return Response(result.model_dump_json(), media_type="application/json")
        body, media = exports.write_result(result, fmt), "text/csv" if fmt == "csv" else exports.XLSX_MEDIA
        return Response(body, media_type=media, headers={
            "Content-Disposition": f"attachment; filename=\"{job.id}.{fmt}\"; filename*=UTF-8''{_quote(stem)}.{fmt}"})

    @app.get("/v1/extractions", response_model=JobPage, responses=ERRORS, dependencies=auth, tags=["extractions"])
    def list_jobs(status: Literal["queued", "running", "done", "failed"] | None = None,
                  org: Annotated[str | None, Query(max_length=200)] = None,
                  year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
                  needs_review: bool | None = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 50,
                  offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0):
        """Jobs, newest first, filtered; results are left out (fetch one job for its result)."""
        with db.session() as s:
            total = s.scalar(_job_filters(select(func.count()).select_from(Job), status, org, year, needs_review))
            rows = s.scalars(_job_filters(select(Job), status, org, year, needs_review)
                             .order_by(Job.created_at.desc(), Job.id).limit(limit).offset(offset)).all()
        return JobPage(items=[job_view(j, False) for j in rows], total=total, limit=limit, offset=offset)

    @app.post("/v1/extract", response_model=ExtractionResult,
              responses={**ERRORS, 429: {"model": Problem}, 504: {"model": Problem}},
              dependencies=auth, tags=["extractions"])
    async def extract_now(file: Annotated[UploadFile, File(description="one small report")]):
        """Synchronous extraction for small inputs (≤ GONGKAI_SYNC_MAX_MB, ≤ GONGKAI_SYNC_MAX_PAGES pages);
        422 when the file is not an extractable report; 429 while GONGKAI_SYNC_CONCURRENCY are running
        (queue it with POST /v1/extractions instead)."""
        if sync_running[0] >= settings.sync_concurrency:
            counters.reject(429)
            return JSONResponse({"detail": f"{sync_running[0]} synchronous extractions are running; the limit "
                                           f"is {settings.sync_concurrency}: retry, or queue the file with "
                                           "POST /v1/extractions"}, status_code=429, headers={"Retry-After": "5"})
        sync_running[0] += 1
        try:
            data = await _read_limited(file, settings.sync_max_bytes)
            intake = check_upload(data, file.filename, settings, max_bytes=settings.sync_max_bytes,
                                  max_pages=settings.sync_max_pages)
            return await run_in_threadpool(isolated_extract, data, intake.filename, settings)
        except ExtractionError as exc:
            raise HTTPException(422, f"not extractable: {exc}") from None
        except JobFailure as exc:
            code = 504 if "timed out" in str(exc) else 422
            raise HTTPException(code, str(exc)) from None
        finally:
            sync_running[0] -= 1

    @app.get("/v1/export.{fmt}", responses={**ERRORS, 200: {"content": {"text/csv": {}, XLSX: {}}}}, dependencies=auth,
             tags=["datasets"], response_class=Response)
    def export(fmt: Literal["csv", "xlsx"], org: Annotated[str | None, Query(max_length=200)] = None,
               year: Annotated[int | None, Query(ge=1900, le=2200)] = None, needs_review: bool | None = None,
               status: Literal["queued", "running", "done", "failed"] = "done"):
        """One row per report: job, org, year, confidence, needs_review, then the 200 fields as columns."""
        with db.session() as s:
            jobs = s.scalars(_job_filters(select(Job), status, org, year, needs_review)
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

    @app.get("/healthz", response_model=Health, tags=["operations"])
    def healthz():
        """Liveness: the process answers."""
        return Health(status="ok")

    @app.get("/readyz", response_model=Health, responses={503: {"model": Health}}, tags=["operations"])
    def readyz():
        """Readiness: the database answers and the data dir is writable (and the broker, with Celery)."""
        checks = {}
        try:
            with db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["database"] = f"error: {exc.__class__.__name__}"
        probe = settings.data_dir / f".ready-{uuid.uuid4().hex}"
        try:
            probe.write_bytes(b"")
            probe.unlink()
            checks["data_dir"] = "ok"
        except OSError as exc:
            checks["data_dir"] = f"error: {exc.strerror}"
        if settings.broker_url:
            try:
                with dispatcher.app.connection_for_write() as conn:
                    conn.ensure_connection(max_retries=1)
                checks["broker"] = "ok"
            except Exception as exc:  # noqa: BLE001
                checks["broker"] = f"error: {exc.__class__.__name__}"
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse(Health(status="ok" if ok else "unavailable", checks=checks).model_dump(),
                            status_code=200 if ok else 503)

    @app.get("/metrics", response_class=PlainTextResponse, dependencies=auth, tags=["operations"])
    def metrics():
        """Prometheus text format: jobs by status, durations, pages, errors, HTTP requests."""
        return PlainTextResponse(render(db, counters), media_type="text/plain; version=0.0.4")

    from gongkai.service.review import mount_review  # noqa: PLC0415
    mount_review(app, auth)
    # outermost: a request for a host name we do not serve (DNS rebinding) gets 400 before anything runs
    if "*" not in settings.host_names:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.host_names)
    return app


def _quote(s: str) -> str:
    from urllib.parse import quote
    return quote(s, safe="")


WILDCARD_HOSTS = ("", "0.0.0.0", "::", "*", "[::]")


def is_loopback(host: str) -> bool:
    """The address listens on loopback only. An empty or wildcard host listens on every interface."""
    if host in WILDCARD_HOSTS:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, settings: Settings) -> Settings:
    """Refuse an off-loopback listen without an API key; serve the bound address's own name too.

    Raises SystemExit with the reason; returns the settings to serve with."""
    if not is_loopback(host) and not settings.api_key:
        shown = repr(host) if host in WILDCARD_HOSTS else host
        raise SystemExit(f"refusing to listen on {shown} (off loopback) without an API key: set GONGKAI_API_KEY "
                         "(clients send it in the X-API-Key header)")
    if host in WILDCARD_HOSTS:
        if settings.allowed_hosts == Settings.model_fields["allowed_hosts"].default:
            raise SystemExit(f"listening on every interface ({host!r}): set GONGKAI_ALLOWED_HOSTS to the host "
                             "names clients use (comma-separated, or * for any)")
        return settings
    names, name = settings.host_names, f"[{host}]" if ":" in host else host
    if "*" not in names and name not in names:
        settings = settings.model_copy(update={"allowed_hosts": ",".join([*names, name])})
    return settings


def serve(host: str = "127.0.0.1", port: int = 8000, settings: Settings | None = None) -> None:
    """Run the service (blocks). Refuses a non-loopback address unless GONGKAI_API_KEY is set."""
    import uvicorn  # noqa: PLC0415
    settings = check_bind(host, settings or Settings.from_env())
    uvicorn.run(create_app(settings), host=host, port=port, log_level=settings.log_level.lower(),
                access_log=False, timeout_graceful_shutdown=10)


if __name__ == "__main__":  # python -m gongkai.service.api [host] [port]
    import sys
    serve(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1", int(sys.argv[2]) if len(sys.argv) > 2 else 8000)
