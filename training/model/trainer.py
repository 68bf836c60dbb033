"""The training loop shared by masked-LM pretraining and token-classification fine-tuning.

Resumable: `OUT/checkpoint.pt` (model, optimiser, scheduler, step, RNG states, early-stopping
state) is written every `save_every` steps and picked up by the next run on the same OUT. Every
evaluation appends one JSON line to `OUT/log.jsonl` (step, loss, validation token macro-F1 or
MLM loss); the best model so far is kept in `OUT/best/` (HF `save_pretrained` format) with
`vocab.json`. Training stops after `steps`, or after `patience` evaluations without improvement.
"""
from __future__ import annotations

import json
import math
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from gongkai.extraction.labelling import bio_labels
from gongkai.models.token_classifier import CLS, MASK, PAD, SEP, SPECIALS, UNK
from gongkai.training.model.data import IGNORE, Example

__all__ = ["ModelSize", "TrainConfig", "encode", "train", "token_macro_f1", "bert_config", "set_seed"]


@dataclass
class ModelSize:
    hidden: int = 128
    layers: int = 2
    heads: int = 4
    intermediate: int = 256
    max_position: int = 512


@dataclass
class TrainConfig:
    steps: int = 1000
    batch: int = 16
    window: int = 256
    lr: float = 1e-3
    warmup: int = 50
    eval_every: int = 100
    save_every: int = 50
    patience: int = 5
    seed: int = 13
    mask_rate: float = 0.15
    val_windows: int = 160


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def bert_config(vocab_size: int, size: ModelSize, num_labels: int | None = None):
    from transformers import BertConfig

    labels = bio_labels()
    return BertConfig(vocab_size=vocab_size, hidden_size=size.hidden, num_hidden_layers=size.layers,
                      num_attention_heads=size.heads, intermediate_size=size.intermediate,
                      max_position_embeddings=size.max_position, type_vocab_size=1,
                      num_labels=num_labels or len(labels), id2label=dict(enumerate(labels)),
                      label2id={lab: i for i, lab in enumerate(labels)}, pad_token_id=0,
                      hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)


@dataclass
class Encoded:
    ids: np.ndarray
    labels: np.ndarray


def encode(examples: list[Example], vocab: list[str]) -> list[Encoded]:
    index = {t: i for i, t in enumerate(vocab)}
    unk = index[UNK]
    return [Encoded(np.array([index.get(k, unk) for k in ex.keys], dtype=np.int64), ex.labels) for ex in examples]


def _windows_batch(docs: list[Encoded], rng: random.Random, batch: int, window: int, vocab: dict) -> tuple:
    body = window - 2
    weights = [len(d.ids) for d in docs]
    picks = rng.choices(range(len(docs)), weights=weights, k=batch)
    x = np.full((batch, window), vocab[PAD], dtype=np.int64)
    y = np.full((batch, window), IGNORE, dtype=np.int64)
    m = np.zeros((batch, window), dtype=np.int64)
    for r, di in enumerate(picks):
        d = docs[di]
        n = len(d.ids)
        a = rng.randint(0, max(0, n - body))
        b = min(n, a + body)
        x[r, 0] = vocab[CLS]
        x[r, 1:b - a + 1] = d.ids[a:b]
        x[r, b - a + 1] = vocab[SEP]
        y[r, 1:b - a + 1] = d.labels[a:b]
        m[r, :b - a + 2] = 1
    return x, y, m


