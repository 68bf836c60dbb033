"""One set of limits, the same at intake and in the engine; text bounded before parsing; no quadratic
pass over a run of digits; one sniffer; owner-password PDFs read; progress per page."""
from __future__ import annotations

import io
import json
import subprocess
import sys
import zlib
import struct

import pytest
from fastapi.testclient import TestClient
from service_helpers import HERE, ROOT, make_pdf, settings_for

from gongkai.extraction.ingest import sniff, sniff_kind
from gongkai.extraction.ingest.limits import DEFAULT_LIMITS, current_limits
from gongkai.extraction.pipeline import ExtractionError
from gongkai.models.registry import extract
from gongkai.service.api import create_app
from gongkai.service.config import Settings
from gongkai.service.intake import Rejected, check_upload
from gongkai.service.intake import sniff as intake_sniff

REAL = ROOT.parent / "shared" / "data" / "real"


def test_service_defaults_are_the_engine_limits(tmp_path):
    s = Settings(data_dir=tmp_path)
    assert s.limits == DEFAULT_LIMITS
    assert (s.max_pages, s.max_pixels, s.max_upload_bytes, s.max_text_chars) == (
        DEFAULT_LIMITS.max_pages, DEFAULT_LIMITS.max_pixels, DEFAULT_LIMITS.max_bytes, DEFAULT_LIMITS.max_text_chars)
    changed = Settings(data_dir=tmp_path, max_pages=5, max_text_chars=1000)
    assert changed.limits.max_pages == 5 and changed.limits.max_text_chars == 1000


def _png_header(w: int, h: int) -> bytes:
    """A real PNG of w×h (1-bit, all black), built by hand: zlib of zero rows, no 144 MP bitmap in memory."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    row = b"\x00" + b"\x00" * ((w + 7) // 8)
    comp = zlib.compressobj(9)
    idat = b"".join(comp.compress(row) for _ in range(h)) + comp.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def test_199_page_pdf_and_12000px_png_are_refused_at_intake_naming_the_limit(tmp_path):
    s = settings_for(tmp_path / "d", max_pages=DEFAULT_LIMITS.max_pages, max_pixels=DEFAULT_LIMITS.max_pixels)
    with TestClient(create_app(s)) as c:
        r = c.post("/v1/extractions", files=[("files", ("long.pdf", make_pdf(199)))])
        assert r.status_code == 422 and "199 pages" in r.json()["detail"] and "max_pages" in r.json()["detail"]
        assert str(DEFAULT_LIMITS.max_pages) in r.json()["detail"]
        r = c.post("/v1/extractions", files=[("files", ("huge.png", _png_header(12000, 12000)))])
        assert r.status_code == 422 and "12000x12000" in r.json()["detail"] and "max_pixels" in r.json()["detail"]
        r = c.post("/v1/extractions", files=[("files", ("bomb.png", _png_header(20000, 20000)))])
        assert r.status_code == 422 and "max_pixels" in r.json()["detail"]  # past PIL's own bomb limit too
        assert c.get("/v1/extractions").json()["total"] == 0


def test_the_engine_refuses_past_the_same_numbers():
    with pytest.raises(ExtractionError, match="max_bytes"):
        extract(b"1" * (DEFAULT_LIMITS.max_bytes + 1), "x.txt", labeller="rules")
    with pytest.raises(ExtractionError, match="max_text_chars"):
        extract(b"1" * (DEFAULT_LIMITS.max_text_chars + 1), "x.txt", labeller="rules")


def test_a_50_mb_digit_text_fails_fast_with_a_reason_and_bounded_memory(tmp_path):
    """In a child (its peak memory is its own): intake refuses it naming the limit, and so does the engine,
    both before any parsing — the peak stays near the size of the input, not the 3.5 GB a parse reached."""
    code = f"""
import sys
sys.path[:0] = [{str(ROOT)!r}, {str(HERE)!r}]
from gongkai.extraction.pipeline import ExtractionError
from gongkai.models.registry import extract
from gongkai.service.config import Settings
from gongkai.service.intake import Rejected, check_upload
data = b"7" * 50_000_000
try:
    check_upload(data, "digits.txt", Settings(data_dir={str(tmp_path)!r}))
except Rejected as exc:
    print("intake", exc.status, exc.reason)
