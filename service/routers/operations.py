"""Operations: liveness, readiness (database, data dir, broker) and Prometheus metrics."""
from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import text

from gongkai.service.deps import AUTH, CountersDep, DatabaseDep, DispatcherDep, SettingsDep
from gongkai.service.metrics import render
from gongkai.service.schemas import Health

__all__ = ["router"]
router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health)
def healthz():
    """Liveness: the process answers."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
def readyz(settings: SettingsDep, db: DatabaseDep, dispatcher: DispatcherDep):
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


@router.get("/metrics", response_class=PlainTextResponse, dependencies=AUTH)
def metrics(db: DatabaseDep, counters: CountersDep):
    """Prometheus text format: jobs by status, durations, pages, errors, HTTP requests."""
    return PlainTextResponse(render(db, counters), media_type="text/plain; version=0.0.4")
