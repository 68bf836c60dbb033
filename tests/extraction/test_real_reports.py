"""Every real report in ../shared/data/real and every seed, through `extract()`, against its gold.

A regression on any real report fails here. The contract per file: every gold field right, or — only
where the printed text truly cannot decide (a crawler run `0 1 0 1 0` over table 4 that two readings
satisfy equally) — the gold value among the cell's candidates, the cell not confident and the document
flagged for review. Org and year right; the report's own arithmetic errors (`source_violations` in the
meta file) reported as source errors and no others.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from gongkai.models.registry import extract
from tests.conftest import REAL, SEEDS, gold_for

SUFFIXES = (".crawler.txt", ".pdftotext.txt", ".html", ".pdf")


def real_files() -> list[Path]:
    files = [p for p in sorted(REAL.glob("*")) if p.name.endswith(SUFFIXES)] if REAL.exists() else []
    return files + (sorted(SEEDS.glob("*.txt")) if SEEDS.exists() else [])


def _meta_file(path: Path) -> dict:
    meta = path.parent / f"{path.name.split('.')[0]}.meta.json"
    return json.loads(meta.read_text(encoding="utf-8")) if meta.exists() else {}


@pytest.mark.parametrize("path", real_files(), ids=lambda p: p.name)
def test_real_report_matches_gold(path):
    gold = gold_for(path)
    result = extract(path)
    wrong = {k: v for k, v in gold["fields"].items() if result.fields[k].value != v}
    for field, want in wrong.items():
        cell = result.fields[field]
        assert want in [c.value for c in cell.candidates], f"{field}: {cell.value!r} != {want!r}, not a candidate"
        assert cell.confidence < 0.9
    if wrong:
        assert result.needs_review
    assert len(wrong) <= 2, sorted(wrong)
    org, year = gold["meta"]["org"], gold["meta"]["year"]
    assert result.meta.year == year
    assert result.meta.org and (result.meta.org in org or org in result.meta.org)
    expected_errors = sorted(_meta_file(path).get("source_violations", []))
    assert sorted(v.constraint for v in result.violations if v.kind.value == "source_error") == expected_errors
    assert not any("no solution" in w for w in result.warnings)


def test_the_shared_real_set_is_all_there():
    if not REAL.exists():
        pytest.skip("../shared is not beside the repository")
    kinds = {suffix: sum(1 for p in real_files() if p.name.endswith(suffix)) for suffix in SUFFIXES}
    assert kinds[".crawler.txt"] >= 15 and kinds[".pdf"] >= 3 and kinds[".html"] >= 2
