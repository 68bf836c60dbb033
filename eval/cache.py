"""Ingested `Document`s cached on disk, so ablations and re-runs never OCR a scan twice.

Key: SHA-256 of the file's bytes + a hash of the ingestion code (extraction/ingest/, the Document
model, the OCR engine), so changing a reader invalidates its entries. One pickle per file under
data/cache/ingest/ (git-ignored, local, written only by this harness), holding the Document and
the seconds its ingestion took, so timings stay honest when it is served from the cache.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import time
from functools import lru_cache
from pathlib import Path

from gongkai.extraction.document import Document

__all__ = ["DocumentCache", "ingest_version"]

REPO = Path(__file__).resolve().parents[1]
_INGEST_CODE = ("extraction/ingest", "extraction/document.py", "extraction/textnorm.py", "models/ocr.py")


@lru_cache(maxsize=1)
def ingest_version() -> str:
    h = hashlib.sha256()
    for rel in _INGEST_CODE:
        p = REPO / rel
        for f in sorted(p.rglob("*.py")) if p.is_dir() else [p]:
            if f.exists():
                h.update(f.relative_to(REPO).as_posix().encode())
                h.update(f.read_bytes())
    return h.hexdigest()[:12]


class DocumentCache:
    """`get(path)` → (Document, ingest seconds, from_cache); ingestion errors propagate."""

    def __init__(self, root: Path | None = REPO / "data" / "cache" / "ingest"):
        self.root = Path(root) if root is not None else None

    def key(self, data: bytes) -> str:
        return f"{hashlib.sha256(data).hexdigest()[:24]}-{ingest_version()}"

    def get(self, path: Path) -> tuple[Document, float, bool]:
        from gongkai.extraction.ingest import read_document
        from gongkai.models.ocr import BundledOcr

        data = Path(path).read_bytes()
        entry = self.root / f"{self.key(data)}.pkl" if self.root is not None else None
        if entry is not None and entry.exists():
            try:
                with entry.open("rb") as fh:
                    doc, seconds = pickle.load(fh)
                return doc, seconds, True
            except Exception:  # noqa: BLE001 - a torn or stale entry is re-ingested
                pass
        start = time.perf_counter()
        doc = read_document(data, Path(path).name, ocr=BundledOcr())
        seconds = time.perf_counter() - start
        if entry is not None:
            entry.parent.mkdir(parents=True, exist_ok=True)
            tmp = entry.with_suffix(f".{os.getpid()}.tmp")
            with tmp.open("wb") as fh:
                pickle.dump((doc, seconds), fh, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(entry)
        return doc, seconds, False
