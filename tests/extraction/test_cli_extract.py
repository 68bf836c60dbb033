"""`gongkai extract FILE --json|--csv` prints exactly the result object / one row per field."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

from gongkai.extraction import fields as F
from gongkai.extraction.result import ExtractionResult
from tests.conftest import SEEDS, need_shared


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gongkai", *args], capture_output=True, text=True)


def test_json_is_the_result_object_with_all_200_fields():
    need_shared()
    proc = _cli("extract", str(SEEDS / "004_97fbb38be466e179.txt"), "--json")
    assert proc.returncode == 0, proc.stderr
    result = ExtractionResult.model_validate(json.loads(proc.stdout))
    assert list(result.fields) == F.ALL_FIELDS
    assert result.fingerprint.startswith("gongkai-")


def test_csv_has_one_row_per_field():
    need_shared()
    proc = _cli("extract", str(SEEDS / "004_97fbb38be466e179.txt"), "--csv")
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert [r["field"] for r in rows] == F.ALL_FIELDS
    assert {r["status"] for r in rows} == {"number"}


def test_schema_command_publishes_the_json_schema():
    proc = _cli("schema")
    schema = json.loads(proc.stdout)
    assert "fields" in schema["properties"] and "violations" in schema["properties"]


def test_what_native_code_prints_while_extracting_never_reaches_stdout():
    """HiGHS prints a line with C's printf from inside its MIP search now and then: with --json the
    result must still be the only thing on stdout (here the extraction itself printfs, unbuffered
    and buffered, before returning)."""
    need_shared()
    code = f"""
import ctypes, sys
from gongkai.extraction.pipeline import Pipeline
libc = ctypes.CDLL(None)
plain = Pipeline.extract
def noisy(self, *a, **k):
    libc.printf(b"native noise\\n")
    libc.fflush(None)
    libc.printf(b"buffered native noise\\n")
    return plain(self, *a, **k)
Pipeline.extract = noisy
from gongkai.cli import app
sys.argv = ["gongkai", "extract", {str(SEEDS / "004_97fbb38be466e179.txt")!r}, "--json", "--quiet"]
app()
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    ExtractionResult.model_validate(json.loads(proc.stdout))
    assert "native noise" in proc.stderr and "buffered native noise" in proc.stderr
