"""The character vocabulary: characters of the training corpus that the PP-OCR recogniser can also
produce (its character list travels in the rec ONNX model's metadata), plus ASCII and the
special tokens. Characters outside it read as [UNK] — for an OCR'd report they could not occur.
"""
from __future__ import annotations

import string
from collections import Counter
from typing import Iterable

from gongkai.models.token_classifier import SPECIALS

__all__ = ["ocr_charset", "build_vocab"]


def ocr_charset() -> set[str]:
    """The PP-OCR recogniser's characters (empty set if the model cannot be found)."""
    try:
        import onnxruntime as ort

        from gongkai.models.ocr import _bundled_model_dir, _find_model

        path = _find_model(_bundled_model_dir(), "rec")
        sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        meta = sess.get_modelmeta().custom_metadata_map
        return set(meta.get("character", "").splitlines())
    except Exception:  # noqa: BLE001 - no OCR model: the corpus alone decides
        return set()


def build_vocab(key_streams: Iterable[list[str]], min_count: int = 1) -> list[str]:
    counts: Counter[str] = Counter()
    for keys in key_streams:
        counts.update(k for k in keys if k not in SPECIALS)
    charset = ocr_charset()
    base = set(string.digits + string.ascii_letters + string.punctuation + " ")
    chars = {c for c, n in counts.items() if n >= min_count and (not charset or c in charset or c in base)}
    chars |= base
    return SPECIALS + sorted(chars)
