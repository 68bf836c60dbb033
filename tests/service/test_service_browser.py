"""The review page in a real browser (Playwright driving Debian's chromium, headless, loopback only):
upload a report, open its review page, edit a cell, save, and find the labelled report on disk."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from service_helpers import ROOT, free_port, seed_paths, start_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: apt-get install chromium")
        pytest.skip("chromium not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def test_upload_review_edit_save(tmp_path, browser):
    data_dir = tmp_path / "data"
    port = free_port()
    server = start_server(data_dir, port)
    base = f"http://127.0.0.1:{port}"
    seed = seed_paths("*.gold.json")[0]
    upload = tmp_path / "浉河区2023年报.txt"
    upload.write_bytes(seed.read_bytes())
    try:
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base) else route.abort())
        page.goto(base + "/")
        page.set_input_files("#files", str(upload))
        page.click("#upload button[type=submit]")
        item = page.locator("#submitted li.status-done")
        item.wait_for(timeout=30_000)
        page.click("#submitted li a")
        page.wait_for_selector("#review-form")
        assert page.locator("td.cell").count() == 200
        cell = page.locator('td.cell[data-field="t2.rules.issued"]')
        cell.click()
        assert "规章 本年制发件数" in page.inner_text("#cell-panel")
        cell.locator("input").fill("5")
        assert "edited" in cell.get_attribute("class")
        page.click("#save")
        page.wait_for_function("document.querySelector('#save-status').textContent.startsWith('saved')",
                               timeout=15_000)
        assert "verified" in cell.get_attribute("class")
        assert page.inner_text("#review-state") == "reviewed"
        # an edit that breaks a row: the violation list is refreshed from the save, without a reload
        total = page.locator('td.cell[data-field="t3.granted.total"] input')
        total.fill(str(int(total.input_value() or 0) + 1))
        page.click("#save")
        page.wait_for_function("document.querySelector('ul.violations').textContent.includes('t3.row.granted')",
                               timeout=15_000)
        assert "violated" in page.locator('td.cell[data-field="t3.granted.total"]').get_attribute("class")
        page.locator('td.cell[data-field="t3.granted.natural_person"]').click()  # a corrected cell, for the shot
        shot = os.environ.get("GONGKAI_DOCS_SCREENSHOT")
        page.screenshot(path=shot or str(tmp_path / "review.png"), full_page=True)
        job_id = page.locator(".review").get_attribute("data-job")
    finally:
        server.terminate()
        server.wait(10)
    folder = data_dir / "labelled" / job_id
    sources = [p for p in folder.iterdir() if not p.name.endswith(".gold.json")]
    assert len(sources) == 1 and sources[0].read_bytes() == seed.read_bytes()
    gold = json.loads((folder / (sources[0].stem + ".gold.json")).read_text("utf-8"))
    assert gold["fields"]["t2.rules.issued"] == 5
    assert gold["fields"]["t3.granted.total"] == json.loads(seed.read_bytes())["fields"]["t3.granted.total"] + 1
    assert gold["meta"] == {"org": "浉河区人民政府办公室", "year": 2023}
    assert ROOT.exists()
