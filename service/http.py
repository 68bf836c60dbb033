"""What wraps every route: the cross-origin refusal and request counting (middleware) and the error
bodies (exception handlers) — one `Problem` shape (`{"detail": …}`) for every error the app answers."""
from __future__ import annotations

import logging
import time

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from gongkai.service.intake import Rejected

try:  # FastAPI ≥ 0.16x keeps an included router as one lazy node of app.routes: walk through it
    from fastapi.routing import iter_route_contexts as _flat
except ImportError:  # older FastAPI copies the routes into app.routes
    def _flat(routes):
        return iter(routes)

__all__ = ["install", "cross_origin", "routes_of", "UNSAFE_METHODS"]
log = logging.getLogger("gongkai.api")
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


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


def routes_of(app: FastAPI):
    """Every route of the app, those of the included routers one by one (each has `path`, `methods`,
    `matches`)."""
    return _flat(app.router.routes)


async def _count_requests(request: Request, call_next):
    t0 = time.monotonic()
    if request.method in UNSAFE_METHODS and (why := cross_origin(request)):
        response = JSONResponse({"detail": why}, status_code=403)
    else:
        response = await call_next(request)
    request.app.state.counters.request(request.method, response.status_code)
    if request.url.path.startswith("/v1"):
        log.info("request", extra={"method": request.method, "path": request.url.path,
                                   "status": response.status_code, "ms": round(1000 * (time.monotonic() - t0))})
    return response


async def _invalid(_request: Request, exc: RequestValidationError):
    """A 422 whose body is the documented `Problem` (`detail`: the reasons, one string)."""
    reasons = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors())
    return JSONResponse({"detail": reasons or "invalid request"}, status_code=422)


async def _http_error(request: Request, exc: StarletteHTTPException):
    headers = dict(exc.headers or {})
    if exc.status_code == 405:  # Allow: every method of the path, not just the first route's
        methods: set[str] = set()
        for route in routes_of(request.app):
            match, _ = route.matches(request.scope)
            if match is not Match.NONE and getattr(route, "methods", None):
                methods |= route.methods
        headers["Allow"] = ", ".join(sorted(methods))
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)


async def _rejected(request: Request, exc: Rejected):
    request.app.state.counters.reject(exc.status)
    return JSONResponse({"detail": exc.reason}, status_code=exc.status)


def install(app: FastAPI) -> None:
    """The middleware and the exception handlers, on `app`."""
    app.middleware("http")(_count_requests)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Rejected, _rejected)
