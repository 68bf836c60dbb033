"""Letters an OCR engine prints for digits in a number cell (`O` for 0, `l` for 1).

Only for OCR sources, and for the cells of a grid (a Markdown or HTML table: OCR/VLM output
often arrives as Markdown, a digital kind): in a table cell that holds nothing else, `O` is a
zero the recogniser misread — a digital source that prints `O` in its running text means a
letter. The labeller counts such a cell as a value and the assembler reads it as the digits,
uncertain, so the 勾稽关系 can still overrule it.
"""
from __future__ import annotations

import unicodedata

from gongkai.extraction.document import DIGITAL_KINDS, Segment, SourceKind

_LOOKALIKES = {"O": "0", "o": "0", "〇": "0", "D": "0", "Q": "0", "l": "1", "I": "1", "|": "1", "S": "5",
               "B": "8", "Z": "2", "z": "2"}
_TABLE = str.maketrans(_LOOKALIKES)
LOOKALIKE_PROB = 0.6  # the reading is a guess: confusion alternatives share the rest


def ocr_source(kind: SourceKind) -> bool:
    return kind not in DIGITAL_KINDS


def reads_lookalikes(kind: SourceKind, segment: Segment, piece: str) -> bool:
    """Whether `piece` of `segment` may be a misread number: any cell of an OCR source; in other
    sources only a grid cell that holds the piece alone."""
    return ocr_source(kind) or (segment.table is not None and piece.strip() == segment.text.strip())


def as_digits(text: str) -> str | None:
    """`"1O"` → `"10"`; None unless the text is digits and look-alike letters only (at least one of
    them a look-alike) and at most seven characters long. Accents are dropped first: the
    recogniser's alphabet has accented Latin letters and reads a speck above a lone 0 as `ó`."""
    t = "".join(ch for ch in unicodedata.normalize("NFKD", text.strip().replace(",", ""))
                if not unicodedata.combining(ch))
    if not t or len(t) > 7 or t.isdigit():
        return None
    digits = t.translate(_TABLE)
    return digits if digits.isdigit() else None
