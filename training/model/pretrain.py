"""Masked-LM pretraining of the character BERT on synthetic report text (+ unlabelled real text)."""
from __future__ import annotations

import json
from pathlib import Path

from gongkai.training.model.corpus import examples_from_dirs, text_examples
from gongkai.training.model.trainer import ModelSize, TrainConfig, bert_config, encode, set_seed, train
from gongkai.training.model.vocab import build_vocab

__all__ = ["pretrain"]


def pretrain(train_dirs: list[Path], val_dirs: list[Path], out: Path, cfg: TrainConfig, size: ModelSize,
             extra_text: list[Path] = (), progress: bool = True) -> dict:
    from transformers import BertForMaskedLM

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    examples = examples_from_dirs(train_dirs, progress) + text_examples(list(extra_text))
    val = examples_from_dirs(val_dirs, progress)
    vocab_path = out / "vocab.json"
    if vocab_path.exists():  # a resumed run keeps its vocabulary
        vocab = json.loads(vocab_path.read_text(encoding="utf-8"))
    else:
        vocab = build_vocab(ex.keys for ex in examples)
        vocab_path.write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    set_seed(cfg.seed)
    model = BertForMaskedLM(bert_config(len(vocab), size))
    res = train(model, "mlm", encode(examples, vocab), encode(val, vocab), vocab, out, cfg, progress)
    return {**res, "vocab": len(vocab), "documents": len(examples)}
