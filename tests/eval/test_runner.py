"""The worker pool: one stuck document is killed at its timeout and recorded, the rest go on."""
from __future__ import annotations

import time

from gongkai.eval.runner import Ablation, parse_ablations, run_tasks


def _work(seconds: float) -> float:
    if seconds < 0:
        raise RuntimeError("boom")
    time.sleep(seconds)
    return seconds


def test_a_stuck_task_times_out_and_a_crash_is_reported():
    out = run_tasks(_work, [(0.0,), (30.0,), (-1.0,)], workers=2, timeout=1.0)
    assert [o[0] for o in out] == ["ok", "timeout", "crash"]
    assert out[0][1] == 0.0 and "boom" in out[2][1]


def test_parse_ablations():
    assert parse_ablations("rules/full, off ,model") == [Ablation("rules", "full"), Ablation("rules", "off"),
                                                         Ablation("model", "full")]
