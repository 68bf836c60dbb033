"""The stages form layers: every import between them points down, so there is no import cycle.

    extraction          the bottom: stage types (Document, labelling spans and tags, the OCR engine
                        protocol, the pipeline object) and everything that needs no model
    models              labellers, OCR engines, the default pipeline construction: may import extraction
    service, training   may import extraction and models (not each other)
    eval                may import all four
    gongkai (façade)    `gongkai/__init__.py`, the command line: may import anything; no stage imports it

Function-level imports count (a lazy import is still a dependency: it only moves the cycle to run
time), and relative imports are resolved against the file's package.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

ALLOWED: dict[str, frozenset[str]] = {
    "extraction": frozenset(),
    "models": frozenset({"extraction"}),
    "service": frozenset({"extraction", "models"}),
    "training": frozenset({"extraction", "models"}),
    "eval": frozenset({"extraction", "models", "training", "service"}),
}
FACADE = "gongkai"  # the folder of the top-level package itself


def _package_of(path: Path) -> list[str]:
    """The dotted package a file belongs to, as installed: `models/ocr.py` -> gongkai.models."""
    folder = path.parent.relative_to(ROOT).parts
    return ["gongkai"] if folder[0] == FACADE else ["gongkai", *folder]


def imported_modules(source: str, package: list[str]) -> list[tuple[int, str]]:
    """Every module a file of `package` imports (any depth in the file), absolute and dotted."""
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]  # level 1: the file's own package
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # `from gongkai import models` imports the stage, not the façade
            names = [f"{module}.{a.name}" for a in node.names] if module == "gongkai" else [module]
            out += [(node.lineno, m) for m in names]
    return out


def _layer(module: str) -> str | None:
    """The stage (or the façade) a gongkai module belongs to; None outside gongkai."""
    parts = module.split(".")
    if parts[0] != "gongkai":
        return None
    return parts[1] if len(parts) > 1 and parts[1] in ALLOWED else FACADE


def offending_imports() -> list[str]:
    bad = []
    for stage, allowed in ALLOWED.items():
        for f in sorted((ROOT / stage).rglob("*.py")):
            for line, module in imported_modules(f.read_text(encoding="utf-8"), _package_of(f)):
                target = _layer(module)
                if target is None or target == stage or target in allowed:
                    continue
                bad.append(f"{f.relative_to(ROOT)}:{line} imports {module} ({stage} -> {target})")
    return bad


def test_stage_imports_point_down_the_layers():
    bad = offending_imports()
    assert not bad, "imports against the layering (tests/packaging/test_layering.py):\n" + "\n".join(bad)


def test_the_layers_have_no_cycle():
    """The allowed directions themselves form no cycle (a check on ALLOWED, should it be edited)."""
    seen: dict[str, int] = {}

    def visit(stage: str) -> None:
        assert seen.get(stage) != 1, f"cycle through {stage}"
        if seen.get(stage) == 2:
            return
        seen[stage] = 1
        for below in ALLOWED[stage]:
            visit(below)
        seen[stage] = 2

    for stage in ALLOWED:
        visit(stage)


def test_relative_imports_are_resolved():
    """A relative import counts like the absolute one it stands for."""
    src = "from ..extraction import document\nfrom . import rules\nfrom .ocr import OcrLine\nimport gongkai\n"
    assert [m for _, m in imported_modules(src, ["gongkai", "models"])] == [
        "gongkai.extraction", "gongkai.models", "gongkai.models.ocr", "gongkai"]
    assert _layer("gongkai") == FACADE and _layer("gongkai.cli") == FACADE and _layer("numpy") is None
