"""`heal_phrases`: a fixed phrase OCR misread by one character is restored in place; anything
further off, or shorter than four characters, is left alone."""
from __future__ import annotations

import pytest

from gongkai.extraction.textnorm import ORG_PHRASES, heal_phrases


@pytest.mark.parametrize("text, healed", [
    ("2023年度玫府信息公开工作", "2023年度政府信息公开工作"),          # one slip, inside the text
    ("x政府信息公干", "x政府信息公开"),                                # the slip in the last character
    ("攻府信息公开", "政府信息公开"),                                  # ... and in the first
    ("玫府信息公干", "玫府信息公干"),                                  # two slips: not this phrase
    ("政府信息公开", "政府信息公开"),                                  # already right
    ("", ""), ("政府", "政府"),
])
def test_a_phrase_one_character_off_is_healed_in_place(text, healed):
    out = heal_phrases(text)
    assert out == healed and len(out) == len(text)


def test_an_organisation_phrase_heals_from_its_own_list():
    assert heal_phrases("莆田市人民玫府办公室", ORG_PHRASES) == "莆田市人民政府办公室"
