"""The speed report (eval/speed.py): its statistics, its layout, and (slow) one small real run."""
from __future__ import annotations

from pathlib import Path

import pytest

from gongkai.eval.speed import ScanTiming, TextTiming, render_report, summarize
from tests.conftest import REAL, need_shared, seed_files


def test_summary_is_median_nearest_rank_p95_and_max():
    s = summarize([float(x) for x in range(1, 21)])  # 1..20
    assert (s.n, s.median, s.p95, s.max) == (20, 10.5, 19.0, 20.0)
    assert summarize([3.0]).p95 == 3.0
    assert summarize([]).n == 0


def test_report_has_a_row_per_kind_the_ratio_and_throughput():
    texts = [TextTiming(Path("a.txt"), "text", 0.1, 0.09), TextTiming(Path("b.txt"), "text", 0.3, 0.2),
             TextTiming(Path("c.html"), "html", 0.2, 0.2)]
    scans = [ScanTiming(Path("s.pdf"), 6, 9.0, 12.0, 800.0, 18.0, 30.0, 200, 200, {"det": 1.0})]
    md = render_report(texts, {"gongkai --help": (0.4, 0.3)}, scans, {("text", 2): 12.5},
                       {"b.txt": {"extract": 0.5, "reconcile (all)": 0.2}})
    assert "| text | 2 | 0.200 | 0.300 | 0.300 |" in md
    assert "| html | 1 |" in md and "| all | 3 |" in md
    assert "| s.pdf | 6 | 9.0 | 1.50 | 12.0 | 18.0 | 30.0 | 0.50 | 0.40 | 800 | 200/200 |" in md
    assert "| text | 2 | 12.50 |" in md
    assert "| b.txt | 0.50 | 0.20 |" in md


@pytest.mark.slow
def test_the_speed_benchmark_runs_end_to_end(tmp_path):
    need_shared()
    from gongkai.eval.speed import main

    out = tmp_path / "speed.md"
    files = seed_files()[:1] + sorted(REAL.glob("*.crawler.txt"))[:1]
    main(["--out", str(out), "--text", *map(str, files), "--scans", "0", "--repeats", "1", "--workers", "1",
          "--jobs", "2", "--profile", "1"])
    md = out.read_text(encoding="utf-8")
    assert "| text | 2 |" in md and "`gongkai --help`" in md and "| text | 1 |" in md
