"""Hand-made gold and results for the metric tests."""
from __future__ import annotations

from gongkai.eval.datasets import Gold
from gongkai.eval.runner import SlimCorrection, SlimField, SlimMeta, SlimResult, SlimViolation


def gold(fields, missing=(), source_errors=(), org="某区人民政府", year=2023) -> Gold:
    return Gold(org=org, year=year, fields=dict(fields), missing=frozenset(missing),
                source_errors=frozenset(source_errors))


def result(values, *, conf=0.99, corrected=None, corrections=(), violations=(), review=False, org="某区人民政府",
           year=2023, doc_conf=0.9) -> SlimResult:
    corrected = corrected or {}
    return SlimResult(
        meta=SlimMeta(org, year),
        fields={k: SlimField(v, conf, corrected.get(k)) for k, v in values.items()},
        violations=[SlimViolation(c, kind) for c, kind in violations],
        corrections=[SlimCorrection(f, a) for f, a in corrections],
        confidence=doc_conf, needs_review=review)
