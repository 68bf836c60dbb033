"""Prometheus text exposition: job counts and durations come from the database (true for any worker
kind); HTTP and rejection counters are this process's."""
from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import func, select

from gongkai.service.store import Database, Job, JobStatus

__all__ = ["Counters", "render"]
BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)


class Counters:
    def __init__(self):
        self._lock = threading.Lock()
        self.http: Counter[tuple[str, str]] = Counter()
        self.rejected: Counter[int] = Counter()

    def request(self, method: str, status: int) -> None:
        with self._lock:
            self.http[(method, str(status))] += 1

    def reject(self, status: int) -> None:
        with self._lock:
            self.rejected[status] += 1


def render(db: Database, counters: Counters) -> str:
    lines: list[str] = []

    def metric(name: str, kind: str, help_: str, samples: list[tuple[str, float]]):
        lines.extend([f"# HELP {name} {help_}", f"# TYPE {name} {kind}"])
        lines.extend(f"{name}{labels} {value:g}" for labels, value in samples)

    with db.session() as s:
        by_status = dict(s.execute(select(Job.status, func.count()).group_by(Job.status)).all())
        durations = list(s.scalars(select(Job.duration_s).where(Job.duration_s.is_not(None))))
        pages = s.scalar(select(func.coalesce(func.sum(Job.pages_done), 0)).where(Job.status == JobStatus.done))
        review = s.scalar(select(func.count()).where(Job.status == JobStatus.done, Job.needs_review.is_(True)))
    metric("gongkai_jobs", "gauge", "Jobs by status.",
           [(f'{{status="{st}"}}', by_status.get(st, 0)) for st in JobStatus.ALL])
    metric("gongkai_jobs_needing_review", "gauge", "Done jobs flagged needs_review.", [("", review or 0)])
    hist = [(f'{{le="{b:g}"}}', sum(1 for d in durations if d <= b)) for b in BUCKETS]
    hist.append(('{le="+Inf"}', len(durations)))
    lines.extend(["# HELP gongkai_job_duration_seconds Extraction time per finished job.",
                  "# TYPE gongkai_job_duration_seconds histogram"])
    lines.extend(f"gongkai_job_duration_seconds_bucket{lbl} {v}" for lbl, v in hist)
    lines.append(f"gongkai_job_duration_seconds_sum {sum(durations):g}")
    lines.append(f"gongkai_job_duration_seconds_count {len(durations)}")
    metric("gongkai_pages_processed_total", "counter", "Pages of finished jobs.", [("", pages or 0)])
    metric("gongkai_job_errors_total", "counter", "Jobs that failed.", [("", by_status.get(JobStatus.failed, 0))])
    with counters._lock:
        http = sorted(counters.http.items())
        rejected = sorted(counters.rejected.items())
    metric("gongkai_http_requests_total", "counter", "HTTP requests served by this process.",
           [(f'{{method="{m}",code="{c}"}}', n) for (m, c), n in http])
    metric("gongkai_uploads_rejected_total", "counter", "Uploads refused before becoming a job.",
           [(f'{{code="{c}"}}', n) for c, n in rejected])
    return "\n".join(lines) + "\n"
