"""What every router needs, in one place: the app's shared objects (built once by `create_app` and kept
on `app.state`) as FastAPI dependencies, the API-key check, and the error responses the routes document.

Routes ask for `SettingsDep`, `DatabaseDep`, … instead of closing over `create_app`'s locals, so each area's
router is a plain module and a test can build the state however it likes."""
from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from gongkai.service.config import Settings
from gongkai.service.metrics import Counters
from gongkai.service.schemas import Problem
from gongkai.service.store import BlobStore, Database, Job
from gongkai.service.workers import Dispatcher

__all__ = ["AUTH", "ERRORS", "BlobsDep", "CountersDep", "DatabaseDep", "DispatcherDep", "SettingsDep",
           "authorised", "check_key", "load_job"]

# the error answers a JSON route documents: each a `Problem` body
ERRORS = {code: {"model": Problem} for code in (400, 401, 403, 404, 409, 413, 415, 422)}


def check_key(request: Request) -> None:
    """With GONGKAI_API_KEY set, the key must come in `X-API-Key`, the `gongkai_api_key` cookie (the
    review pages) or `Authorization: Bearer`; compared in constant time."""
    key = request.app.state.settings.api_key
    if not key:
        return
    given = (request.headers.get("x-api-key") or request.cookies.get("gongkai_api_key")
             or request.headers.get("authorization", "").removeprefix("Bearer ").strip())
    if not given or not secrets.compare_digest(given.encode(), key.encode()):
        raise HTTPException(401, "missing or wrong API key (send it in the X-API-Key header)")


def authorised(request: Request) -> bool:
    """`check_key` as a yes/no, for the HTML pages (they answer a login page, not a 401 body)."""
    try:
        check_key(request)
        return True
    except HTTPException:
        return False


AUTH = [Depends(check_key)]


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _db(request: Request) -> Database:
    return request.app.state.db


def _blobs(request: Request) -> BlobStore:
    return request.app.state.blobs


def _dispatcher(request: Request) -> Dispatcher:
    return request.app.state.dispatcher


def _counters(request: Request) -> Counters:
    return request.app.state.counters


SettingsDep = Annotated[Settings, Depends(_settings)]
DatabaseDep = Annotated[Database, Depends(_db)]
BlobsDep = Annotated[BlobStore, Depends(_blobs)]
DispatcherDep = Annotated[Dispatcher, Depends(_dispatcher)]
CountersDep = Annotated[Counters, Depends(_counters)]


def load_job(db: Database, job_id: str) -> Job:
    """The job, or 404 naming it."""
    job = db.get(job_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id}")
    return job
