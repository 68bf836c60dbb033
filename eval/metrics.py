"""Benchmark metrics: pure functions over (result, gold) pairs.

`result` is an `ExtractionResult`, or `None` when the extractor refused, crashed or timed out —
then every scored field counts as wrong and the document as sent to review. `gold` is an
`eval.datasets.Gold`.

Definitions (the report repeats them):
- a field is right when its value equals gold's (floats to 1e-6); gold `None` (printed blank or
  `/`) is right only as `None`; fields in gold `missing` are never scored;
- a document is exact when every scored field is right and, where gold lists `source_errors`,
  exactly those constraints are reported as source errors;
- first reading of a field: the raw text the reconciler replaced (`corrected_from`), else the
  value itself; a correction is right when its `after` equals gold; correction recall is the
  share of fields whose first reading was wrong that end up right;
- needs_review is the pipeline's flag; residual error is the share of auto-accepted documents
  (not flagged) that are not exact;
- trust (`trust_scores`): silent errors = documents with a wrong field or org/year that are not
  flagged; confident wrong = wrong cells at confidence ≥ 0.9; residual error there counts meta too;
- ECE: |accuracy − mean confidence| per equal-width bin, weighted by the bin's share.
"""
from __future__ import annotations

import math
from typing import Iterable, Sequence

from gongkai.extraction import fields as F

__all__ = [
    "field_right", "first_reading", "parse_raw", "field_accuracy", "table_accuracy", "document_exact",
    "meta_accuracy", "constraint_pass_rate", "correction_scores", "source_error_scores", "review_scores",
    "cell_pairs", "document_pairs", "ece", "reliability", "review_curve", "threshold_for_residual",
    "summary", "Pair", "meta_right", "document_wrong", "trust_scores", "org_matches", "trust_counts", "CONFIDENT",
]

TABLES = ("t2", "t3", "t4")
Pair = tuple  # (ExtractionResult | None, Gold)


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=0.0, abs_tol=1e-6)


def field_right(result, gold, fid: str) -> bool:
    if result is None:
        return False
    f = result.fields.get(fid)
    return f is not None and _same(f.value, gold.fields[fid])


def parse_raw(raw: str | None) -> int | float | None:
    """The number a raw reading spells, or None ('', '/', words)."""
    if raw is None:
        return None
    s = raw.strip().replace(",", "").replace("，", "").replace(" ", "")
    try:
        return int(s)
    except ValueError:
        try:
            return float(s)
        except ValueError:
            return None


def first_reading(field) -> int | float | None:
    return parse_raw(field.corrected_from) if field.corrected_from is not None else field.value


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def field_accuracy(pairs: Iterable[Pair], prefix: str = "") -> float | None:
    right = total = 0
    for result, gold in pairs:
        for fid in gold.scored:
            if fid.startswith(prefix):
                total += 1
                right += field_right(result, gold, fid)
    return _ratio(right, total)


def table_accuracy(pairs: Sequence[Pair]) -> dict[str, float | None]:
    return {t: field_accuracy(pairs, t + ".") for t in TABLES}


def _kind(v) -> str:
    return getattr(v.kind, "value", v.kind)


def reported_source_errors(result) -> set[str]:
    return {v.constraint for v in result.violations if _kind(v) == "source_error"} if result else set()


def is_exact(result, gold) -> bool:
    if result is None:
        return False
    if not all(field_right(result, gold, fid) for fid in gold.scored):
        return False
    return not gold.source_errors or reported_source_errors(result) == set(gold.source_errors)


def document_exact(pairs: Sequence[Pair]) -> float | None:
    return _ratio(sum(is_exact(r, g) for r, g in pairs), len(pairs))


def meta_accuracy(pairs: Sequence[Pair]) -> dict[str, float | None]:
    n = len(pairs)
    org = sum(r is not None and r.meta.org == g.org for r, g in pairs)
    year = sum(r is not None and r.meta.year == g.year for r, g in pairs)
    both = sum(r is not None and r.meta.org == g.org and r.meta.year == g.year for r, g in pairs)
    return {"org": _ratio(org, n), "year": _ratio(year, n), "both": _ratio(both, n)}