try:
    extract(data, "digits.txt")
except ExtractionError as exc:
    print("engine", exc)
# VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec from the forked parent (a big pytest process)
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
print("peak_mb", int(hwm) // 1024)
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    out = dict(line.split(" ", 1) for line in r.stdout.splitlines())
    assert r.returncode == 0, r.stderr[-2000:]
    assert out["intake"].startswith("422") and "max_text_chars" in out["intake"]
    assert "50,000,000 characters" in out["engine"] and "max_text_chars" in out["engine"]
    assert int(out["peak_mb"]) < 1000


def test_a_1_mb_run_of_digits_ends_with_a_reason(client):
    r = client.post("/v1/extract", files={"file": ("digits.txt", b"1" * 1_000_000)})
    assert r.status_code == 422 and "max_text_chars" in r.json()["detail"]
    r = client.post("/v1/extractions", files=[("files", ("digits.txt", b"1" * 1_000_000))])
    assert r.status_code == 422 and "max_text_chars" in r.json()["detail"]


def test_span_decoding_is_linear_in_a_run_of_digits():
    """The model's span decoding asked, at every digit of a run, for the run's extent by walking it: 10 KB
    took 5.6 s, 40 KB 70 s (20 KB did not end in 200 s on the test machine). With one pass per run 300 K
    digits decode in seconds; the subprocess timeout is only a guard against the quadratic version (hours)."""
    code = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
import numpy as np
from gongkai.extraction.document import Document, Segment, SourceKind
from gongkai.models.token_classifier import ModelLabeller, decode_spans, linearise, _number_runs
text = "1" * 300_000 + ".5"  # an amount 300 K digits long: every digit lies inside it
doc = Document(source_kind=SourceKind.text, name="d.txt", segments=[Segment(text=text, line=0, span=(0, len(text)))])
lab = ModelLabeller.load_default()
lin = linearise(doc)
# every digit read as the start of a value: the decoder asks at each one whether it lies inside a number
probs = np.zeros((len(lin.keys), len(lab.labels)), dtype=np.float32)
probs[:, lab.labels.index("B-VALUE")] = 1.0
spans = decode_spans(doc, lin, probs, lab.labels)
runs = _number_runs("12,3 45.6x7")
print(len(spans) == 1 and spans[0].end == len(text), runs[0], runs[6], runs[10])
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == ["True", "(0,", "4,", "False)", "(5,", "9,", "True)", "(10,", "11,", "False)"]


def test_one_sniffer_and_utf16_text_is_text():
    report = "政府信息公开工作年度报告\n一、总体情况\n本年新收 12 件\n"
    for enc in ("utf-16", "utf-16-le", "utf-16-be"):
        data = report.encode(enc) if enc == "utf-16" else ("\ufeff" + report).encode(enc)
        assert sniff_kind(data) == "txt" and intake_sniff(data) == "txt" and sniff(data) == "text"
    html = "<html><body><table><tr><td>本年新收</td><td>3</td></tr></table></body></html>"
    assert sniff_kind(html.encode("utf-16")) == "html" and intake_sniff(html.encode("utf-16")) == "html"
    assert sniff_kind(b"PK\x03\x04zip") is None and sniff_kind(make_pdf(1)) == "pdf"
    s = Settings(data_dir="/tmp/unused")
    assert check_upload(report.encode("utf-16"), "r.txt", s).kind == "txt"


def _encrypt(data: bytes, owner: str, user: str) -> bytes:
    import pikepdf
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(owner=owner, user=user, allow=pikepdf.Permissions(extract=False)))
    return out.getvalue()


def test_owner_password_only_pdf_is_accepted_and_a_user_password_pdf_refused(tmp_path):
    s = settings_for(tmp_path / "d")
    owner_only = _encrypt(make_pdf(2), owner="owner-secret", user="")
    assert b"/Encrypt" in owner_only
    assert check_upload(owner_only, "o.pdf", s).pages == 2
    with pytest.raises(Rejected) as exc:
        check_upload(_encrypt(make_pdf(2), owner="o", user="u"), "u.pdf", s)
    assert exc.value.status == 422 and "password" in exc.value.reason


