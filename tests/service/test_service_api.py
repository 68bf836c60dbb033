"""The HTTP API, endpoint by endpoint, through FastAPI's TestClient (fake extractor, in-process workers)."""
from __future__ import annotations

import csv
import io
import json

import pytest
from service_helpers import make_pdf, make_png, seed_gold, settings_for, wait_jobs
from fastapi.testclient import TestClient

from gongkai.extraction.fields import ALL_FIELDS
from gongkai.service.api import create_app, is_loopback, serve
from gongkai.service import exports


def submit(client, *files, force=False):
    return client.post("/v1/extractions", files=[("files", f) for f in files], data={"force": str(force).lower()})


def job(client, i):
    return client.get(f"/v1/extractions/{i}").json()


def done(client, ids):
    return wait_jobs(lambda i: job(client, i), ids)


def test_submit_returns_202_with_a_job_per_file_and_jobs_finish(client):
    r = submit(client, ("a.gold.txt", seed_gold(0)), ("b.html", b"<html><body><table><tr><td>1</td></tr></table>"),
               ("c.pdf", make_pdf(3)), ("d.png", make_png()))
    assert r.status_code == 202
    refs = r.json()["jobs"]
    assert [j["filename"] for j in refs] == ["a.gold.txt", "b.html", "c.pdf", "d.png"]
    jobs = done(client, [j["id"] for j in refs])
    assert {j["status"] for j in jobs.values()} == {"done"}
    first = jobs[refs[0]["id"]]
    assert first["org"] == "浉河区人民政府办公室" and first["year"] == 2023
    assert first["result"]["fields"]["t2.normative.in_force"]["value"] == 13
    assert jobs[refs[2]["id"]]["progress"] == {"pages_done": 3, "pages_total": 3}
    assert [j["kind"] for j in (jobs[r["id"]] for r in refs)] == ["txt", "html", "pdf", "png"]


def test_same_bytes_same_job_unless_forced(client):
    a = submit(client, ("x.txt", b"report ORG=A YEAR=2022")).json()["jobs"][0]
    b = submit(client, ("renamed.txt", b"report ORG=A YEAR=2022")).json()["jobs"][0]
    assert b["id"] == a["id"] and b["duplicate"] and not a["duplicate"]
    c = submit(client, ("x.txt", b"report ORG=A YEAR=2022"), force=True).json()["jobs"][0]
    assert c["id"] != a["id"] and not c["duplicate"]
    jobs = done(client, [a["id"], c["id"]])
    assert jobs[a["id"]]["result"] == jobs[c["id"]]["result"]
    assert jobs[a["id"]]["sha256"] == jobs[c["id"]]["sha256"]


@pytest.mark.parametrize("name,data,code", [
    ("a.zip", b"PK\x03\x04" + b"\x00" * 50, 415),
    ("a.bin", bytes(range(256)) * 4, 415),
    ("empty.txt", b"", 422),
    ("blank.txt", b"  \n ", 422),
    ("locked.pdf", make_pdf(1, encrypted=True), 422),
    ("bad.png", b"\x89PNG\r\n\x1a\n" + b"junk" * 10, 422),
])
def test_refused_uploads(client, name, data, code):
    r = submit(client, (name, data))
    assert r.status_code == code, r.text
    assert r.json()["detail"]


def test_limits(tmp_path):
    s = settings_for(tmp_path / "d", max_upload_mb=0.01, max_pages=2, max_pixels=1000, max_files=2)
    with TestClient(create_app(s)) as c:
        assert submit(c, ("big.txt", b"x" * 20000)).status_code == 413
        assert "pages" in submit(c, ("long.pdf", make_pdf(3))).json()["detail"]
        assert "pixels" in submit(c, ("huge.png", make_png(100, 100))).json()["detail"]
        r = submit(c, ("1.txt", b"a"), ("2.txt", b"b"), ("3.txt", b"c"))
        assert r.status_code == 413
        assert c.post("/v1/extractions").status_code == 422  # no file at all


def test_batch_with_some_bad_files_reports_them(client):
    r = submit(client, ("ok.txt", b"fine report"), ("bad.zip", b"PK\x03\x04zzzz"))
    assert r.status_code == 202
    body = r.json()
    assert len(body["jobs"]) == 1 and body["rejected"][0]["status_code"] == 415


