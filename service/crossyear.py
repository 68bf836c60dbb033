"""Cross-year checks between an organisation's consecutive reports.

An organisation is its canonical name (`Meta.org_canonical`: 淮安市洪泽区人民政府 one year and
洪泽区人民政府 the next are one agency), or the printed name for jobs stored before it existed.

Table 3: this year's 上年结转 (carried_over) must equal last year's 结转下年度继续办理 (carried_forward),
column by column — a mismatch is an error on both reports. Table 2: 现行有效件数 should continue
(in_force(N) = in_force(N−1) + issued(N) − repealed(N)) — a soft warning, since agencies re-count.
"""
from __future__ import annotations

import json
import threading
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import func, select

from gongkai.extraction.fields import T3_COLUMNS
from gongkai.service.store import Database, Job, JobStatus

__all__ = ["Finding", "compare", "refresh", "refresh_in", "LOCK", "agency_key"]

Values = dict[str, int | float | None]


class Finding(BaseModel):
    kind: Literal["carried_over_mismatch", "in_force_discontinuity"]
    severity: Literal["error", "warning"]
    field: str  # the cell of this report
    value: int | float | None
    other_field: str
    other_value: int | float | None
    other_year: int
    other_job: str | None = None
    message: str


def compare(prev: Values, cur: Values, prev_year: int, cur_year: int,
            prev_job: str | None = None, cur_job: str | None = None) -> tuple[list[Finding], list[Finding]]:
    """Findings for (previous-year report, current-year report)."""
    on_prev: list[Finding] = []
    on_cur: list[Finding] = []
    for col in T3_COLUMNS:
        a, b = f"t3.carried_forward.{col}", f"t3.carried_over.{col}"
        va, vb = prev.get(a), cur.get(b)
        if va is None or vb is None or va == vb:
            continue
        msg = f"{cur_year} 上年结转 ({col}) = {vb} but {prev_year} 结转下年度继续办理 = {va}"
        on_cur.append(Finding(kind="carried_over_mismatch", severity="error", field=b, value=vb, other_field=a,
                              other_value=va, other_year=prev_year, other_job=prev_job, message=msg))
        on_prev.append(Finding(kind="carried_over_mismatch", severity="error", field=a, value=va, other_field=b,
                               other_value=vb, other_year=cur_year, other_job=cur_job, message=msg))
    for kind in ("rules", "normative"):
        before, now = prev.get(f"t2.{kind}.in_force"), cur.get(f"t2.{kind}.in_force")
        issued, repealed = cur.get(f"t2.{kind}.issued"), cur.get(f"t2.{kind}.repealed")
        if None in (before, now, issued, repealed):
            continue
        expected = before + issued - repealed
        if expected == now:
            continue
        msg = (f"{cur_year} 现行有效 ({kind}) = {now}, expected {before} + {issued} − {repealed} = {expected} "
               f"from {prev_year}")
        field = f"t2.{kind}.in_force"
        on_cur.append(Finding(kind="in_force_discontinuity", severity="warning", field=field, value=now,
                              other_field=field, other_value=before, other_year=prev_year, other_job=prev_job,
                              message=msg))
        on_prev.append(Finding(kind="in_force_discontinuity", severity="warning", field=field, value=before,
                               other_field=field, other_value=now, other_year=cur_year, other_job=cur_job,
                               message=msg))
    return on_prev, on_cur


def _values(job: Job) -> Values:
    fields = json.loads(job.result_json)["fields"]
    return {k: v.get("value") for k, v in fields.items()}


def agency_key(org: str | None, org_canonical: str | None) -> str | None:
    """What reports of one agency share across years."""
    return org_canonical or org


_JOB_KEY = func.coalesce(Job.org_canonical, Job.org)


def _latest(session, key: str, year: int) -> Job | None:
    return session.scalars(select(Job).where(Job.status == JobStatus.done, _JOB_KEY == key, Job.year == year)
                           .order_by(Job.finished_at.desc()).limit(1)).first()


LOCK = threading.Lock()  # see `refresh_in`


def refresh(db: Database, job_id: str) -> None:
    """Recompute the findings of a finished job and of its organisation's neighbouring years."""
    with LOCK, db.session() as s:
        job = s.get(Job, job_id)
        if job is not None:
            refresh_in(s, job)
        s.commit()


def refresh_in(s, job: Job) -> None:
    """`refresh` inside the caller's transaction (a job's completion commits with its findings, so
    nobody sees it done without them), which must hold `LOCK`: two jobs of one organisation
    finishing together would otherwise each read the other as unfinished and the later commit
    would erase the earlier one's findings. `LOCK` serialises the embedded in-process workers; the
    organisation's rows are also locked for update (PostgreSQL with several Celery workers)."""
    key = agency_key(job.org, job.org_canonical)
    if job.status != JobStatus.done or not key or not job.year:
        return
    s.flush()
    s.execute(select(Job.id).where(_JOB_KEY == key).with_for_update()).all()
    affected = [j for j in (job, _latest(s, key, job.year - 1), _latest(s, key, job.year + 1)) if j]
    for j in {j.id: j for j in affected}.values():
        findings: list[Finding] = []
        prev, nxt = _latest(s, key, j.year - 1), _latest(s, key, j.year + 1)
        if prev is not None:
            findings += compare(_values(prev), _values(j), prev.year, j.year, prev.id, j.id)[1]
        if nxt is not None:
            findings += compare(_values(j), _values(nxt), j.year, nxt.year, j.id, nxt.id)[0]
        j.crossyear_json = json.dumps([f.model_dump() for f in findings], ensure_ascii=False)