def _fixed_windows(docs: list[Encoded], window: int, limit: int, vocab: dict) -> list[tuple]:
    """Non-overlapping validation windows, in batches of 16."""
    body = window - 2
    rows = []
    for d in docs:
        for a in range(0, len(d.ids), body):
            rows.append((d, a, min(len(d.ids), a + body)))
    rows = rows[:: max(1, len(rows) // limit)][:limit]
    out = []
    for k in range(0, len(rows), 16):
        chunk = rows[k:k + 16]
        x = np.full((len(chunk), window), vocab[PAD], dtype=np.int64)
        y = np.full((len(chunk), window), IGNORE, dtype=np.int64)
        m = np.zeros((len(chunk), window), dtype=np.int64)
        for r, (d, a, b) in enumerate(chunk):
            x[r, 0] = vocab[CLS]
            x[r, 1:b - a + 1] = d.ids[a:b]
            x[r, b - a + 1] = vocab[SEP]
            y[r, 1:b - a + 1] = d.labels[a:b]
            m[r, :b - a + 2] = 1
        out.append((x, y, m))
    return out


def _mask_tokens(x: np.ndarray, m: np.ndarray, rng: np.random.Generator, rate: float, vocab: dict,
                 n_vocab: int) -> tuple[np.ndarray, np.ndarray]:
    special = np.isin(x, [vocab[t] for t in SPECIALS])
    chosen = (rng.random(x.shape) < rate) & (m == 1) & ~special
    labels = np.where(chosen, x, IGNORE)
    x = x.copy()
    roll = rng.random(x.shape)
    x[chosen & (roll < 0.8)] = vocab[MASK]
    rand = chosen & (roll >= 0.8) & (roll < 0.9)
    x[rand] = rng.integers(len(SPECIALS), n_vocab, size=int(rand.sum()))
    return x, labels


def span_label_names() -> list[str]:
    return sorted({lab[2:] for lab in bio_labels() if lab != "O"})


def token_macro_f1(gold: np.ndarray, pred: np.ndarray) -> float:
    """Token-level macro F1 over span labels (B-/I- pooled, O excluded), over labels in gold."""
    labels = bio_labels()
    pooled = np.array([0] + [1 + span_label_names().index(lab[2:]) for lab in labels[1:]])
    keep = gold != IGNORE
    g, p = pooled[gold[keep]], pooled[pred[keep]]
    f1s = []
    for lab in np.unique(g):
        if lab == 0:
            continue
        tp = np.sum((g == lab) & (p == lab))
        fp = np.sum((g != lab) & (p == lab))
        fn = np.sum((g == lab) & (p != lab))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(f1s)) if f1s else 0.0


def _evaluate(model, val, kind: str, vocab: dict, n_vocab: int) -> dict:
    model.eval()
    golds, preds, losses = [], [], []
    rng = np.random.default_rng(0)
    with torch.no_grad():
        for x, y, m in val:
            if kind == "mlm":
                xm, ym = _mask_tokens(x, m, rng, 0.15, vocab, n_vocab)
                out = model(input_ids=torch.from_numpy(xm), attention_mask=torch.from_numpy(m),
                            labels=torch.from_numpy(ym))
                losses.append(float(out.loss))
            else:
                out = model(input_ids=torch.from_numpy(x), attention_mask=torch.from_numpy(m))
                golds.append(y.reshape(-1))
                preds.append(out.logits.argmax(-1).numpy().reshape(-1))
    model.train()
    if kind == "mlm":
        return {"val_mlm_loss": round(float(np.mean(losses)), 4)}
    return {"val_macro_f1": round(token_macro_f1(np.concatenate(golds), np.concatenate(preds)), 4)}


def train(model, kind: str, docs: list[Encoded], val_docs: list[Encoded], vocab: list[str], out: Path,
          cfg: TrainConfig, progress: bool = True) -> dict:
    """Train `model` ('mlm' or 'tag') for cfg.steps; resumes from OUT/checkpoint.pt if present."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    vmap = {t: i for i, t in enumerate(vocab)}
    set_seed(cfg.seed)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.01)

    def lr_at(step: int) -> float:
        if step < cfg.warmup:
            return (step + 1) / cfg.warmup
        frac = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, frac)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    rng = random.Random(cfg.seed)
    np_rng = np.random.default_rng(cfg.seed)
    state = {"step": 0, "best": None, "bad": 0, "seconds": 0.0}
    ckpt = out / "checkpoint.pt"
    if ckpt.exists():
        saved = torch.load(ckpt, weights_only=False)
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["opt"])
        sched.load_state_dict(saved["sched"])
        state = saved["state"]
        rng.setstate(saved["rng"])
        np_rng.bit_generator.state = saved["np_rng"]
        torch.set_rng_state(saved["torch_rng"])
    (out / "train_config.json").write_text(json.dumps({"kind": kind, **asdict(cfg)}, indent=1))
    val = _fixed_windows(val_docs, cfg.window, cfg.val_windows, vmap)
    log = (out / "log.jsonl").open("a", encoding="utf-8")
    from tqdm import tqdm

    bar = tqdm(total=cfg.steps, initial=state["step"], disable=not progress, desc=kind, unit="step")
    model.train()
    t0 = time.time() - state["seconds"]
    running: list[float] = []
    stopped = False
    while state["step"] < cfg.steps and not stopped:
        x, y, m = _windows_batch(docs, rng, cfg.batch, cfg.window, vmap)
        if kind == "mlm":
            x, y = _mask_tokens(x, m, np_rng, cfg.mask_rate, vmap, len(vocab))
        outp = model(input_ids=torch.from_numpy(x), attention_mask=torch.from_numpy(m), labels=torch.from_numpy(y))
        outp.loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad()
        running.append(float(outp.loss))
        state["step"] += 1
        bar.update(1)
        bar.set_postfix(loss=f"{np.mean(running[-20:]):.3f}")
        last = state["step"] == cfg.steps
        if state["step"] % cfg.eval_every == 0 or last:
            metrics = _evaluate(model, val, kind, vmap, len(vocab))
            score = -metrics["val_mlm_loss"] if kind == "mlm" else metrics["val_macro_f1"]
            improved = state["best"] is None or score > state["best"]
            if improved:
                state["best"], state["bad"] = score, 0
                model.save_pretrained(out / "best")
                (out / "best" / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False))
            else:
                state["bad"] += 1
            state["seconds"] = time.time() - t0
            row = {"step": state["step"], "loss": round(float(np.mean(running[-cfg.eval_every:])), 4),
                   "lr": sched.get_last_lr()[0], "seconds": round(state["seconds"], 1), **metrics,
                   "best": improved}
            log.write(json.dumps(row) + "\n")
            log.flush()
            if state["bad"] >= cfg.patience:
                stopped = True
        if state["step"] % cfg.save_every == 0 or last or stopped:
            state["seconds"] = time.time() - t0
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                        "state": state, "rng": rng.getstate(), "np_rng": np_rng.bit_generator.state,
                        "torch_rng": torch.get_rng_state()}, ckpt)
    bar.close()
    log.close()
    return {"steps": state["step"], "best": state["best"], "seconds": round(time.time() - t0, 1),
            "early_stopped": stopped}
