"""Fixtures for the service tests (helpers live in service_helpers.py, importable by name)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from service_helpers import settings_for  # noqa: E402

from gongkai.service.config import Settings  # noqa: E402


@pytest.fixture
def settings(tmp_path) -> Settings:
    return settings_for(tmp_path / "data")


@pytest.fixture
def client(settings):
    from fastapi.testclient import TestClient
    from gongkai.service.api import create_app
    with TestClient(create_app(settings)) as c:
        yield c
