"""Token-classification fine-tuning from a pretrained checkpoint (ours, or a local HF one).

`init` is a folder in HF `save_pretrained` format with our `vocab.json` (a pretraining run's
`best/`, or the shipped `models/weights/`); a foreign checkpoint with a char-level `vocab.txt`
(e.g. a Chinese BERT) also works: missing special tokens are appended and embeddings resized.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

from gongkai.extraction.labelling import bio_labels
from gongkai.models.token_classifier import SPECIALS
from gongkai.training.model.corpus import examples_from_dirs
from gongkai.training.model.data import Example
from gongkai.training.model.trainer import TrainConfig, encode, set_seed, train

__all__ = ["finetune", "load_vocab"]


def load_vocab(init: Path) -> list[str]:
    init = Path(init)
    if (init / "vocab.json").exists():
        return json.loads((init / "vocab.json").read_text(encoding="utf-8"))
    if (init / "vocab.txt").exists():
        vocab = (init / "vocab.txt").read_text(encoding="utf-8").splitlines()
        return vocab + [t for t in SPECIALS if t not in vocab]
    raise FileNotFoundError(f"{init} has neither vocab.json nor vocab.txt")


def finetune(train_dirs: list[Path], val_dirs: list[Path], init: Path, out: Path, cfg: TrainConfig,
             extra: list[Example] = (), extra_repeat: int = 1, train_limit: int | None = None,
             progress: bool = True) -> dict:
    from transformers import BertForTokenClassification

    labels = bio_labels()
    vocab = load_vocab(init)
    set_seed(cfg.seed)
    model = BertForTokenClassification.from_pretrained(
        str(init), num_labels=len(labels), id2label=dict(enumerate(labels)),
        label2id={lab: i for i, lab in enumerate(labels)}, ignore_mismatched_sizes=True)
    if model.get_input_embeddings().num_embeddings != len(vocab):
        model.resize_token_embeddings(len(vocab))
    examples = examples_from_dirs(train_dirs, progress)
    if train_limit and len(examples) > train_limit:
        examples = random.Random(cfg.seed).sample(examples, train_limit)
    examples += list(extra) * extra_repeat
    val = examples_from_dirs(val_dirs, progress)
    res = train(model, "tag", encode(examples, vocab), encode(val, vocab), vocab, out, cfg, progress)
    return {**res, "documents": len(examples)}
