"""Score the extractor on a folder of samples with gold (`python -m gongkai.eval.score DIR [DIR…]`).

Field accuracy against gold `fields` (fields in gold `missing` are not scored), document exact-match,
metadata accuracy and, where gold lists `source_errors`, whether exactly those were reported as
source errors with the printed values kept. The full harness with ablations is `gongkai eval`.
"""
from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from pathlib import Path

from gongkai.models.registry import extract

SOURCE_SUFFIXES = (".txt", ".html", ".htm", ".pdf", ".png", ".jpg", ".tif", ".tiff")


def samples(folder: Path) -> list[tuple[Path, Path]]:
    out = []
    for gold in sorted(folder.glob("*.gold.json")):
        stem = gold.name[: -len(".gold.json")]
        for suffix in SOURCE_SUFFIXES:
            src = folder / f"{stem}{suffix}"
            if src.exists():
                out.append((src, gold))
                break
    return out


def score_folder(folder: Path, labeller: str = "rules") -> dict:
    right = total = docs_exact = meta_ok = failed = 0
    src_err_cases = src_err_right = 0
    by_layout: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    seconds = 0.0
    crashes: list[str] = []
    items = samples(folder)
    for src, gold_path in items:
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        start = time.perf_counter()
        try:
            result = extract(src, labeller=labeller)
        except Exception as exc:  # noqa: BLE001 - a crash is scored as a refusal and listed
            failed += 1
            crashes.append(f"{src.name}: {type(exc).__name__}: {exc}"[:200])
            total += len(gold["fields"])
            continue
        finally:
            seconds += time.perf_counter() - start
        ok = sum(1 for k, v in gold["fields"].items() if result.fields[k].value == v)
        right += ok
        total += len(gold["fields"])
        docs_exact += ok == len(gold["fields"])
        meta_ok += (result.meta.org, result.meta.year) == (gold["meta"]["org"], gold["meta"]["year"])
        layout = gold.get("layout", "?")
        by_layout[layout][0] += ok
        by_layout[layout][1] += len(gold["fields"])
        expected = sorted(gold.get("source_errors", []))
        if expected:
            src_err_cases += 1
            reported = sorted(v.constraint for v in result.violations if v.kind.value == "source_error")
            src_err_right += reported == expected
    n = len(items)
    return {
        "samples": n,
        "field_accuracy": right / total if total else 0.0,
        "document_exact": docs_exact / n if n else 0.0,
        "meta_accuracy": meta_ok / n if n else 0.0,
        "refused": failed,
        "errors": crashes[:10],
        "source_error_exact": (src_err_right / src_err_cases) if src_err_cases else None,
        "seconds_per_document": seconds / n if n else 0.0,
        "by_layout": {k: round(a / b, 5) for k, (a, b) in sorted(by_layout.items())},
    }


def main(argv: list[str]) -> None:
    labeller = "rules"
    if "--labeller" in argv:  # `python -m gongkai.eval.score DIR --labeller model`
        at = argv.index("--labeller")
        labeller = argv[at + 1]
        argv = argv[:at] + argv[at + 2:]
    for folder in argv:
        print(Path(folder).name, json.dumps(score_folder(Path(folder), labeller), ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
