"""Datasets: folders of sources with gold; real reports share one gold between several sources."""
from __future__ import annotations

import shutil

import pytest

from eval.datasets import folder_samples, load_gold, resolve
from tests.conftest import REAL, SEEDS, need_shared


def test_real_reports_take_missing_and_source_errors_from_meta():
    need_shared()
    samples = {s.id: s for s in folder_samples(REAL, "real")}
    hz = samples["hongze_qu_2023.pdf"]
    assert samples["hongze_qu_2023.pdftotext.txt"].gold is hz.gold
    assert hz.gold.source_errors == {"t4.review", "t4.litigation_after_review"}
    assert len(hz.gold.missing) == 21 and not set(hz.gold.scored) & hz.gold.missing
    assert hz.layout == "pdf"


def test_a_user_folder_and_limit(tmp_path):
    need_shared()
    for p in sorted(SEEDS.iterdir())[:6]:
        shutil.copy(p, tmp_path)
    ds = resolve(str(tmp_path), limit=2)
    assert len(ds.samples) == 2 and ds.note == "first 2 of 3"
    assert load_gold(SEEDS / ds.samples[0].id.replace(".txt", ".gold.json")).fields == ds.samples[0].gold.fields


def test_unknown_dataset_is_an_error():
    with pytest.raises(FileNotFoundError, match="unknown dataset"):
        resolve("no-such-split")


def test_a_synthetic_split_is_generated_on_demand(tmp_path):
    ds = resolve("crawler", bench_dir=tmp_path, limit=2)
    assert [s.id for s in ds.samples] == ["text-1003-000000.txt", "text-1003-000001.txt"]
    assert ds.samples[0].gold.layout == "crawler" and ds.note == "first 2 of 300"
