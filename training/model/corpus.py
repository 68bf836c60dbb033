"""Loading training corpora: synthetic folders (cached per folder) and plain report text for MLM."""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from gongkai.extraction.ingest import read_document
from gongkai.models.token_classifier import linearise
from gongkai.training.model.data import IGNORE, Example, load_examples
from gongkai.models.ocr import BundledOcr

__all__ = ["examples_from_dirs", "text_examples"]

CACHE = ".token_examples-v1.pkl"


def examples_from_dirs(folders: list[Path], progress: bool = True) -> list[Example]:
    """Examples of every labelled sample in `folders` (a pickle cache is kept in each folder)."""
    out: list[Example] = []
    for folder in folders:
        folder = Path(folder)
        cache = folder / CACHE
        if cache.exists() and cache.stat().st_mtime >= max((p.stat().st_mtime for p in folder.glob("*.labels.json")),
                                                           default=0):
            out += pickle.loads(cache.read_bytes())
            continue
        exs = load_examples([folder], progress=progress)
        try:
            cache.write_bytes(pickle.dumps(exs))
        except OSError:
            pass
        out += exs
    return out


def text_examples(paths: list[Path]) -> list[Example]:
    """Unlabelled report text (e.g. real seeds) for masked-LM pretraining only."""
    out = []
    for p in paths:
        doc = read_document(Path(p).read_bytes(), Path(p).name, ocr=BundledOcr())
        lin = linearise(doc)
        out.append(Example(Path(p).stem, lin.keys, np.full(len(lin.keys), IGNORE, dtype=np.int64)))
    return out
