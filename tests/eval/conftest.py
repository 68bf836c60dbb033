from __future__ import annotations

import pytest

from tests.conftest import SEEDS, need_shared


@pytest.fixture(scope="session")
def seed_result():
    """A real ExtractionResult of the first seed with its gold."""
    need_shared()
    from gongkai.eval.datasets import folder_samples
    from gongkai.models.registry import extract

    sample = folder_samples(SEEDS)[0]
    return extract(sample.source), sample.gold
