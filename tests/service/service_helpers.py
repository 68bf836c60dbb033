"""Helpers for the service tests: settings with the fake extractor, sample files of every kind, a real server."""
from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path


HERE = Path(__file__).parent
ROOT = HERE.parents[1]
SEEDS = ROOT.parent / "shared" / "data" / "seeds"
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from gongkai.service.config import Settings  # noqa: E402

FAKE = "fake_pipeline:extract"


def make_pdf(pages: int = 1, encrypted: bool = False, truncated: bool = False, marker: str = "") -> bytes:
    """A small well-formed PDF (correct xref) with `pages` empty pages."""
    kids = " ".join(f"{3 + i} 0 R" for i in range(pages))
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>"]
    objs += ["<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"] * pages
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n{body}\nendobj\n".encode())
    if marker:
        out.write(f"% {marker}\n".encode())
    xref = out.tell()
    out.write(f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    enc = " /Encrypt << /Filter /Standard /V 1 /R 2 >>" if encrypted else ""
    out.write(f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R{enc} >>\nstartxref\n{xref}\n%%EOF\n".encode())
    data = out.getvalue()
    return data[: len(data) // 2] if truncated else data


def make_png(w: int = 640, h: int = 480, text: str = "") -> bytes:
    from PIL import Image, ImageDraw
    im = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(im)
    for i in range(0, w, 40):
        d.line([(i, 0), (i, h)], fill="black")
    if text:
        d.text((5, h - 20), text, fill="black")
    buf = io.BytesIO()
    im.save(buf, "PNG", pnginfo=_png_text(text))
    return buf.getvalue()


def _png_text(text: str):
    from PIL.PngImagePlugin import PngInfo
    info = PngInfo()
    if text:
        info.add_text("Comment", text)  # stored uncompressed: the fake extractor sees its markers
    return info


def seed_paths(pattern: str) -> list[Path]:
    """The shared seed files; the test is skipped (not failed) where ../shared is not beside the repo."""
    import pytest

    paths = sorted(SEEDS.glob(pattern))
    if not paths:
        pytest.skip("../shared is not beside the repository")
    return paths


def seed_gold(i: int = 0) -> bytes:
    return seed_paths("*.gold.json")[i].read_bytes()


def settings_for(tmp: Path, **kw) -> Settings:
    base = dict(data_dir=tmp, extractor=FAKE, workers=2, job_timeout_s=8, max_memory_mb=1024, log_level="WARNING",
                allowed_hosts="localhost,127.0.0.1,[::1],testserver")  # TestClient's Host is `testserver`
    base.update(kw)
    return Settings(**base)


def wait_jobs(get, ids, timeout: float = 30.0) -> dict[str, dict]:
    """Poll until every job is done or failed; `get(id)` returns the job's JSON."""
    deadline = time.monotonic() + timeout
    jobs: dict[str, dict] = {}
    while time.monotonic() < deadline:
        jobs = {i: get(i) for i in ids}
        if all(j["status"] in ("done", "failed") for j in jobs.values()):
            return jobs
        time.sleep(0.2)
    raise AssertionError(f"jobs still pending: {[(i, j['status']) for i, j in jobs.items()]}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path, port: int, **env) -> subprocess.Popen:
    """Real uvicorn in a subprocess (`python -m gongkai.service.api 127.0.0.1 PORT`) with the fake extractor."""
    environ = {**os.environ, "GONGKAI_DATA_DIR": str(data_dir), "GONGKAI_EXTRACTOR": FAKE,
               "GONGKAI_LOG_LEVEL": "WARNING", "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)]), **env}
    environ.pop("GONGKAI_BROKER_URL", None) if "GONGKAI_BROKER_URL" not in env else None
    proc = subprocess.Popen([sys.executable, "-m", "gongkai.service.api", "127.0.0.1", str(port)], cwd=ROOT, env=environ,
                            stdout=subprocess.DEVNULL, stderr=open(data_dir.parent / f"server-{port}.log", "ab"))
    import httpx
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not become ready")