def constraint_pass_rate(pairs: Sequence[Pair]) -> dict[str, float | None]:
    """Share of the 42 勾稽 constraints the output does not list as violated (source errors are the
    report's own and count as violated), and the share left `unresolved`."""
    done = [r for r, _ in pairs if r is not None]
    total = len(done) * len(F.CONSTRAINTS)
    broken = sum(len({v.constraint for v in r.violations}) for r in done)
    unresolved = sum(len({v.constraint for v in r.violations if _kind(v) == "unresolved"}) for r in done)
    return {"pass": _ratio(total - broken, total), "unresolved": _ratio(unresolved, total)}


def correction_scores(pairs: Sequence[Pair]) -> dict[str, float | int | None]:
    made = right = wrong_first = fixed = 0
    for result, gold in pairs:
        if result is None:
            continue
        scored = gold.scored
        for c in result.corrections:
            if c.field in scored:
                made += 1
                right += _same(c.after, scored[c.field])
        for fid, want in scored.items():
            f = result.fields[fid]
            if not _same(first_reading(f), want):
                wrong_first += 1
                fixed += _same(f.value, want)
    return {"corrections": made, "precision": _ratio(right, made), "wrong_first_readings": wrong_first,
            "recall": _ratio(fixed, wrong_first)}


def source_error_scores(pairs: Sequence[Pair]) -> dict[str, float | int | None]:
    tp = reported = expected = 0
    for result, gold in pairs:
        got = reported_source_errors(result)
        tp += len(got & set(gold.source_errors))
        reported += len(got)
        expected += len(gold.source_errors)
    return {"reported": reported, "expected": expected, "precision": _ratio(tp, reported),
            "recall": _ratio(tp, expected)}


def review_scores(pairs: Sequence[Pair]) -> dict[str, float | int | None]:
    """Review rate and the residual error among documents accepted without review."""
    n = len(pairs)
    flagged = [r is None or r.needs_review for r, _ in pairs]
    accepted = [(r, g) for (r, g), f in zip(pairs, flagged) if not f]
    bad = sum(not is_exact(r, g) for r, g in accepted)
    return {"review_rate": _ratio(sum(flagged), n), "accepted": len(accepted),
            "residual_error": _ratio(bad, len(accepted))}


def meta_right(result, gold) -> bool:
    """Org and year as the scorer judges them: an org may be printed with or without its seat
    (三明市 / 三明市人民政府), so one containing the other (two characters at least) is right."""
    if result is None:
        return False
    return org_matches(result.meta.org, gold.org) and (gold.year is None or result.meta.year == gold.year)


def document_wrong(result, gold) -> bool:
    """Any scored field wrong, a source error missed or invented, or the org/year wrong."""
    return not is_exact(result, gold) or not meta_right(result, gold)


def trust_scores(pairs: Sequence[Pair], confident: float = 0.9) -> dict[str, float | int | None]:
    """Can the confidence and the flag be trusted? silent errors: wrong documents not flagged;
    confident wrong: wrong cells at confidence ≥ `confident`; review rate; residual error: the share of
    accepted (unflagged) documents that are wrong (fields or meta)."""
    n = len(pairs)
    flagged = [r is None or r.needs_review for r, _ in pairs]
    wrong = [document_wrong(r, g) for r, g in pairs]
    accepted = [w for w, f in zip(wrong, flagged) if not f]
    confident_wrong = sum(1 for r, g in pairs if r is not None for fid in g.scored
                          if not field_right(r, g, fid) and r.fields[fid].confidence >= confident)
    right_flagged = sum(f and not w for f, w in zip(flagged, wrong))
    return {"documents": n, "wrong_documents": sum(wrong), "silent_errors": sum(w and not f for w, f in zip(wrong, flagged)),
            "confident_wrong_cells": confident_wrong, "review_rate": _ratio(sum(flagged), n),
            "right_documents_flagged": right_flagged, "accepted": len(accepted),
            "residual_error": _ratio(sum(accepted), len(accepted))}


def cell_pairs(pairs: Iterable[Pair]) -> list[tuple[float, bool]]:
    """(confidence, right) for every scored field of every document the extractor returned."""
    out = []
    for result, gold in pairs:
        if result is None:
            continue
        for fid in gold.scored:
            out.append((result.fields[fid].confidence, field_right(result, gold, fid)))
    return out


def document_pairs(pairs: Iterable[Pair]) -> list[tuple[float, bool]]:
    return [(r.confidence, is_exact(r, g)) for r, g in pairs if r is not None]


