"""A reviewer's save: edits applied to the result (marked human-verified), constraints re-checked, and the
report written as a labelled example — `$GONGKAI_DATA_DIR/labelled/<job-id>/` with the source file and
`<stem>.gold.json` in the seeds' format — for `gongkai train --labelled`."""
from __future__ import annotations

import json
from pathlib import Path

from gongkai.extraction.constraints import broken_constraints
from gongkai.extraction.fields import ALL_FIELDS
from gongkai.extraction.review_policy import decide
from gongkai.extraction.result import CellStatus, ExtractionResult, FieldResult, Violation, ViolationKind

__all__ = ["apply_edits", "recheck", "write_labelled", "UnknownField"]


class UnknownField(ValueError):
    pass


def apply_edits(result: ExtractionResult, edits: dict[str, int | float | None]) -> ExtractionResult:
    """The result after a reviewer's save: edited cells verified, the constraints re-checked on the new
    values, and `needs_review` cleared — a person has now reviewed the report (what is left broken is
    listed in `violations`)."""
    unknown = sorted(set(edits) - set(ALL_FIELDS))
    if unknown:
        raise UnknownField(f"unknown field ids: {', '.join(unknown[:5])}")
    result = result.model_copy(deep=True)
    for fid, value in edits.items():
        old = result.fields.get(fid) or FieldResult()
        if isinstance(value, float) and value.is_integer() and not fid.endswith("fees.amount"):
            value = int(value)
        result.fields[fid] = old.model_copy(update={
            "value": value, "human_verified": True, "confidence": 1.0, "candidates": [],
            "status": CellStatus.number if value is not None else (
                old.status if old.status in (CellStatus.blank, CellStatus.slash) else CellStatus.blank)})
    result.violations = recheck(result)
    # a person has seen it: the review policy accepts a saved review (extraction/review_policy.py)
    return decide(result, reviewed=True)


def recheck(result: ExtractionResult) -> list[Violation]:
    """The 勾稽 constraints on the current values, by the reconciler's own check
    (`extraction.constraints`): a cell with no value (missing, blank, `/`) is not 0, so a constraint
    over it is not broken. A value is the cell's, or the one the sums imply for a cell not printed as
    a number. A break among verified cells is the source's own error."""
    before = {v.constraint: v for v in result.violations}
    values = {fid: f.value if f.value is not None else f.implied for fid, f in result.fields.items()}
    out = []
    for b in broken_constraints(values):
        cells = b.lhs + b.rhs
        verified = all(result.fields[c].human_verified for c in cells)
        old = before.get(b.name)
        kind = ViolationKind.source_error if verified or old is None else old.kind
        out.append(Violation(constraint=b.name, lhs=b.lhs, rhs=b.rhs, lhs_value=b.lhs_value,
                             rhs_value=b.rhs_value, difference=b.difference, kind=kind,
                             cells=old.cells if old else cells))
    return out


def write_labelled(root: Path, job_id: str, filename: str, source: bytes, result: ExtractionResult) -> Path:
    folder = root / job_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / filename).write_bytes(source)
    gold = {"meta": {"org": result.meta.org, "year": result.meta.year},
            "fields": {fid: f.value for fid in ALL_FIELDS if (f := result.fields.get(fid)) is not None
                       and (f.status != CellStatus.missing or f.human_verified)}}
    path = folder / f"{Path(filename).stem}.gold.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(gold, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)
    return path
