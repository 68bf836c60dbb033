"""Seconds per report for the text/HTML path: `python -m gongkai.eval.timing FILE…` (median of repeats).

A benchmark, not a test: timings never go into the test suite.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from gongkai.models.registry import extract


def time_file(path: Path, repeats: int = 5) -> float:
    extract(path)  # warm imports and caches
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        extract(path)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main(argv: list[str]) -> None:
    rows = [(p, time_file(Path(p))) for p in argv]
    for p, t in rows:
        print(f"{t * 1000:7.1f} ms  {Path(p).name}")
    print(f"{statistics.median(t for _, t in rows) * 1000:7.1f} ms  median over {len(rows)} reports")


if __name__ == "__main__":
    main(sys.argv[1:])