def test_sniffing_not_extension(client):
    r = submit(client, ("report.pdf", make_png()))
    ref = r.json()["jobs"][0]
    assert ref["filename"] == "report.png"
    assert job(client, ref["id"])["kind"] == "png"


def test_unsafe_filenames_are_cleaned(client):
    ref = submit(client, ("../../etc/passwd;rm -rf.txt", b"x report")).json()["jobs"][0]
    assert "/" not in ref["filename"] and ".." not in ref["filename"] and ";" not in ref["filename"]


@pytest.mark.parametrize("content,reason", [
    (b"FAKE:FAIL", "not extractable"),
    (b"FAKE:BUG", "RuntimeError: boom"),
    (b"FAKE:CRASH", "process died"),
    (b"FAKE:MEM", "memory"),
    (make_pdf(2, truncated=True), "malformed PDF"),
])
def test_bad_inputs_fail_their_job_with_a_reason(client, content, reason):
    ref = submit(client, ("x.pdf" if content.startswith(b"%PDF") else "x.txt", content)).json()["jobs"][0]
    j = done(client, [ref["id"]])[ref["id"]]
    assert j["status"] == "failed" and reason in j["reason"], j["reason"]
    assert client.get(f"/v1/extractions/{ref['id']}/result.json").status_code == 409
    ok = submit(client, ("after.txt", b"a good report after " + content[:4])).json()["jobs"][0]
    assert done(client, [ok["id"]])[ok["id"]]["status"] == "done"  # the worker survived


def test_timeout_fails_the_job(tmp_path):
    with TestClient(create_app(settings_for(tmp_path / "d", job_timeout_s=1))) as c:
        ref = submit(c, ("hang.txt", b"FAKE:HANG")).json()["jobs"][0]
        j = wait_jobs(lambda i: job(c, i), [ref["id"]])[ref["id"]]
        assert j["status"] == "failed" and "timed out" in j["reason"]


def test_get_unknown_job_is_404(client):
    assert client.get("/v1/extractions/nope").status_code == 404
    assert client.get("/v1/extractions/nope/result.csv").status_code == 404
    assert client.get("/v1/extractions/nope/result.pdf").status_code == 422


