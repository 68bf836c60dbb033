"""Datasets: folders of sources with gold; real reports share one gold between several sources."""
from __future__ import annotations

import shutil

import pytest

from gongkai.eval.datasets import folder_samples, load_gold, resolve
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


def test_real_family_comes_from_suffix_and_meta_layout_not_the_name(tmp_path):
    from gongkai.eval.datasets import real_family

    assert real_family(tmp_path / "x_2024.pdf", "x_2024") == "pdf"
    assert real_family(tmp_path / "x_2024.html", "x_2024", "one cell per line, runs collapsed") == "html"
    assert real_family(tmp_path / "x.pdftotext.txt", "x") == "pdftotext"
    assert real_family(tmp_path / "a.crawler.txt", "a", "squashed text: cells concatenated") == "squashed"
    assert real_family(tmp_path / "a.crawler.txt", "a", "one cell per line; the exporter collapses runs") == "collapsed"
    assert real_family(tmp_path / "a.crawler.txt", "a", "one HTML span per line, CRLF") == "spanline"
    assert real_family(tmp_path / "a.txt", "a", "MinerU markdown of the PDF") == "converter-md"
    assert real_family(tmp_path / "a.txt", "a", "VLM output of a scan") == "ocr-md"
    assert real_family(tmp_path / "a.crawler.txt", "a", "") == "crawler"


def test_the_real_dataset_is_every_real_file_and_every_seed_by_family():
    need_shared()
    ds = resolve("real", limit=3)  # never cut: the real files are few
    n_real = sum(1 for p in REAL.iterdir() if p.suffix in (".txt", ".html", ".pdf"))
    n_seeds = len(list(SEEDS.glob("*.txt")))
    assert len(ds.samples) == n_real + n_seeds and ds.by_family and not ds.note
    fam = {}
    for s in ds.samples:
        fam.setdefault(s.layout, []).append(s)
    assert len(fam["seeds"]) == n_seeds
    assert {s.source.suffix for s in fam["pdf"]} == {".pdf"} and {s.source.suffix for s in fam["html"]} == {".html"}
    assert all(s.source.name.endswith(".pdftotext.txt") for s in fam["pdftotext"])
    crawled = [s for s in ds.samples if s.source.name.endswith(".crawler.txt")]
    assert crawled and {s.layout for s in crawled} <= {"collapsed", "spanline", "squashed"}
    assert {"collapsed", "spanline", "squashed"} <= set(fam)


def test_a_split_written_by_another_generator_is_regenerated(tmp_path):
    first = resolve("fam-collapsed", bench_dir=tmp_path, limit=1).samples[0].source
    good = first.read_bytes()
    first.write_bytes(b"stale sample from an older generator")
    (tmp_path / "fam-collapsed" / ".generator").write_text("0000\n")
    again = resolve("fam-collapsed", bench_dir=tmp_path, limit=1).samples[0].source
    assert again.read_bytes() == good
    first.write_bytes(b"edited by hand")  # same generator: files are trusted as they are
    assert resolve("fam-collapsed", bench_dir=tmp_path, limit=1).samples[0].source.read_bytes() == b"edited by hand"
