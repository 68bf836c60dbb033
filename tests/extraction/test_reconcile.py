"""The reconciler's contract, shown by perturbing real seed reports.

Seed 002 prints table 3 as pipe rows; we damage its text the way OCR or a crawler would and check
what the 勾稽关系 can and cannot settle.
"""
from __future__ import annotations

import pytest

from gongkai.extraction.document import SourceKind
from gongkai.extraction.review_policy import CONFIDENT
from gongkai.models.registry import extract
from tests.conftest import SEEDS, gold_for, need_shared

SEED = "002_772a363d23301ca9"
GRANTED = "(一)予以公开 | 7 | 0 | 0 | 0 | 0 | 0 | 7 |"
NOT_HELD = "1.本机关不掌握相关政府信息 | 61 | 0 | 0 | 0 | 0 | 0 | 61 |"


@pytest.fixture
def seed():
    need_shared()
    path = SEEDS / f"{SEED}.txt"
    return path.read_text(encoding="utf-8"), gold_for(path)


def run(text: str, kind: SourceKind):
    return extract(text.encode("utf-8"), "report.txt", source_kind=kind)


def damaged(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new)


def test_a_misread_digit_under_ocr_is_corrected_uniquely(seed):
    text, gold = seed
    result = run(damaged(text, GRANTED, GRANTED.replace("| 7 | 0", "| 1 | 0", 1)), SourceKind.ocr_text)
    cell = result.fields["t3.granted.natural_person"]
    assert (cell.value, cell.raw, cell.corrected_from) == (7, "1", "1")
    assert [c.field for c in result.corrections] == ["t3.granted.natural_person"]
    assert "t3.row.granted" in result.corrections[0].constraints
    assert result.violations == []
    assert {k: v for k, v in result.values().items() if k in gold["fields"] and v != gold["fields"][k]} == {}


def test_the_same_error_in_a_digital_source_is_a_source_error_and_kept(seed):
    text, _ = seed
    result = run(damaged(text, GRANTED, GRANTED.replace("| 7 | 0", "| 1 | 0", 1)), SourceKind.text)
    assert result.fields["t3.granted.natural_person"].value == 1
    assert result.corrections == []
    kinds = {v.constraint: (v.kind.value, v.cells) for v in result.violations}
    assert kinds == {
        "t3.row.granted": ("source_error", ["t3.granted.natural_person"]),
        "t3.col.natural_person": ("source_error", ["t3.granted.natural_person"]),
    }


def test_two_errors_in_one_row_are_not_guessed(seed):
    text, _ = seed
    # both cells of a row misread 7→1: the row sum still holds and the column sums break by 6 — but a
    # 0→6 look-alike in both cells of another row mends them as well, so the sums cannot choose: the
    # printed values stay, with the alternative as a candidate, and the document asks for review
    bad = damaged(text, GRANTED, "(一)予以公开 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |")
    result = run(bad, SourceKind.ocr_text)
    for col in ("natural_person", "total"):
        cell = result.fields[f"t3.granted.{col}"]
        assert (cell.value, cell.raw) == (1, "1")
        assert sorted(c.value for c in cell.candidates) == [1, 7]
        assert cell.confidence < 0.9
    assert not any(c.field.startswith("t3.granted") for c in result.corrections)
    assert result.needs_review


def test_two_compensating_errors_are_ambiguous(seed):
    text, _ = seed
    # 7→1 in granted and 61→67 in not_held: fixing the two natural-person cells or the two totals
    # satisfies every sum equally well — the constraints cannot choose, so neither may we
    bad = damaged(text, GRANTED, GRANTED.replace("| 7 | 0", "| 1 | 0", 1))
    bad = damaged(bad, NOT_HELD, NOT_HELD.replace("| 61 | 0", "| 67 | 0", 1))
    result = run(bad, SourceKind.ocr_text)
    cell = result.fields["t3.granted.natural_person"]
    assert cell.value == 1 and cell.raw == "1"  # kept as read, not guessed
    assert sorted(c.value for c in cell.candidates) == [1, 7]
    assert result.needs_review


def test_slash_and_blank_cells_are_kept_not_zeroed(seed):
    text, _ = seed
    bad = damaged(text, "3.要求提供公开出版物 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |", "3.要求提供公开出版物 | / | 0 | 0 | 0 | 0 | 0 | 0 |")
    result = run(bad, SourceKind.text)
    cell = result.fields["t3.not_processed.publication.natural_person"]
    assert (cell.status.value, cell.raw, cell.value) == ("slash", "/", None)
    assert cell.implied == 0  # the sums say it must be 0, reported beside the printed "/"
    assert result.violations == []