def test_result_formats(client):
    ref = submit(client, ("s.txt", seed_gold(1))).json()["jobs"][0]
    done(client, [ref["id"]])
    r = client.get(f"/v1/extractions/{ref['id']}/result.json")
    assert r.status_code == 200 and set(r.json()["fields"]) == set(ALL_FIELDS)
    r = client.get(f"/v1/extractions/{ref['id']}/result.csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert r.headers["content-type"].startswith("text/csv") and len(rows) == 200
    assert rows[0]["field"] == ALL_FIELDS[0] and rows[0]["label"]
    r = client.get(f"/v1/extractions/{ref['id']}/result.xlsx")
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["fields", "violations"] and wb["fields"].max_row == 201


def test_list_filters_and_pagination(client):
    refs = [submit(client, (f"{y}.txt", f"r ORG=甲局 YEAR={y}".encode())).json()["jobs"][0] for y in (2021, 2022)]
    refs.append(submit(client, ("o.txt", "r ORG=乙局 YEAR=2022".encode())).json()["jobs"][0])
    refs.append(submit(client, ("f.txt", b"FAKE:FAIL")).json()["jobs"][0])
    done(client, [r["id"] for r in refs])
    page = client.get("/v1/extractions", params={"limit": 2}).json()
    assert page["total"] == 4 and len(page["items"]) == 2 and page["items"][0]["result"] is None
    page2 = client.get("/v1/extractions", params={"limit": 2, "offset": 2}).json()
    assert {i["id"] for i in page["items"]} | {i["id"] for i in page2["items"]} == {r["id"] for r in refs}
    assert client.get("/v1/extractions", params={"status": "failed"}).json()["total"] == 1
    assert client.get("/v1/extractions", params={"org": "甲局"}).json()["total"] == 2
    assert client.get("/v1/extractions", params={"year": 2022}).json()["total"] == 2
    nr = client.get("/v1/extractions", params={"needs_review": True}).json()["total"]
    ok = client.get("/v1/extractions", params={"needs_review": False}).json()["total"]
    assert nr + ok == 3
    assert client.get("/v1/extractions", params={"status": "bogus"}).status_code == 422
    assert client.get("/v1/extractions", params={"limit": 0}).status_code == 422
    assert client.get("/v1/extractions", params={"offset": 2**63}).status_code == 422  # not a database overflow


def test_synchronous_extract(client):
    r = client.post("/v1/extract", files={"file": ("s.txt", seed_gold(2))})
    assert r.status_code == 200 and r.json()["meta"]["year"]
    r = client.post("/v1/extract", files={"file": ("s.txt", b"FAKE:FAIL")})
    assert r.status_code == 422 and "not a report" in r.json()["detail"]
    assert client.post("/v1/extract", files={"file": ("z.zip", b"PK\x03\x04zz")}).status_code == 415
    assert client.post("/v1/extract", files={"file": ("p.pdf", make_pdf(11))}).status_code == 422  # sync page cap


def test_synchronous_extract_size_cap(tmp_path):
    with TestClient(create_app(settings_for(tmp_path / "d", sync_max_mb=0.001))) as c:
        assert c.post("/v1/extract", files={"file": ("s.txt", b"y" * 5000)}).status_code == 413


def test_exports(client):
    refs = [submit(client, (f"{i}.txt", seed_gold(i))).json()["jobs"][0] for i in range(3)]
    done(client, [r["id"] for r in refs])
    r = client.get("/v1/export.csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == 3 and set(ALL_FIELDS) <= set(rows[0]) and {"org", "year", "confidence",
                                                                     "needs_review"} <= set(rows[0])
    year = rows[0]["year"]
    assert len(list(csv.DictReader(io.StringIO(client.get("/v1/export.csv", params={"year": year})
                                               .content.decode("utf-8-sig"))))) >= 1
    from openpyxl import load_workbook
    ws = load_workbook(io.BytesIO(client.get("/v1/export.xlsx").content))["reports"]
    header = [c.value for c in next(ws.iter_rows(max_row=1))]
    assert ws.max_row == 4 and ws.max_column == len(exports.META_COLUMNS) + 200
    assert {"org_canonical", "province", "city", "county", "region_code", "published"} <= set(header)
    assert {r["org_canonical"] for r in rows} >= {"信阳市浉河区人民政府办公室"}


def test_health_ready_metrics(client):
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/readyz").json()["checks"] == {"database": "ok", "data_dir": "ok"}
    ref = submit(client, ("m.pdf", make_pdf(2))).json()["jobs"][0]
    submit(client, ("bad.zip", b"PK\x03\x04"))
    done(client, [ref["id"]])
    text = client.get("/metrics").text
    assert 'gongkai_jobs{status="done"} 1' in text
    assert "gongkai_job_duration_seconds_count 1" in text
    assert "gongkai_pages_processed_total 2" in text
    assert "gongkai_job_errors_total 0" in text
    assert 'gongkai_uploads_rejected_total{code="415"} 1' in text


def test_openapi_is_published(client):
    spec = client.get("/openapi.json").json()
    assert {"/v1/extractions", "/v1/extractions/{job_id}", "/v1/extractions/{job_id}/result.{fmt}", "/v1/extract",
            "/v1/export.{fmt}", "/healthz", "/readyz", "/metrics"} <= set(spec["paths"])
    assert "ExtractionResult" in spec["components"]["schemas"]


def test_api_key(tmp_path):
    with TestClient(create_app(settings_for(tmp_path / "d", api_key="s3cret"))) as c:
        assert c.get("/v1/extractions").status_code == 401
        assert c.get("/v1/extractions", headers={"X-API-Key": "wrong"}).status_code == 401
        assert c.get("/v1/extractions", headers={"X-API-Key": "s3cret"}).status_code == 200
        assert c.get("/v1/extractions", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert c.get("/metrics").status_code == 401
        assert c.get("/healthz").status_code == 200
        assert c.get("/").status_code == 401 and "API key" in c.get("/").text
        c.cookies.set("gongkai_api_key", "s3cret")
        assert c.get("/").status_code == 200


def test_non_loopback_needs_a_key(tmp_path):
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0")
    with pytest.raises(SystemExit, match="API key"):
        serve("0.0.0.0", 0, settings_for(tmp_path / "d"))


def test_jobs_are_persisted_in_the_database_and_blobs_content_addressed(client, settings):
    ref = submit(client, ("a.txt", b"stored report")).json()["jobs"][0]
    j = done(client, [ref["id"]])[ref["id"]]
    blob = settings.blob_dir / j["sha256"][:2] / j["sha256"]
    assert blob.read_bytes() == b"stored report"
    assert (settings.data_dir / "gongkai.db").exists()
