"""Review pages and saving a review; cross-year checks; folder extraction to a dataset."""
from __future__ import annotations

import io
import json

from service_helpers import make_png, seed_gold, settings_for, wait_jobs

from gongkai.extraction.fields import ALL_FIELDS
from gongkai.service.crossyear import compare
from gongkai.service.exports import extract_folder


def submit(client, name, data):
    return client.post("/v1/extractions", files=[("files", (name, data))]).json()["jobs"][0]["id"]


def finish(client, *ids):
    """Wait until every job has finished, then read them all once more: a job read in the round that saw
    the last one finish may have been read before that one's cross-year findings were added to it."""
    wait_jobs(lambda i: client.get(f"/v1/extractions/{i}").json(), ids)
    return {i: client.get(f"/v1/extractions/{i}").json() for i in ids}


def gold(org, year, **values):
    fields = {fid: 0 for fid in ALL_FIELDS}
    fields.update({k.replace("__", "."): v for k, v in values.items()})
    return json.dumps({"meta": {"org": org, "year": year}, "fields": fields}, ensure_ascii=False).encode()


def test_index_and_review_pages_render_the_three_tables(client):
    jid = submit(client, "s.txt", seed_gold(0))
    finish(client, jid)
    index = client.get("/")
    assert index.status_code == 200 and jid in index.text and 'id="upload"' in index.text
    page = client.get(f"/review/{jid}").text
    for fid in ALL_FIELDS:
        assert f'data-field="{fid}"' in page
    assert "申请人情况" in page and "行政复议" in page and "第二十条第（一）项" in page
    assert 'class="orig"' in page  # the fake corrects one cell: its original reading is shown
    assert "hsl(" in page  # confidence colours
    assert client.get("/review/nope").status_code == 404


def test_review_page_of_a_pending_or_failed_job(client):
    jid = submit(client, "f.txt", b"FAKE:FAIL")
    finish(client, jid)
    page = client.get(f"/review/{jid}").text
    assert "not a report" in page and "No result yet" in page


def test_saving_a_review_writes_the_labelled_report_and_marks_cells(client, settings):
    jid = submit(client, "浉河 report.txt", seed_gold(0))
    finish(client, jid)
    r = client.put(f"/v1/extractions/{jid}/review", json={"fields": {"t3.granted.total": 7, "t2.fees.amount": 1.5}})
    assert r.status_code == 200, r.text
    body = r.json()
    folder = settings.labelled_dir / jid
    assert body["labelled_dir"] == str(folder)
    source = folder / body["job"]["filename"]
    assert source.read_bytes() == seed_gold(0)
    gold_file = folder / (source.stem + ".gold.json")
    saved = json.loads(gold_file.read_text("utf-8"))
    assert saved["meta"] == {"org": "浉河区人民政府办公室", "year": 2023}
    assert saved["fields"]["t3.granted.total"] == 7 and saved["fields"]["t2.fees.amount"] == 1.5
    result = client.get(f"/v1/extractions/{jid}").json()
    assert result["reviewed"] is True
    cell = result["result"]["fields"]["t3.granted.total"]
    assert cell["value"] == 7 and cell["human_verified"] is True
    assert result["result"]["fields"]["t3.granted.commercial"]["human_verified"] is False
    assert any(v["constraint"] == "t3.row.granted" for v in result["result"]["violations"])  # 7 ≠ Σ parts


def test_review_errors(client):
    jid = submit(client, "f.txt", b"FAKE:FAIL")
    ok = submit(client, "ok.txt", b"fine")
    finish(client, jid, ok)
    assert client.put(f"/v1/extractions/{jid}/review", json={"fields": {}}).status_code == 409
    assert client.put("/v1/extractions/nope/review", json={"fields": {}}).status_code == 404
    assert client.put(f"/v1/extractions/{ok}/review", json={"fields": {"t9.bogus": 1}}).status_code == 422
    assert client.put(f"/v1/extractions/{ok}/review", json={"fields": {"t2.rules.issued": "x"}}).status_code == 422


def test_cell_crop_for_image_sources(client):
    jid = submit(client, "scan.png", make_png())
    finish(client, jid)
    r = client.get(f"/v1/extractions/{jid}/cells/t2.rules.issued/crop.png")
    assert r.status_code == 200 and r.content.startswith(b"\x89PNG")
    from PIL import Image
    assert Image.open(io.BytesIO(r.content)).size[0] < 100
    txt = submit(client, "t.txt", b"text report")
    finish(client, txt)
    assert client.get(f"/v1/extractions/{txt}/cells/t2.rules.issued/crop.png").status_code == 404
    assert client.get(f"/v1/extractions/{jid}/cells/nope/crop.png").status_code == 404


