"""Property-based run of the published OpenAPI spec (schemathesis): no request makes the server answer 5xx."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from service_helpers import settings_for
from hypothesis import HealthCheck, settings

from gongkai.service.api import create_app

schemathesis = pytest.importorskip("schemathesis")

APP = create_app(settings_for(Path(tempfile.mkdtemp(prefix="gongkai-fuzz-")), job_timeout_s=5),
                 start_workers=False)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case):
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:300])