def test_owner_password_only_pdf_is_extracted():
    paths = sorted(REAL.glob("*.pdf"))
    if not paths:
        pytest.skip("../shared is not beside the repository")
    plain = paths[0].read_bytes()
    locked = _encrypt(plain, owner="owner-secret", user="")
    a, b = extract(plain, "r.pdf", labeller="rules"), extract(locked, "r.pdf", labeller="rules")
    assert a.values() == b.values() and sum(v is not None for v in b.values().values()) > 100
    assert b.meta.org == a.meta.org


def test_progress_is_reported_per_page(tmp_path):
    from gongkai.service.jobs import isolated_extract
    seen: list[tuple[int, int]] = []
    isolated_extract(b"paged report FAKE:PAGES=3", "p.txt", settings_for(tmp_path), on_page=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_the_child_runs_with_the_services_limits(tmp_path):
    """A limit changed in the settings is the engine's limit in the extraction child too."""
    from gongkai.service.jobs import isolated_extract
    s = settings_for(tmp_path, extractor="gongkai.models.registry:extract", labeller="rules", max_text_chars=50)
    with pytest.raises(ExtractionError, match="the limit is 50 characters"):
        isolated_extract(b"x" * 60, "t.txt", s)
    assert current_limits() == DEFAULT_LIMITS  # this process is untouched


def test_a_digit_run_longer_than_any_value_in_a_table_row_is_not_a_crash():
    """5000 digits where a count belongs: Python refuses int() past 4300 digits, which failed the job with a
    bare ValueError; such a run is not a value, and the report still extracts."""
    text = ("2023年政府信息公开工作年度报告\n三、收到和处理政府信息公开申请情况\n"
            "本年新收政府信息公开申请数量 " + "1" * 5000 + "\n").encode()
    try:
        result = extract(text, "r.txt", labeller="rules")
    except ExtractionError as exc:  # a clean refusal is fine too: not a crash
        assert "not" in str(exc)
    else:
        assert all(v is None or v < 10**1000 for v in result.values().values())


def _pdf_with_page(width_pt: int, height_pt: int) -> bytes:
    """One page of the given size (pdfium and pdfplumber rebuild the cross-reference table it shifts)."""
    return make_pdf(1).replace(b"/MediaBox [0 0 595 842]", f"/MediaBox [0 0 {width_pt} {height_pt}]".encode())


def test_a_100_page_pdf_over_a_limit_of_60_is_refused_at_submission_naming_the_limit(tmp_path):
    s = settings_for(tmp_path / "d", max_pages=60)
    with TestClient(create_app(s)) as c:
        r = c.post("/v1/extractions", files=[("files", ("long.pdf", make_pdf(100)))])
        assert r.status_code == 422, r.text
        assert r.json()["detail"] == "the PDF has 100 pages; the limit is 60 pages (max_pages)"
        r = c.post("/v1/extractions", files=[("files", ("short.pdf", make_pdf(60)))])
        assert r.status_code == 202 and r.json()["jobs"][0]["status"] in ("queued", "running", "done")
        assert c.get("/v1/extractions").json()["total"] == 1


def test_intake_and_ingest_decide_pages_and_pixels_by_the_same_check(tmp_path):
    """Each input is refused by both, with the same reason, or by neither: the intake runs the ingest's
    checks (extraction.ingest.checks) with the limits the extraction child gets."""
    from gongkai.extraction.ingest import IngestError
    from gongkai.extraction.ingest.image import read_images
    from gongkai.extraction.ingest.pdf import read_pdf
    s = settings_for(tmp_path / "d", max_pages=60, max_pixels=DEFAULT_LIMITS.max_pixels)
    giant = _pdf_with_page(9999, 9999)  # 27772 px square at 200 dpi: past 40 MP whatever its text layer
    cases = [("long.pdf", make_pdf(100), read_pdf), ("giant.pdf", giant, read_pdf),
             ("huge.png", _png_header(12000, 12000), read_images)]
    for name, data, reader in cases:
        with pytest.raises(Rejected) as intake:
            check_upload(data, name, s)
        with pytest.raises(IngestError) as ingest:
            reader(data, name, ocr=object(), limits=s.limits)
        assert intake.value.status == 422 and intake.value.reason == str(ingest.value), name
    assert check_upload(make_pdf(60), "ok.pdf", s).pages == 60
    assert check_upload(_pdf_with_page(595, 842), "a4.pdf", s).pages == 1