def test_compare_carried_over_and_in_force():
    prev = {"t3.carried_forward.total": 3, "t3.carried_forward.natural_person": 3, "t2.rules.in_force": 10}
    cur = {"t3.carried_over.total": 2, "t3.carried_over.natural_person": 3, "t2.rules.in_force": 12,
           "t2.rules.issued": 1, "t2.rules.repealed": 0}
    on_prev, on_cur = compare(prev, cur, 2022, 2023)
    assert [(f.kind, f.field) for f in on_cur] == [("carried_over_mismatch", "t3.carried_over.total"),
                                                   ("in_force_discontinuity", "t2.rules.in_force")]
    assert on_cur[1].severity == "warning" and on_cur[0].severity == "error"
    assert on_prev[0].field == "t3.carried_forward.total"


def test_cross_year_findings_on_both_reports(client):
    a = submit(client, "2022.txt", gold("某局", 2022, t3__carried_forward__total=4, t3__carried_forward__natural_person=4))
    b = submit(client, "2023.txt", gold("某局", 2023, t3__carried_over__total=3, t3__carried_over__natural_person=4))
    c = submit(client, "other.txt", gold("另一局", 2023, t3__carried_over__total=9))
    jobs = finish(client, a, b, c)
    assert [f["field"] for f in jobs[a]["crossyear"]] == ["t3.carried_forward.total"]
    assert [f["field"] for f in jobs[b]["crossyear"]] == ["t3.carried_over.total"]
    assert jobs[b]["crossyear"][0]["other_job"] == a and jobs[c]["crossyear"] == []
    assert "t3.carried_over.total" in client.get(f"/review/{b}").text
    # the reviewer fixes the reading: the finding disappears from both
    client.put(f"/v1/extractions/{b}/review", json={"fields": {"t3.carried_over.total": 4}})
    assert client.get(f"/v1/extractions/{a}").json()["crossyear"] == []
    assert client.get(f"/v1/extractions/{b}").json()["crossyear"] == []


def test_cross_year_links_two_spellings_of_one_agency(client):
    """淮安市洪泽区人民政府 one year and 洪泽区人民政府 the next are one agency (Meta.org_canonical)."""
    a = submit(client, "2023.txt", gold("洪泽区人民政府", 2023, t3__carried_forward__total=4,
                                        t3__carried_forward__natural_person=4))
    b = submit(client, "2024.txt", gold("淮安市洪泽区政府", 2024, t3__carried_over__total=3,
                                        t3__carried_over__natural_person=4))
    c = submit(client, "other.txt", gold("淮安市淮阴区人民政府", 2024, t3__carried_over__total=9))
    jobs = finish(client, a, b, c)
    assert [f["field"] for f in jobs[b]["crossyear"]] == ["t3.carried_over.total"]
    assert jobs[b]["crossyear"][0]["other_job"] == a
    assert [f["field"] for f in jobs[a]["crossyear"]] == ["t3.carried_forward.total"]
    assert jobs[c]["crossyear"] == []  # another district of the same city is another agency


