"""Which 勾稽 constraints the current values break: the one check, for the reconciler and a review save.

A constraint is checked only when every one of its cells has a value (printed, or implied by the sums
on a cell not printed as a number). A missing or blank cell is not 0: a constraint over it is not
known to hold or to break, so it is skipped — counting it as 0 would report a break the report never
printed (and a review save would then call it the source's own error).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gongkai.extraction import fields as F

__all__ = ["BrokenConstraint", "broken_constraints", "TOLERANCE", "CONSTRAINED"]

TOLERANCE = 1e-9  # the two sides are sums of integers (fees are in no constraint): any difference breaks
CONSTRAINED = sorted({f for _, lhs, rhs in F.CONSTRAINTS for f in (*lhs, *rhs)})  # the cells some constraint sums


@dataclass(frozen=True)
class BrokenConstraint:
    """One constraint whose sides differ: its name, its cells and the two sums."""

    name: str
    lhs: list[str]
    rhs: list[str]
    lhs_value: float
    rhs_value: float

    @property
    def difference(self) -> float:
        return self.lhs_value - self.rhs_value


def broken_constraints(values: Mapping[str, int | float | None]) -> list[BrokenConstraint]:
    """The constraints `values` (field id → value, None or absent when the cell has none) break, in the
    contract's order; a constraint with any cell without a value is skipped, never summed as 0."""
    out = []
    for name, lhs, rhs in F.CONSTRAINTS:
        cells = [*lhs, *rhs]
        if any(values.get(f) is None for f in cells):
            continue
        lv = sum(values[f] for f in lhs)
        rv = sum(values[f] for f in rhs)
        if abs(lv - rv) > TOLERANCE:
            out.append(BrokenConstraint(name, list(lhs), list(rhs), lv, rv))
    return out
