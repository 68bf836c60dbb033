"""A stand-in for `extraction.pipeline.extract` that the service tests steer through the file content.

Markers in the bytes: FAKE:FAIL (not a report), FAKE:BUG (an unexpected exception), FAKE:CRASH (the process
dies), FAKE:HANG (never returns), FAKE:SLEEP=<s>, FAKE:MEM (allocates without bound), FAKE:PAGES=<n> (reports
n pages read, as ingest does, pausing FAKE:SLEEP after each), FAKE:TRACE=<path> (appends a line to path when
it completes: how many times a job's extraction ran to its end), FAKE:PID (the org names the process that
extracted it: `pid<n>`). A JSON body in the
seeds' gold format is returned as the result; anything else gets deterministic values from its hash.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import time
from pathlib import Path

from gongkai.extraction.fields import ALL_FIELDS
from gongkai.extraction.pipeline import ExtractionError
from gongkai.extraction.result import (CellStatus, Correction, ExtractionResult, FieldResult, Meta, Provenance, Violation,
                               ViolationKind)
from gongkai.extraction.document import Box, SourceKind
from gongkai.extraction.meta import canonical_agency

KINDS = {".txt": SourceKind.text, ".html": SourceKind.html, ".pdf": SourceKind.pdf_scan,
         ".png": SourceKind.image, ".jpg": SourceKind.image, ".tif": SourceKind.image}


def extract(source: bytes | str | Path, name: str = "", *, labeller: str = "rules", **_pipeline_options) -> ExtractionResult:
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if b"FAKE:FAIL" in data:
        raise ExtractionError("not a report: no disclosure tables found")
    if b"FAKE:BUG" in data:
        raise RuntimeError("boom")
    if b"FAKE:CRASH" in data:
        os._exit(3)
    if b"FAKE:HANG" in data:
        time.sleep(3600)
    if b"FAKE:MEM" in data:
        blocks = [bytearray(256 << 20) for _ in range(64)]  # 16 GiB: the memory limit stops it
        return blocks  # pragma: no cover
    if m := re.search(rb"FAKE:PAGES=(\d+)", data):
        from gongkai.extraction.progress import page_read
        pause = re.search(rb"FAKE:SLEEP=([\d.]+)", data)
        for i in range(int(m.group(1))):
            page_read(i + 1, int(m.group(1)))
            time.sleep(float(pause.group(1)) if pause else 0)
    elif m := re.search(rb"FAKE:SLEEP=([\d.]+)", data):
        time.sleep(float(m.group(1)))
    if m := re.search(rb"FAKE:TRACE=(\S+)", data):
        with open(m.group(1).decode(), "a", encoding="utf-8") as fh:
            fh.write(hashlib.sha256(data).hexdigest() + "\n")
    if data.startswith(b"%PDF") and b"%%EOF" not in data[-1024:]:
        raise ExtractionError("malformed PDF: truncated (no %%EOF)")
    kind = KINDS.get(Path(name).suffix.lower(), SourceKind.text)
    text = data.decode("utf-8", "ignore").strip()
    if text.startswith("{"):
        gold = json.loads(text)
        return _result(gold["meta"].get("org"), gold["meta"].get("year"), gold["fields"], kind)
    h = hashlib.sha256(data).digest()
    org = m.group(1) if (m := re.search(r"ORG=(\S+)", text)) else f"pid{os.getpid()}" if "FAKE:PID" in text else "测试机关"
    year = int(m.group(1)) if (m := re.search(r"YEAR=(\d{4})", text)) else 2023
    values = {fid: h[i % len(h)] % 3 if not fid.endswith(".total") else 0 for i, fid in enumerate(ALL_FIELDS)}
    return _result(org, year, values, kind, low=h[0] / 255)


def _result(org, year, values: dict, kind: SourceKind, low: float = 0.6) -> ExtractionResult:
    fields = {}
    for i, fid in enumerate(ALL_FIELDS):
        if fid not in values:
            fields[fid] = FieldResult(status=CellStatus.missing)
            continue
        v = values[fid]
        box = Box(x0=10 + 40 * (i % 15), y0=10 + 20 * (i // 15), x1=45 + 40 * (i % 15), y1=28 + 20 * (i // 15))
        fields[fid] = FieldResult(value=v, raw=str(v), status=CellStatus.number if v is not None else CellStatus.blank,
                                  confidence=0.99 if i % 17 else low,
                                  provenance=Provenance(page=1, box=box if kind == SourceKind.image else None))
    fid = "t3.granted.natural_person"
    fields[fid] = fields[fid].model_copy(update={"corrected_from": "O", "confidence": 0.7})
    total = "t3.granted.total"
    parts = [f"t3.granted.{c}" for c in ("natural_person", "commercial", "research", "social", "legal_service",
                                          "other_org")]
    lhs = fields[total].value or 0
    rhs = sum(fields[p].value or 0 for p in parts)
    violations = [] if lhs == rhs else [Violation(constraint="t3.row.granted", lhs=[total], rhs=parts, lhs_value=lhs,
                                                  rhs_value=rhs, difference=lhs - rhs, kind=ViolationKind.unresolved,
                                                  cells=[total])]
    return ExtractionResult(
        meta=Meta(org=org, org_canonical=canonical_agency(org).canonical if org else None, year=year,
                  source_kind=kind), fields=fields, violations=violations,
        corrections=[Correction(field=fid, before="O", after=fields[fid].value, constraints=["t3.row.granted"],
                                reason="OCR read O for 0")],
        confidence=min(f.confidence for f in fields.values()), needs_review=bool(violations) or low < 0.9,
        fingerprint=hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16])
