"""Safe by default: off-loopback binds need a key, only our host names are served, browsers on other
origins cannot change state, the synchronous endpoint is bounded, review input is strict, exports are
never formulas, crops cost their region only."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import threading

import pytest
from fastapi.testclient import TestClient
from service_helpers import HERE, ROOT, make_png, seed_gold, settings_for, wait_jobs

from gongkai.extraction.document import Box
from gongkai.service.api import check_bind, create_app, is_loopback, serve


def submit(client, name, data, **kw):
    return client.post("/v1/extractions", files=[("files", (name, data))], **kw)


def done(client, *ids):
    return wait_jobs(lambda i: client.get(f"/v1/extractions/{i}").json(), ids)


@pytest.mark.parametrize("host", ["", "0.0.0.0", "::", "[::]", "192.168.1.20"])
def test_wildcard_or_empty_host_is_off_loopback_and_needs_a_key(tmp_path, host):
    assert not is_loopback(host)
    with pytest.raises(SystemExit, match="API key"):
        serve(host, 0, settings_for(tmp_path / "d"))


def test_wildcard_host_with_a_key_needs_the_served_names(tmp_path):
    keyed = settings_for(tmp_path / "d", api_key="k", allowed_hosts="localhost,127.0.0.1,[::1]")
    with pytest.raises(SystemExit, match="GONGKAI_ALLOWED_HOSTS"):
        check_bind("0.0.0.0", keyed)
    named = check_bind("0.0.0.0", keyed.model_copy(update={"allowed_hosts": "reports.example.org"}))
    assert named.host_names == ["reports.example.org"]
    assert "10.0.0.5" in check_bind("10.0.0.5", keyed).host_names  # a specific address serves its own name
    assert "[::1]" in check_bind("::1", settings_for(tmp_path / "d")).host_names


def test_cli_serve_with_empty_host_and_no_key_refuses_to_start(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{ROOT}:{HERE}", "GONGKAI_DATA_DIR": str(tmp_path / "d"),
           "HOME": str(tmp_path)}
    r = subprocess.run([sys.executable, "-m", "gongkai", "serve", "--host", "", "--port", "0"], cwd=ROOT,
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode != 0
    assert "without an API key" in r.stderr + r.stdout


def test_only_configured_host_names_are_served(tmp_path):
    s = settings_for(tmp_path / "d", allowed_hosts="localhost,127.0.0.1,[::1]")
    with TestClient(create_app(s), base_url="http://127.0.0.1:8000") as c:
        assert c.get("/v1/extractions").status_code == 200
        assert c.get("/v1/extractions", headers={"Host": "localhost:8000"}).status_code == 200
        assert c.get("/v1/extractions", headers={"Host": "[::1]:8000"}).status_code == 200
        evil = {"Host": "attacker.example"}
        assert c.get("/v1/extractions", headers=evil).status_code == 400
        assert submit(c, "a.txt", b"report", headers=evil).status_code == 400
        assert c.put("/v1/extractions/x/review", json={"fields": {}}, headers=evil).status_code == 400


def test_default_hosts_are_loopback_names_only(tmp_path):
    from gongkai.service.config import Settings
    assert Settings(data_dir=tmp_path).host_names == ["localhost", "127.0.0.1", "[::1]"]


@pytest.mark.parametrize("headers", [
    {"Origin": "http://127.0.0.1:9999"},  # another port of the same host: same-site, not same-origin
    {"Origin": "null"},
    {"Origin": "https://attacker.example"},
    {"Sec-Fetch-Site": "same-site"},
    {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"},
])
def test_cross_origin_state_changes_are_refused(client, headers):
    client.cookies.set("gongkai_api_key", "irrelevant")
    r = submit(client, "a.txt", b"cross origin report", headers=headers)
    assert r.status_code == 403 and "cross-origin" in r.json()["detail"]
    assert client.put("/v1/extractions/x/review", json={"fields": {}}, headers=headers).status_code == 403
    assert client.get("/v1/extractions").json()["total"] == 0  # nothing was queued


def test_same_origin_and_non_browser_requests_are_accepted(client):
    assert submit(client, "a.txt", b"report one", headers={"Origin": "http://testserver",
                                                           "Sec-Fetch-Site": "same-origin"}).status_code == 202
    assert submit(client, "b.txt", b"report two", headers={"Sec-Fetch-Site": "none"}).status_code == 202
    assert submit(client, "c.txt", b"report three").status_code == 202  # curl: no Origin, no Sec-Fetch-Site
    # reads are not state changes
    assert client.get("/v1/extractions", headers={"Origin": "https://attacker.example"}).status_code == 200


def test_synchronous_extractions_are_bounded(tmp_path):
    with TestClient(create_app(settings_for(tmp_path / "d", sync_concurrency=1))) as c:
        answers: list = []
        go = threading.Barrier(3)

        def post(i):
            go.wait()  # three at once; each holds the slot for 6 s, so they overlap
            answers.append(c.post("/v1/extract", files={"file": (f"s{i}.txt", f"slow {i} FAKE:SLEEP=6".encode())}))

        threads = [threading.Thread(target=post, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert sorted(r.status_code for r in answers) == [200, 429, 429]
        refused = next(r for r in answers if r.status_code == 429)
        assert "limit is 1" in refused.json()["detail"] and refused.headers["retry-after"]
        assert c.post("/v1/extract", files={"file": ("q.txt", b"quick report")}).status_code == 200  # slot freed


# --- review input ---------------------------------------------------------------------------

@pytest.mark.parametrize("body, reason", [
    ({"fields": {}, "year": 2**63}, "year"),
    ({"fields": {}, "year": -5}, "year"),
    ({"fields": {}, "year": 1999}, "year"),
    ({"fields": {"t3.granted.total": 1e28}}, "t3.granted.total"),
    ({"fields": {"t3.granted.total": 10**400}}, "t3.granted.total"),
    ({"fields": {"t3.granted.total": -1}}, "t3.granted.total"),
    ({"fields": {"t3.granted.total": 2.5}}, "whole number"),
    ({"fields": {"t3.granted.total": True}}, "t3.granted.total"),
    ({"fields": {"t2.fees.amount": 10**400}}, "t2.fees.amount"),
    ({"fields": {"no.such.field": 1}}, "unknown field"),
    ({"fields": {}, "org": "机" * 201}, "org"),
    ({"fields": {}, "org": ""}, "org"),
])
def test_review_input_out_of_contract_is_422_and_nothing_is_written(client, settings, body, reason):
    jid = submit(client, "r.txt", seed_gold(0)).json()["jobs"][0]["id"]
    before = done(client, jid)[jid]
    r = client.put(f"/v1/extractions/{jid}/review", content=json.dumps(body), headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert reason in r.json()["detail"] and isinstance(r.json()["detail"], str)
    assert not (settings.labelled_dir / jid).exists()
    after = client.get(f"/v1/extractions/{jid}").json()
    assert after["reviewed"] is False and after["year"] == before["year"] and after["result"] == before["result"]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_review_refuses_non_finite_fees(client, settings, literal):
    jid = submit(client, "r.txt", seed_gold(0)).json()["jobs"][0]["id"]
    done(client, jid)
    r = client.put(f"/v1/extractions/{jid}/review", content='{"fields": {"t2.fees.amount": %s}}' % literal,
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert not (settings.labelled_dir / jid).exists()


def test_review_that_fails_to_commit_writes_no_labelled_file(client, settings, monkeypatch):
    from sqlalchemy.orm import Session
    jid = submit(client, "r.txt", seed_gold(0)).json()["jobs"][0]["id"]
    done(client, jid)

    def broken_commit(self):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Session, "commit", broken_commit)
    with pytest.raises(RuntimeError):
        client.put(f"/v1/extractions/{jid}/review", json={"fields": {"t3.granted.total": 7}})
    monkeypatch.undo()
    assert not list((settings.labelled_dir / jid).glob("*.gold.json"))
    assert client.get(f"/v1/extractions/{jid}").json()["reviewed"] is False


def test_valid_review_still_saves(client, settings):
    jid = submit(client, "r.txt", seed_gold(0)).json()["jobs"][0]["id"]
    done(client, jid)
    r = client.put(f"/v1/extractions/{jid}/review",
                   json={"fields": {"t3.granted.total": 7, "t2.fees.amount": 1.25, "t2.rules.issued": None},
                         "org": "某某局", "year": 2023})
    assert r.status_code == 200, r.text
    saved = json.loads(open(r.json()["gold_file"], encoding="utf-8").read())
    assert saved["fields"]["t2.fees.amount"] == 1.25 and saved["meta"] == {"org": "某某局", "year": 2023}


# --- exports ----------------------------------------------------------------------------------

FORMULAS = ["=1+2*cmd|' /C calc'!A0", "+1+2", "-1+2", "@SUM(A1)", "\t=1", "\r=1"]


def test_no_export_cell_is_a_formula(client):
    from gongkai.service.exports import neutralise
    for f in FORMULAS:
        assert neutralise(f).startswith("'") and neutralise(f)[1:] == f
    assert neutralise(-3) == -3 and neutralise("浉河区") == "浉河区"
    gold = json.loads(seed_gold(0))
    gold["meta"]["org"] = FORMULAS[0]
    jid = submit(client, "f.txt", json.dumps(gold, ensure_ascii=False).encode()).json()["jobs"][0]["id"]
    assert done(client, jid)[jid]["status"] == "done"
    for url in ("/v1/export.csv", "/v1/export.csv?org=%3D1"):
        rows = list(csv.reader(io.StringIO(client.get(url).content.decode("utf-8-sig"))))
        org_col = rows[0].index("org")
        assert rows[1][org_col] == "'" + FORMULAS[0]
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(client.get("/v1/export.xlsx").content))
    ws = wb["reports"]
    header = [c.value for c in ws[1]]
    assert ws.cell(2, header.index("org") + 1).value == "'" + FORMULAS[0]
    assert ws.cell(2, header.index("org") + 1).data_type != "f"


def test_single_result_csv_is_neutralised_too():
    from gongkai.extraction.document import SourceKind
    from gongkai.extraction.result import CellStatus, ExtractionResult, FieldResult, Meta
    from gongkai.service.exports import RESULT_HEADER, write_result
    result = ExtractionResult(meta=Meta(source_kind=SourceKind.text), fields={"t2.rules.issued": FieldResult(
        raw="=HYPERLINK(1)", status=CellStatus.blank)}, confidence=1.0, needs_review=False, fingerprint="x")
    rows = list(csv.reader(io.StringIO(write_result(result, "csv", bom=False).decode("utf-8"))))
    raw = RESULT_HEADER.index("raw")
    assert any(r[raw] == "'=HYPERLINK(1)" for r in rows[1:])


# --- crops ---------------------------------------------------------------------------------------

def _pdf_page(size_pt: int) -> bytes:
    import pikepdf
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(size_pt, size_pt))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _text_pdf_page(size_pt: int) -> bytes:
    """A size_pt × size_pt page with a text layer (a digital page: crops render it from PDF points)."""
    from reportlab.pdfgen import canvas
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=(size_pt, size_pt))
    for i in range(40):
        c.drawString(100, size_pt - 100 - 14 * i, f"line {i}: received 12 applications, granted 7, text layer")
    c.drawString(6000, size_pt - 6020, "12")
    c.save()
    return out.getvalue()


def test_crop_of_a_huge_pdf_page_renders_only_its_region():
    from PIL import Image

    from fastapi import HTTPException
    from gongkai.extraction.result import Provenance
    from gongkai.service.review.crops import _pdf_region
    limit = 40_000_000
    page = _text_pdf_page(7200)
    png = _pdf_region(page, 1, Box(x0=6000, y0=6000, x1=6100, y1=6030))
    w, h = Image.open(io.BytesIO(png)).size
    assert w * h <= limit and (w, h) == (224, 84)  # (100 + 2·6 pt) × 2, (30 + 2·6 pt) × 2
    with pytest.raises(HTTPException) as exc:  # a region past the pixel limit is refused, not rendered
        _pdf_region(page, 1, Box(x0=0, y0=0, x1=7200, y1=7200))
    assert exc.value.status_code == 422 and "pixel limit" in exc.value.detail
    assert _pdf_region(page, 3, Box(x0=0, y0=0, x1=10, y1=10)) is None
    from gongkai.service.review.crops import cell_crop
    assert cell_crop(page, "pdf", Provenance(page=1, box=Box(x0=6000, y0=6000, x1=6100, y1=6030))) == png


def test_crop_of_an_image_source(client):
    jid = submit(client, "scan.png", make_png(700, 500, "crop me")).json()["jobs"][0]["id"]
    done(client, jid)
    r = client.get(f"/v1/extractions/{jid}/cells/t2.rules.issued/crop.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
