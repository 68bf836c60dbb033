"""Write synthetic samples to disk: `{id}.{txt|html|pdf}` + `{id}.gold.json` (+ `{id}.labels.json`
for text and HTML; + `{id}.p{k}.jpg` page images for scans), and a `manifest.jsonl`."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Iterable

from gongkai.training.synth.sample import Sample, SampleSpec, make_html, make_pdf, make_scan, make_text

__all__ = ["make_sample", "write_sample", "generate"]


def make_sample(kind: str, seed: int, index: int, spec: SampleSpec) -> Sample:
    if kind == "text":
        return make_text(seed, index, spec)
    if kind == "html":
        return make_html(seed, index, spec)
    if kind == "pdf":
        return make_pdf(seed, index, spec)[0]
    if kind == "scan":
        return make_scan(seed, index, spec)
    raise ValueError(f"unknown kind {kind!r} (text, html, pdf, scan)")


def _dump(obj, indent: int | None = 1) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, indent=indent, separators=(",", ": ") if indent else (",", ":"))
            + "\n").encode("utf-8")


def write_sample(s: Sample, out: Path, page_images: bool = True) -> dict:
    main = out / f"{s.id}.{s.ext}"
    if s.data is not None:
        main.write_bytes(s.data)
    else:
        main.write_bytes(s.text.encode("utf-8"))
    (out / f"{s.id}.gold.json").write_bytes(_dump(s.gold))
    if s.spans is not None:
        enc = s.gold.get("encoding", "utf-8")
        (out / f"{s.id}.labels.json").write_bytes(_dump({"encoding": enc, "length": len(s.text), "spans": s.spans}, indent=None))
    if page_images:
        for suffix, b in s.extra_files.items():
            (out / f"{s.id}.{suffix}").write_bytes(b)
    return {"id": s.id, "kind": s.kind, "file": main.name, "layout": s.gold.get("layout"),
            "noise": s.gold.get("noise", {}).get("level"), "source_errors": s.gold.get("source_errors", [])}


def generate(out: Path, n: int, kinds: Iterable[str], seed: int, spec_for: Callable[[str], SampleSpec],
             progress: Callable[[int], None] | None = None, start: int = 0) -> list[dict]:
    """Generate `n` samples of every kind in `kinds` into `out`; returns the manifest rows."""
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for kind in kinds:
        spec = spec_for(kind)
        for i in range(start, start + n):
            rows.append(write_sample(make_sample(kind, seed, i, spec), out))
            if progress:
                progress(1)
    (out / "manifest.jsonl").write_bytes(b"".join(
        (json.dumps(r, ensure_ascii=False) + "\n").encode("utf-8") for r in rows))
    return rows
