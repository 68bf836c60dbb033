"""The API surface, pinned: every (method, path) of the app and its OpenAPI document, so a reorganisation
of the routes (routers per area, shared dependencies) cannot change what clients see.

The snapshot is `fixtures/openapi.json`. Regenerate it only on a deliberate API change:
`GONGKAI_UPDATE_OPENAPI=1 .venv/bin/python -m pytest -q tests/service/test_service_routes.py`.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from fastapi.testclient import TestClient

from gongkai.service.api import create_app
from gongkai.service.http import routes_of

SNAPSHOT = Path(__file__).parent / "fixtures" / "openapi.json"

ROUTES = {
    ("GET", "/"), ("GET", "/review/{job_id}"),
    ("POST", "/v1/extractions"), ("GET", "/v1/extractions"), ("GET", "/v1/extractions/{job_id}"),
    ("GET", "/v1/extractions/{job_id}/result.{fmt}"), ("POST", "/v1/extract"), ("GET", "/v1/export.{fmt}"),
    ("PUT", "/v1/extractions/{job_id}/review"), ("GET", "/v1/extractions/{job_id}/cells/{field_id}/crop.png"),
    ("GET", "/v1/extractions/{job_id}/cells/{field_id}/source"),
    ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"),
    # FastAPI's own: the OpenAPI document and its two viewers (served offline)
    ("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/docs/oauth2-redirect"), ("GET", "/redoc"),
}


def _routes(app) -> set[tuple[str, str]]:
    return {(m, r.path) for r in routes_of(app) for m in (getattr(r, "methods", None) or ()) if m != "HEAD"}


def test_the_app_serves_exactly_these_routes(settings):
    app = create_app(settings, start_workers=False)
    assert _routes(app) == ROUTES
    mounts = {r.path for r in routes_of(app) if not getattr(r, "methods", None)}
    assert mounts == {"/static", "/static-docs"}  # the review page's assets, Swagger UI's assets


def test_the_openapi_document_is_the_snapshot(settings):
    doc = create_app(settings, start_workers=False).openapi()
    if os.environ.get("GONGKAI_UPDATE_OPENAPI"):
        SNAPSHOT.write_text(json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    assert doc == json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def test_a_wrong_method_is_405_naming_every_method_of_the_path(client):
    r = client.delete("/v1/extractions")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, POST"
    assert r.json() == {"detail": "Method Not Allowed"}
    r = client.post("/v1/extractions/abc")
    assert r.status_code == 405 and r.headers["allow"] == "GET"
