"""The OCR engine as the ingest stage sees it: an image in, recognised text lines out.

The page path (`raster.ocr_page`) calls an `OcrEngine`; the engines themselves (`RapidOcrEngine`,
`PaddleOcrEngine`) live in `models.ocr`, above extraction, and are handed in by whoever builds the
pipeline (`extraction.pipeline.Pipeline`, `models.registry.build_pipeline`). A scan read without
an engine is refused (`NoOcrEngineError`) instead of loading one from here.

An engine may also offer the grid path (`read_cells` true, with `detection_scale`, `detect`,
`read_lines`) and the missed-cell pass (`line_from_crops`); `raster` uses them when present.
What an engine returns (`OcrLine`, `OcrChar`) and the CTC decoding behind its digit alternatives
(`ctc_top_k`) are stage types, so they live here too.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Protocol, runtime_checkable

import numpy as np

from gongkai.extraction.ingest import IngestError

__all__ = ["OcrChar", "OcrLine", "OcrEngine", "NoOcrEngineError", "require_engine", "ctc_top_k",
           "NUMERIC_ALPHABET", "DB_UNCLIP", "is_numeric_text"]


class NoOcrEngineError(IngestError):
    """A page needs OCR (a scan, an image) and the reader was given no engine."""


def require_engine(ocr: "OcrEngine | None", what: str) -> "OcrEngine":
    """`ocr`, or the clear error for a reader that has none (`what`: the page or image needing it)."""
    if ocr is None:
        raise NoOcrEngineError(f"{what} needs OCR and no OCR engine was given (pass ocr=, e.g. "
                               "models.ocr.RapidOcrEngine.default(), or build the pipeline with "
                               "models.registry.build_pipeline)")
    return ocr


NUMERIC_ALPHABET = "0123456789."
# PP-OCR's DB unclip ratio: how far a detected text kernel is grown into a line box. The engine
# detects with it, and the grid path gives the boxes it cuts from a cell's ink the same margin.
DB_UNCLIP = 1.6
_NUMERIC_RE = re.compile(r"[0-9.,，]*[0-9][0-9.,，]*")


def is_numeric_text(text: str) -> bool:
    """A cell worth digit alternatives: digits with optional separators, nothing else."""
    return bool(_NUMERIC_RE.fullmatch(text.replace(" ", "")))


@dataclass
class OcrChar:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    conf: float
    t0: int = -1  # first CTC timestep emitting this character
    t1: int = -1  # last one


@dataclass
class OcrLine:
    """One detected text line: its text, axis-aligned box (image pixels) and characters.

    `digit_probs` keeps the recogniser's per-timestep probabilities restricted to
    blank + `NUMERIC_ALPHABET` (T × 12) so that digit alternatives can be produced for any span
    of the line later (`alternatives`).
    """

    text: str
    box: tuple[float, float, float, float]
    chars: list[OcrChar] = field(default_factory=list)
    digit_probs: np.ndarray | None = None

    @property
    def conf(self) -> float:
        return float(np.mean([c.conf for c in self.chars])) if self.chars else 0.0

    def alternatives(self, t0: int = 0, t1: int | None = None, k: int = 5) -> list[tuple[str, float]]:
        """Top-k digit-only readings of timesteps `t0..t1` (inclusive) with their probabilities."""
        if self.digit_probs is None:
            return []
        t1 = len(self.digit_probs) - 1 if t1 is None else t1
        return ctc_top_k(self.digit_probs[max(0, t0):t1 + 1], NUMERIC_ALPHABET, k=k)


@runtime_checkable
class OcrEngine(Protocol):
    name: str

    def recognize(self, image: np.ndarray, check: Callable[[], None] | None = None) -> list[OcrLine]:
        """Text lines of a page image (grayscale or BGR uint8), top to bottom. `check` is called
        between steps and may raise (page deadline)."""
        ...


# ---- CTC -------------------------------------------------------------------------------------

def ctc_top_k(probs: np.ndarray, alphabet: str, k: int = 5, beam: int = 16) -> list[tuple[str, float]]:
    """CTC prefix beam search over `probs` (T × (1 + len(alphabet)), column 0 = blank).

    Rows are renormalised over the given classes first (decoding constrained to this alphabet),
    so the returned probabilities are those of whole readings and sum to at most 1.
    """
    if len(probs) == 0:
        return []
    p = np.asarray(probs, dtype=np.float64)
    p = p / np.maximum(p.sum(axis=1, keepdims=True), 1e-12)
    # prefix -> (p_blank_ending, p_nonblank_ending)
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (1.0, 0.0)}
    n = p.shape[1]
    for row in p:
        nxt: dict[tuple[int, ...], list[float]] = {}
        cand = [c for c in range(1, n) if row[c] > 1e-4]
        for prefix, (pb, pnb) in beams.items():
            tot = pb + pnb
            e = nxt.setdefault(prefix, [0.0, 0.0])
            e[0] += tot * row[0]
            if prefix:
                e[1] += pnb * row[prefix[-1]]  # repeated symbol collapses
            for c in cand:
                ext = prefix + (c,)
                e2 = nxt.setdefault(ext, [0.0, 0.0])
                if prefix and prefix[-1] == c:
                    e2[1] += pb * row[c]  # needs a blank in between to repeat
                else:
                    e2[1] += tot * row[c]
        beams = dict(sorted(((pf, (v[0], v[1])) for pf, v in nxt.items()),
                            key=lambda kv: -(kv[1][0] + kv[1][1]))[:beam])
    ranked = sorted(beams.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))
    out = []
    for prefix, (pb, pnb) in ranked:
        text = "".join(alphabet[c - 1] for c in prefix)
        if not text or not any(ch.isdigit() for ch in text):
            continue
        out.append((text, float(pb + pnb)))
        if len(out) == k:
            break
    return out
