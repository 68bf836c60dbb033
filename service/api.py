"""The HTTP service: versioned JSON API under /v1, health and metrics, and the review pages.

`create_app(settings)` builds the app; `serve(host, port, settings)` runs it with uvicorn
(`gongkai serve`). OpenAPI is published at /openapi.json, /docs (Swagger UI) and /redoc, both served
from a packaged copy of their assets (fastapi-offline), so they load without network.
"""
from __future__ import annotations

import ipaddress
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.middleware.trustedhost import TrustedHostMiddleware

from gongkai.service import http
from gongkai.service.config import Settings
from gongkai.service.http import cross_origin
from gongkai.service.logs import setup_logging
from gongkai.service.metrics import Counters
from gongkai.service.routers import ROUTERS
from gongkai.service.routers.extractions import job_view
from gongkai.service.routers.review import STATIC_DIR
from gongkai.service.store import BlobStore, Database
from gongkai.service.workers import make_dispatcher

__all__ = ["create_app", "serve", "job_view", "cross_origin", "check_bind", "is_loopback"]
log = logging.getLogger("gongkai.api")


def create_app(settings: Settings | None = None, start_workers: bool = True) -> FastAPI:
    """The app: its shared objects on `app.state` (what `service.deps` hands the routes), the middleware
    and error handlers (`service.http`), the routers of every area (`service.routers`)."""
    settings = settings or Settings.from_env()
    setup_logging(settings.log_level)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.db_url)
    dispatcher = make_dispatcher(settings, db)

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
    app.state.settings, app.state.db, app.state.blobs = settings, db, BlobStore(settings.blob_dir)
    app.state.dispatcher, app.state.counters = dispatcher, Counters()
    app.state.sync_running = 0  # synchronous extractions in progress (POST /v1/extract)
    http.install(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # outermost: a request for a host name we do not serve (DNS rebinding) gets 400 before anything runs
    if "*" not in settings.host_names:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.host_names)
    return app


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