def test_extract_folder_links_two_spellings_of_one_agency(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_bytes(gold("洪泽区人民政府", 2023, t3__carried_forward__total=4))
    (folder / "b.txt").write_bytes(gold("淮安市洪泽区人民政府", 2024, t3__carried_over__total=3))
    extract_folder(folder, tmp_path / "out.xlsx", jobs=1, settings=settings_for(tmp_path / "d"), progress=False)
    from openpyxl import load_workbook
    rows = list(load_workbook(tmp_path / "out.xlsx")["reports"].iter_rows(values_only=True))
    by_file = {r[rows[0].index("file")]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert "上年结转" in by_file["b.txt"]["crossyear_findings"] and by_file["a.txt"]["crossyear_findings"]
    assert by_file["a.txt"]["org"] == "洪泽区人民政府"  # as printed; the key is the canonical name
    assert by_file["a.txt"]["org_canonical"] == by_file["b.txt"]["org_canonical"] == "淮安市洪泽区人民政府"


def test_extract_folder_to_xlsx_and_csv(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_bytes(gold("某局", 2022, t3__carried_forward__total=4))
    (folder / "b.txt").write_bytes(gold("某局", 2023, t3__carried_over__total=3))
    (folder / "bad.txt").write_bytes(b"FAKE:FAIL")
    (folder / "ignored.json").write_text("{}")
    settings = settings_for(tmp_path / "d")
    summary = extract_folder(folder, tmp_path / "out.xlsx", jobs=2, settings=settings, progress=False)
    assert summary == {"done": 2, "failed": 1, "out": str(tmp_path / "out.xlsx")}
    from openpyxl import load_workbook
    rows = list(load_workbook(tmp_path / "out.xlsx")["reports"].iter_rows(values_only=True))
    header = rows[0]
    by_file = {r[header.index("file")]: dict(zip(header, r)) for r in rows[1:]}
    assert by_file["bad.txt"]["status"] == "failed" and "not a report" in by_file["bad.txt"]["reason"]
    assert "上年结转" in by_file["b.txt"]["crossyear_findings"] and by_file["a.txt"]["crossyear_findings"]
    assert by_file["b.txt"]["t3.carried_over.total"] == 3
    assert by_file["b.txt"]["org"] == "某局" and "org_canonical" in header and "region_code" in header
    extract_folder(folder, tmp_path / "out.csv", jobs=1, settings=settings, progress=False)
    assert (tmp_path / "out.csv").read_bytes().startswith(b"\xef\xbb\xbfjob_id,file")


def test_cross_year_refreshes_of_one_org_never_erase_each_other(tmp_path, request):
    """Two jobs of an org finishing together: the refresh that read the other as unfinished must
    not commit over the findings the other's refresh wrote (it waits for it instead)."""
    import json
    import threading

    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from gongkai.service import crossyear
    from gongkai.service.store import Database, Job, JobStatus

    db = Database(f"sqlite:///{tmp_path / 'jobs.db'}")

    def result(**values):
        return json.dumps({"fields": {k.replace("__", "."): {"value": v} for k, v in values.items()}})

    with db.session() as s:
        s.add_all([
            Job(id="a", dedup_key="a", sha256="a", filename="a", kind="txt", size=1, status=JobStatus.done,
                org="某局", year=2022, result_json=result(t3__carried_forward__total=4)),
            Job(id="b", dedup_key="b", sha256="b", filename="b", kind="txt", size=1, status=JobStatus.running,
                org="某局", year=2023, result_json=result(t3__carried_over__total=3))])
        s.commit()
    read_a, release_a = threading.Event(), threading.Event()
    def pause(_session):  # refresh(a) has read 2023 as unfinished; it stops just before committing
        if threading.current_thread().name == "refresh-a" and not read_a.is_set():
            read_a.set()
            release_a.wait(10)

    event.listen(Session, "before_commit", pause)
    request.addfinalizer(lambda: event.remove(Session, "before_commit", pause))
    ta = threading.Thread(target=crossyear.refresh, args=(db, "a"), name="refresh-a")
    ta.start()
    assert read_a.wait(10)
    with db.session() as s:
        s.get(Job, "b").status = JobStatus.done
        s.commit()
    tb = threading.Thread(target=crossyear.refresh, args=(db, "b"))
    tb.start()
    tb.join(1)  # unserialised, b's refresh finishes here, before a's stale write
    release_a.set()
    ta.join(10)
    tb.join(10)
    assert [f["field"] for f in json.loads(db.get("a").crossyear_json)] == ["t3.carried_forward.total"]
    assert [f["field"] for f in json.loads(db.get("b").crossyear_json)] == ["t3.carried_over.total"]


def test_a_save_refreshes_violations_and_clears_needs_review(client):
    jid = submit(client, "broken.txt", gold("某局", 2023, t3__granted__total=3))  # ≠ its six parts' 0
    job = finish(client, jid)[jid]
    assert job["needs_review"] is True
    assert [v["constraint"] for v in job["result"]["violations"]] == ["t3.row.granted"]
    saved = client.put(f"/v1/extractions/{jid}/review", json={"fields": {"t3.granted.total": 0}}).json()
    assert saved["job"]["result"]["violations"] == [] and saved["job"]["needs_review"] is False
    assert saved["job"]["reviewed"] is True
    page = client.get(f"/review/{jid}").text
    assert "Violated constraints (0)" in page and 'id="review-state">reviewed' in page
    listed = client.get("/v1/extractions", params={"needs_review": False}).json()["items"]
    assert jid in [j["id"] for j in listed]
