"""One installed namespace: every stage folder installs under `gongkai`, nothing else at the top level."""
import sys
import tomllib
from pathlib import Path

import pytest

import gongkai

ROOT = Path(__file__).resolve().parents[2]
STAGES = ("extraction", "models", "training", "service", "eval")


def _setuptools() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def test_every_package_folder_is_listed_under_gongkai():
    """A new subpackage folder that is not in `packages` would be silently left out of the wheel."""
    cfg = _setuptools()
    listed = set(cfg["packages"])
    assert all(name == "gongkai" or name.startswith("gongkai.") for name in listed)
    found = {"gongkai"}
    for stage in STAGES:
        assert cfg["package-dir"][f"gongkai.{stage}"] == stage
        for init in (ROOT / stage).rglob("__init__.py"):
            found.add("gongkai." + ".".join(init.parent.relative_to(ROOT).parts))
    assert listed == found


def test_no_bare_stage_imports_in_the_tree():
    """`import extraction` would load a second copy of a module beside `gongkai.extraction` (two
    module objects, two caches, isinstance failing across them)."""
    import ast

    bad = []
    for stage in (*STAGES, "tests", "gongkai"):
        for f in (ROOT / stage).rglob("*.py"):
            for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
                names = ([node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level
                         else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
                bad += [f"{f.relative_to(ROOT)}:{node.lineno} {n}" for n in names if n.split(".")[0] in STAGES]
    assert not bad, bad


@pytest.mark.skipif(not (ROOT.parent / "shared" / "data" / "seeds").is_dir(), reason="needs ../shared")
def test_import_gongkai_and_extract():
    seed = sorted((ROOT.parent / "shared" / "data" / "seeds").glob("*.txt"))[0]
    result = gongkai.extract(seed)
    assert isinstance(result, gongkai.ExtractionResult)
    assert sum(1 for f in result.fields.values() if f.value is not None) > 100
    again = gongkai.extract(seed.read_bytes(), name=seed.name)
    assert again.fields == result.fields
    with pytest.raises(gongkai.ExtractionError):
        gongkai.extract(b"\x00\x01 not a report", name="x.txt")


def test_import_gongkai_is_lazy():
    """`gongkai --help` imports the package first: it must not pull in the pipeline."""
    import subprocess

    code = "import sys, gongkai; print(any(m.startswith('gongkai.extraction') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