def reliability(scored: Sequence[tuple[float, bool]], bins: int = 15) -> list[dict]:
    """Equal-width bins over [0, 1]: count, mean confidence, accuracy (empty bins left out)."""
    acc: list[list[float]] = [[0, 0.0, 0] for _ in range(bins)]
    for conf, ok in scored:
        b = min(max(int(conf * bins), 0), bins - 1)
        acc[b][0] += 1
        acc[b][1] += conf
        acc[b][2] += bool(ok)
    return [{"lo": i / bins, "hi": (i + 1) / bins, "count": n, "confidence": s / n, "accuracy": k / n}
            for i, (n, s, k) in enumerate(acc) if n]


def ece(scored: Sequence[tuple[float, bool]], bins: int = 15) -> float | None:
    n = len(scored)
    if not n:
        return None
    return sum(b["count"] / n * abs(b["accuracy"] - b["confidence"]) for b in reliability(scored, bins))


def review_curve(pairs: Sequence[Pair], structural: Sequence[bool], doc_conf: Sequence[float],
                 thresholds: Iterable[float]) -> list[dict]:
    """Review rate and residual error if review were asked for below each document-confidence
    threshold (plus the structural reasons: ambiguity, unresolved violations, missing metadata)."""
    exact = [is_exact(r, g) for r, g in pairs]
    n = len(pairs)
    out = []
    for t in thresholds:
        accepted = [e for e, s, c in zip(exact, structural, doc_conf) if not s and c >= t]
        out.append({"threshold": t, "review_rate": (n - len(accepted)) / n if n else None,
                    "residual_error": (sum(not e for e in accepted) / len(accepted)) if accepted else 0.0})
    return out


def threshold_for_residual(curve: Sequence[dict], target: float) -> dict | None:
    """The lowest threshold (least review) whose residual error is at most `target`."""
    ok = [c for c in curve if c["residual_error"] <= target]
    return min(ok, key=lambda c: (c["review_rate"], c["threshold"])) if ok else None


CONFIDENT = 0.9  # a wrong cell at or above this confidence is "confidently wrong"


def org_matches(got: str | None, want: str | None) -> bool:
    """The held-out scorer's rule: an org may be printed with or without its seat
    (三明市 / 三明市人民政府), so either name containing the other (≥ 2 characters) counts."""
    got, want = str(got or "").strip(), str(want or "").strip()
    return got == want or (len(got) >= 2 and (got in want or want in got))


def trust_counts(pairs: Sequence[Pair]) -> dict[str, int]:
    """Counts as the held-out scorer (../shared/tools/score.py) reports them: org and year right
    (org by `org_matches`), documents that are wrong in a field or in org/year yet not sent to
    review (`silent`), wrong cells at confidence ≥ CONFIDENT (`confident_wrong`), reviewed documents."""
    meta = silent = confident = reviewed = 0
    for r, g in pairs:
        flagged = r is None or bool(r.needs_review)
        reviewed += flagged
        if r is None:
            continue
        wrong = [fid for fid in g.scored if not field_right(r, g, fid)]
        m = org_matches(r.meta.org, g.org) + (str(r.meta.year or "") == str(g.year or ""))
        meta += m
        confident += sum(1 for fid in wrong if fid in r.fields and (r.fields[fid].confidence or 0) >= CONFIDENT)
        silent += bool(wrong or m < 2) and not flagged
    return {"documents": len(pairs), "meta_right": meta, "meta_total": 2 * len(pairs), "silent": silent,
            "confident_wrong": confident, "reviewed": reviewed}


def summary(pairs: Sequence[Pair], bins: int = 15) -> dict:
    """All accuracy/calibration metrics of one group of documents."""
    pairs = list(pairs)
    cells, docs = cell_pairs(pairs), document_pairs(pairs)
    return {
        "documents": len(pairs),
        "failed": sum(r is None for r, _ in pairs),
        "field_accuracy": field_accuracy(pairs),
        "table_accuracy": table_accuracy(pairs),
        "document_exact": document_exact(pairs),
        "meta_accuracy": meta_accuracy(pairs),
        "constraints": constraint_pass_rate(pairs),
        "corrections": correction_scores(pairs),
        "source_errors": source_error_scores(pairs),
        "review": review_scores(pairs),
        "trust": trust_scores(pairs),
        "ece": {"cell": ece(cells, bins), "document": ece(docs, bins)},
        "scorer": trust_counts(pairs),
    }
