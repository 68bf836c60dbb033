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


def test_the_review_pages_table_2_is_the_templates():
    """Table 2's blocks, headers and rows on the review page come from extraction.template (printed
    full-width), not from wording retyped in the service."""
    from gongkai.extraction import template as T
    from gongkai.service.layout import TABLE2, printed
    assert [title for title, _, _ in TABLE2] == [printed(a) for a in T.T2_ARTICLES] == [
        "第二十条第（一）项", "第二十条第（五）项", "第二十条第（六）项", "第二十条第（八）项"]
    assert TABLE2[0][1] == ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"]
    assert TABLE2[3][1] == ["信息内容", "本年收费金额（单位：万元）"]
    assert [[label for label, _ in rows] for _, _, rows in TABLE2] == [
        ["规章", "行政规范性文件"], ["行政许可"], ["行政处罚", "行政强制"], ["行政事业性收费"]]
    assert [f for _, _, rows in TABLE2 for _, fs in rows for f in fs] == [
        f for r in T.T2_ROWS for f in T.T2_ROW_FIELDS[r.key]]
