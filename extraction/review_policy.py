"""When a document needs a person, and why: the one review policy (pipeline, service review, eval).

Contract
--------
A document is accepted without review only when every one of its checks passes; otherwise
`needs_review` is set and each failing check is listed in `review_reasons` (code, message, cells,
constraint) so the review page can go straight to them:

- `meta_org_missing` / `meta_year_missing`: the issuing organisation or the year was not found;
- `meta_uncertain`: the metadata reader's sources disagree (e.g. on the year);
- `meta_org_suspect`: the organisation found does not look like a whole organisation name (fewer
  than 3 characters, cut off where the title opens with the whole name, or not ending as
  organisation names do);
- `table_missing`: a whole table 2/3/4 was not found;
- `unresolved_violation`: a 勾稽 constraint is broken and the cells it names were not read with
  certainty (one reason per constraint, with its cells);
- `ambiguous_cells`: the constraints left two or more values equally likely (the cells carry
  `candidates`);
- `uncertain_cells`: cells whose calibrated confidence is below `CONFIDENT` (0.9) — a value read from
  a row whose token count did not fit and that the constraints do not pin down, a cell never read,
  a cell in a re-cut row that breaks a sum;
- `low_document_confidence`: the calibrated document confidence is below the calibrated threshold.

Why this shape: a wrong value is either named by one of the structural checks or has a cell
confidence below 0.9 — that is what "no confident errors" means, and it is measured
leave-one-organisation-out on the real reports (eval/calibrate.py `--loo`). So the flag misses a
wrong document only when a wrong cell is confident, and it flags a right document only when
something in it is genuinely uncertain (a right cell can be below 0.9 — that is the price of the
0-silent guarantee). Human-verified cells are never a reason, and a document a person has saved a
review of is accepted (`decide(..., reviewed=True)`, the service's review save). A source error (the report's own
arithmetic, printed values kept) is a finding, not a review reason.

The policy reads only attributes that `ExtractionResult` and eval's `SlimResult` share, so the
benchmarks re-decide review with a fold's calibrator exactly as the pipeline decides it.
"""
from __future__ import annotations

import re
from typing import Any, Iterable

from gongkai.extraction.confidence import merged_fields
from gongkai.extraction.result import ReviewReason

__all__ = ["CONFIDENT", "review_reasons", "decide", "org_suspect", "TABLE_PREFIXES"]

CONFIDENT = 0.9  # a cell at or above this is "confident"; below it, the document goes to review
TABLE_PREFIXES = ("t2.", "t3.", "t4.")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# how the names of issuing bodies end (人民政府, 统计局, 办公室, 委员会, 三明市, 洪泽区 …)
ORG_ENDINGS = ("政府", "办公室", "办公厅", "局", "委员会", "委", "厅", "院", "处", "中心", "办", "室", "署", "会",
               "部", "所", "站", "队", "馆", "市", "区", "县", "旗", "州", "盟", "镇", "乡", "街道", "办事处",
               "管委会", "公司", "集团", "社", "团", "司", "省")
_NAMED_CELLS = 40  # cells listed in one reason (the message says how many in all)


def org_suspect(org: str, title: str | None = None) -> str | None:
    """Why `org` does not look like a whole organisation name, or None."""
    name = org.strip()
    if len(_CJK.findall(name)) < 3 and not name.endswith("县"):
        return f"organisation {name!r} is too short to be a name (a fragment?)"
    if not name.endswith(ORG_ENDINGS):
        return f"organisation {name!r} does not end as an organisation name does"
    if title and name in title:
        at = title.index(name)  # a title that opens with the name shows it whole: 某某市统计局2023年…
        if 0 < at <= 3 and all(_CJK.match(ch) for ch in title[:at]):
            return f"organisation {name!r} is cut off: the title reads {title[max(0, at - 4):at + len(name)]!r}"
    return None


def _table_missing(fields: dict[str, Any], prefix: str) -> bool:
    cells = [f for k, f in fields.items() if k.startswith(prefix)]
    return bool(cells) and all(getattr(f.status, "value", f.status) == "missing" for f in cells)


def _cells_list(cells: Iterable[str]) -> list[str]:
    return sorted(cells)[:_NAMED_CELLS]


def review_reasons(result: Any, document_threshold: float = 0.0, scored: Iterable[str] | None = None,
                   meta_doubts: Iterable[str] = ()) -> list[ReviewReason]:
    """Every reason `result` needs review (empty: accept). `result` is an ExtractionResult or any
    object with the same `meta`, `fields` (value, confidence, status, candidates, human_verified) and
    `violations` (constraint, kind, cells); `scored` limits the cells looked at (default: all);
    `meta_doubts`: what the metadata reader (extraction/meta.py) could not settle (sources disagree)."""
    out: list[ReviewReason] = []
    meta = result.meta
    for doubt in meta_doubts:
        if "not found" not in doubt:  # missing org/year have their own codes below
            out.append(ReviewReason(code="meta_uncertain", message=doubt))
    if not meta.org:
        out.append(ReviewReason(code="meta_org_missing", message="issuing organisation not found"))
    else:
        why = org_suspect(meta.org, getattr(meta, "title", None))
        if why:
            out.append(ReviewReason(code="meta_org_suspect", message=why))
    if meta.year is None:
        out.append(ReviewReason(code="meta_year_missing", message="report year not found"))
    fields = result.fields
    for prefix in TABLE_PREFIXES:
        if _table_missing(fields, prefix):
            out.append(ReviewReason(code="table_missing", message=f"table {prefix[1]} not found",
                                    cells=_cells_list(k for k in fields if k.startswith(prefix))))
    verified = {k for k, f in fields.items() if getattr(f, "human_verified", False)}
    for v in result.violations:
        if getattr(v.kind, "value", v.kind) != "unresolved":
            continue
        cells = [c for c in v.cells if c not in verified]
        if cells:
            out.append(ReviewReason(code="unresolved_violation", constraint=v.constraint, cells=_cells_list(cells),
                                    message=f"{v.constraint} does not hold and the readings of "
                                            f"{', '.join(cells[:4])} are uncertain"))
    merged = merged_fields(getattr(result, "merged_rows", []))
    keys = [k for k in (scored if scored is not None else fields)
            if k in fields and k not in verified and k not in merged]
    ambiguous = [k for k in keys if fields[k].candidates]
    if ambiguous:
        out.append(ReviewReason(code="ambiguous_cells", cells=_cells_list(ambiguous),
                                message=f"{len(ambiguous)} cell(s) with equally likely values"))
    low = [k for k in keys if k not in ambiguous and fields[k].confidence < CONFIDENT]
    if low:
        out.append(ReviewReason(code="uncertain_cells", cells=_cells_list(low),
                                message=f"{len(low)} cell(s) below confidence {CONFIDENT}"))
    if result.confidence < document_threshold and not verified >= set(fields):
        out.append(ReviewReason(code="low_document_confidence",
                                message=f"document confidence {result.confidence:.3f} below {document_threshold:.3f}"))
    return out


def decide(result: Any, document_threshold: float = 0.0, meta_doubts: Iterable[str] = (),
           reviewed: bool = False) -> Any:
    """Set `review_reasons` and `needs_review` on an ExtractionResult (returned for chaining).
    `reviewed`: a person has saved a review of it — accepted, nothing left to flag."""
    result.review_reasons = [] if reviewed else review_reasons(result, document_threshold, meta_doubts=meta_doubts)
    result.needs_review = bool(result.review_reasons)
    return result
