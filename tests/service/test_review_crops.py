"""The review page's view of a cell's source, for every source kind: a crop of the page that shows the
cell (scanned PDF, image, digital PDF) or the source line (text, HTML). A crop is checked by reading it."""
from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from review_material import material, ocr_text
from service_helpers import settings_for, wait_jobs

from gongkai.models.registry import extract
from gongkai.service.review.crops import cell_crop, source_line

@pytest.fixture(scope="module")
def mat(tmp_path_factory):
    return material(tmp_path_factory.mktemp("review_material"))


def _numbers(result, prefix: str = "t3.") -> list[tuple[str, object]]:
    """Table cells read as numbers, longest first (a crop of '0' proves less than one of '153')."""
    cells = [(fid, f) for fid, f in result.fields.items()
             if fid.startswith(prefix) and f.status.value == "number" and f.provenance and f.raw]
    return sorted(cells, key=lambda c: -len(c[1].raw))


def _assert_crop_shows(png: bytes, raw: str, page_area: int) -> None:
    assert png.startswith(b"\x89PNG")
    w, h = Image.open(io.BytesIO(png)).size
    assert w * h < page_area / 50, "a crop is the cell, not the page"
    assert raw in ocr_text(png).replace(",", "")


def test_a_scanned_jobs_crop_of_a_table3_cell_shows_that_cell(mat, tmp_path):
    """Through the service: an image-only PDF job, its progress in pages, the crop of a table-3 cell."""
    from gongkai.service.api import create_app
    settings = settings_for(tmp_path / "data", extractor="gongkai.models.registry:extract", labeller="rules",
                            job_timeout_s=300, max_memory_mb=0)
    with TestClient(create_app(settings)) as client:
        data = mat.scan_pdf.read_bytes()
        jid = client.post("/v1/extractions", files=[("files", ("scan.pdf", data))]).json()["jobs"][0]["id"]
        job = wait_jobs(lambda i: client.get(f"/v1/extractions/{i}").json(), [jid], timeout=300)[jid]
        assert job["status"] == "done", job["reason"]
        assert job["result"]["meta"]["source_kind"] == "pdf_scan"
        assert job["progress"] == {"pages_done": 1, "pages_total": 1}
        fields = sorted(((k, v) for k, v in job["result"]["fields"].items() if k.startswith("t3.")
                         and v["status"] == "number" and v["provenance"] and v["provenance"]["box"]),
                        key=lambda kv: -len(kv[1]["raw"]))
        assert fields
        fid, cell = fields[0]
        r = client.get(f"/v1/extractions/{jid}/cells/{fid}/crop.png")
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        page = Image.open(mat.scan_png)
        _assert_crop_shows(r.content, cell["raw"], page.width * page.height)
        assert client.get(f"/review/{jid}").text.count('data-crop="1"') >= len(fields)


def test_an_image_sources_crop_shows_the_cell(mat):
    data = mat.scan_png.read_bytes()
    result = extract(data, "scan.png", labeller="rules")
    cells = _numbers(result)
    assert cells
    page = Image.open(mat.scan_png)
    for _fid, cell in cells[:2]:
        _assert_crop_shows(cell_crop(data, "png", cell.provenance), cell.raw, page.width * page.height)


def test_a_digital_pdfs_crop_is_rendered_and_shows_the_cell(mat):
    data = mat.digital_pdf.read_bytes()
    result = extract(data, "report.pdf", labeller="rules")
    assert result.meta.source_kind.value == "pdf_text"
    cells = _numbers(result)
    assert cells
    for _fid, cell in cells[:2]:
        _assert_crop_shows(cell_crop(data, "pdf", cell.provenance), cell.raw, int(595 * 842 * 4))


@pytest.mark.parametrize("kind", ["text", "html"])
def test_text_and_html_cells_show_their_source_line(mat, kind):
    path = mat.text if kind == "text" else mat.html
    data = path.read_bytes()
    result = extract(data, path.name, labeller="rules")
    cells = _numbers(result)
    assert cells
    for _fid, cell in cells[:3]:
        assert cell_crop(data, "txt" if kind == "text" else "html", cell.provenance) is None
        line = source_line(data, path.name, cell.provenance)
        assert line is not None and cell.raw in line.text
        if line.cell:  # the source has character offsets (text): the exact characters read
            assert line.cell.strip().replace(",", "") == cell.raw.replace(",", "")
        else:  # HTML: one segment per table cell, no offsets; the cell is among the line's cells
            assert cell.raw in line.text.split("\t")
