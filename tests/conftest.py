"""Shared fixtures: where ../shared lives, and the seed / real reports with their gold."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SEEDS = SHARED / "data" / "seeds"
REAL = SHARED / "data" / "real"


def need_shared() -> None:
    if not SEEDS.exists():
        pytest.skip("../shared is not beside the repository")


def gold_for(path: Path) -> dict:
    stem = path.name.split(".")[0]
    return json.loads((path.parent / f"{stem}.gold.json").read_text(encoding="utf-8"))


def seed_files() -> list[Path]:
    return sorted(SEEDS.glob("*.txt")) if SEEDS.exists() else []


@pytest.fixture
def shared() -> Path:
    need_shared()
    return SHARED


CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")  # Debian fonts-wqy-zenhei, installed by `make test`


@pytest.fixture
def cjk_font() -> Path:
    """The CJK font the PDF/OCR/synth tests draw with. Missing is a failure, never a skip: a CI
    without it would silently never test the OCR path."""
    if not CJK_FONT.exists():
        pytest.fail(f"CJK font absent ({CJK_FONT}): `make test` installs fonts-wqy-zenhei")
    return CJK_FONT