def test_a_dropped_cell_is_recovered_when_the_constraints_determine_it(seed):
    text, gold = seed
    bad = damaged(text, NOT_HELD, "1.本机关不掌握相关政府信息 | 0 | 0 | 0 | 0 | 0 | 61 |")
    result = run(bad, SourceKind.text)
    cell = result.fields["t3.unable.not_held.natural_person"]
    assert cell.value == 61 and cell.corrected_from == ""
    assert result.values()["t3.unable.not_held.total"] == 61
    assert {k: v for k, v in result.values().items() if k in gold["fields"] and v != gold["fields"][k]} == {}


def test_a_dropped_cell_the_constraints_cannot_pin_is_ambiguous(seed):
    text, _ = seed
    t2_row = "行政规范性文件 | 0 | 23 | 0 |"
    result = run(damaged(text, t2_row, "行政规范性文件 | 23 | 0 |"), SourceKind.text)
    # table 2 has no 勾稽关系: "23 | 0" for three cells is as likely 0,23,0 as 23,0,0 (drop first or
    # last). The likelier reading is shown and the dropped cell stays None (never a guessed 0). A cell
    # the two readings give two numbers carries both as candidates; one they give a number or nothing
    # (issued: 23 or unread) has no rival number, only a low confidence (its share of the readings)
    cells = {c: result.fields[f"t2.normative.{c}"] for c in ("issued", "repealed", "in_force")}
    assert {c: (f.value, [k.value for k in f.candidates]) for c, f in cells.items()} == {
        "issued": (None, []), "repealed": (23, [0, 23]), "in_force": (0, [])}
    assert cells["issued"].confidence < CONFIDENT and cells["repealed"].confidence < CONFIDENT
    assert "ambiguous_cells" in {r.code for r in result.review_reasons}
    assert result.needs_review


def test_collapsed_crawler_runs_expand_by_the_sums(seed):
    text, gold = seed
    bad = damaged(text, GRANTED, "(一)予以公开 | 7 | 0 | 7 |")
    result = run(bad, SourceKind.text)
    assert [result.fields[f"t3.granted.{c}"].value for c in
            ("natural_person", "commercial", "research", "social", "legal_service", "other_org", "total")] == [
               7, 0, 0, 0, 0, 0, 7]


def test_squashed_cells_are_split_by_the_sums(seed):
    text, _ = seed
    result = run(damaged(text, NOT_HELD, "1.本机关不掌握相关政府信息 | 610000061 |"), SourceKind.text)
    assert [result.fields[f"t3.unable.not_held.{c}"].value for c in ("natural_person", "other_org", "total")] == [
        61, 0, 61]


def test_a_number_broken_over_two_lines_is_joined(seed):
    text, _ = seed
    result = run(damaged(text, NOT_HELD, "1.本机关不掌握相关政府信息 | 6 | 1 | 0 | 0 | 0 | 0 | 0 | 61 |"), SourceKind.text)
    assert result.fields["t3.unable.not_held.natural_person"].value == 61


def test_text_with_misread_labels_is_not_blamed_on_the_agency(seed):
    """Garbled template labels mean the digits came through OCR too: a broken sum is unresolved."""
    text, _ = seed
    text = damaged(text, GRANTED, GRANTED.replace("| 7 | 0", "| 1 | 0", 1))
    for old, new in [("(一)予以公开", "(一)予以么开"), ("本机关不掌握相关政府信息", "本机关不掌捤相关玫府信息")]:
        text = damaged(text, old, new)
    result = run(text, SourceKind.text)
    assert result.fields["t3.granted.natural_person"].value == 1  # still the printed reading, not "fixed"
    assert result.violations and {v.kind.value for v in result.violations} == {"unresolved"}
    assert result.needs_review
    assert any("OCR output" in w for w in result.warnings)


def test_a_number_broken_over_two_lines_joins_a_lookalike_reading():
    """OCR's `O` read for 0 joins as its digits (`1` / `O2` → 102), never as the letter."""
    from gongkai.extraction.align import alignments
    from gongkai.extraction.assemble import Reading, Token
    from gongkai.extraction.result import CellStatus, Provenance

    def token(raw: str, value: int) -> Token:
        return Token(raw=raw, status=CellStatus.number, readings=[Reading(value=value, prob=0.6)],
                     certain=False, provenance=Provenance())

    tokens = [token("1", 1), token("O2", 2), token("0", 0), token("3", 3)]
    joined = [a for a in alignments(tokens, 3) if a.how == "joined"]
    assert any(c.value == 102 for a in joined for c in a.cells if c.kind == "const")
