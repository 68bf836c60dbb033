"""A database made before a column existed gains it on start, its rows intact."""
from __future__ import annotations

import sqlite3

from gongkai.service.store import Database, Job


def test_older_database_gains_the_canonical_org_column(tmp_path):
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    Database(url)
    with sqlite3.connect(path) as conn:  # the table as an older version made it
        conn.execute("DROP INDEX IF EXISTS ix_jobs_org_canonical")
        conn.execute("ALTER TABLE jobs DROP COLUMN org_canonical")
        conn.execute("INSERT INTO jobs (id, dedup_key, sha256, filename, kind, size, status, pages_total, "
                     "pages_done, attempts, created_at, org, year, reviewed) VALUES ('j1', 'k', 's', 'a.txt', "
                     "'txt', 1, 'done', 1, 1, 1, '2026-01-01 00:00:00', '某局', 2023, 0)")
        assert "org_canonical" not in {r[1] for r in conn.execute("PRAGMA table_info(jobs)")}
    db = Database(url)
    job = db.get("j1")
    assert job.org == "某局" and job.year == 2023 and job.org_canonical is None
    with db.session() as s:
        s.get(Job, "j1").org_canonical = "某市某局"
        s.commit()
    assert db.get("j1").org_canonical == "某市某局"
