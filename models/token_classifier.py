"""The token classifier: a small character-level BERT that labels report text (issue 5).

A `Document` is linearised into one character stream — every character of every segment, with
`[SEG]` between the segments of a visual line, `[NL]` between lines and `[EMPTY]` for a printed
blank cell — and classified per character into the BIO labels of `extraction.labelling.bio_labels()`.
Long documents are read in overlapping windows; each character keeps the prediction of the window
in which it sits furthest from an edge. Labels are merged into spans per segment and handed to the
assembler like the rule labeller's.

Runtime needs only onnxruntime + numpy: the network ships as ONNX in `models/weights/` with a
JSON describing its vocabulary, labels and version (`ModelLabeller.load_default()`). Training
(torch, transformers) lives in `training/model/`.
"""
from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gongkai.extraction.document import Document
from gongkai.extraction.textnorm import nfkc
from gongkai.extraction.labelling import KEYED_TAGS, LabelledDocument, Span, Tag, label_name, parse_label

__all__ = ["SPECIALS", "Linearised", "linearise", "char_key", "ModelLabeller", "WEIGHTS_DIR", "decode_spans", "windows"]

WEIGHTS_DIR = Path(__file__).parent / "weights"
PAD, UNK, CLS, SEP, MASK, SEG, NL, EMPTY = "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[SEG]", "[NL]", "[EMPTY]"
SPECIALS = [PAD, UNK, CLS, SEP, MASK, SEG, NL, EMPTY]
MAX_LEN = 512
STRIDE = 384
# Windows run per network call. Small batches keep the activations small: a fresh process's first
# call over 16 windows of 256 took ≈ 85 ms in one batch against ≈ 40 ms once warm, and ≈ 50 ms in
# batches of 2 (the first-call overhead grows with the batch); warm, batches of 2 are as fast per
# window as batches of 16 on 2 cores.
# The quantised activations are scaled per call, so fewer companions also means a window's reading
# depends less on what else the document holds.
BATCH = 2
# one printed label is one span (never split by B-/key changes inside it)
UNIT_TAGS = frozenset({Tag.SECTION, Tag.T2_ROW, Tag.T2_COL, Tag.T3_GROUP, Tag.T3_ROW, Tag.T3_COL, Tag.T4_GROUP,
                       Tag.T4_COL})


def char_key(ch: str) -> str:
    """The vocabulary key of one character: NFKC-folded (full-width digits → ASCII), spaces as ' '."""
    if ch.isspace():
        return " "
    k = unicodedata.normalize("NFKC", ch)
    return k if len(k) == 1 else ch


@dataclass
class Linearised:
    """The character stream of a document: `keys[i]` is a vocabulary key, `where[i]` is
    (segment, char offset) for a character, (segment, -1) for `[EMPTY]`, (-1, -1) for separators."""

    keys: list[str]
    where: list[tuple[int, int]]


def linearise(doc: Document) -> Linearised:
    keys: list[str] = []
    where: list[tuple[int, int]] = []
    for li, seg_ids in enumerate(doc.lines()):
        if li:
            keys.append(NL)
            where.append((-1, -1))
        for k, si in enumerate(seg_ids):
            if k:
                keys.append(SEG)
                where.append((-1, -1))
            text = doc.segments[si].text
            if not text.strip():
                keys.append(EMPTY)
                where.append((si, -1))
                continue
            for ci, ch in enumerate(text):
                keys.append(char_key(ch))
                where.append((si, ci))
    return Linearised(keys, where)


def windows(n: int, max_len: int = MAX_LEN, stride: int = STRIDE) -> list[tuple[int, int]]:
    """[start, end) of the overlapping windows (each leaves room for [CLS] and [SEP])."""
    body = max_len - 2
    if n <= body:
        return [(0, n)]
    out, start = [], 0
    while True:
        end = min(start + body, n)
        out.append((start, end))
        if end == n:
            return out
        start = min(start + stride, n - body)


def window_owner(n: int, wins: list[tuple[int, int]]) -> np.ndarray:
    """For each position, the window in which it is furthest from an edge (centre predictions)."""
    best = np.full(n, -1.0)
    owner = np.zeros(n, dtype=np.int64)
    idx = np.arange(n)
    for w, (a, b) in enumerate(wins):
        d = np.minimum(idx[a:b] - a, b - 1 - idx[a:b]).astype(float)
        # the document's own start/end are not window edges
        if a == 0:
            d = np.where(idx[a:b] < (b - a) // 2, 1e9, d)
        if b == n:
            d = np.where(idx[a:b] >= a + (b - a) // 2, 1e9, d)
        better = d > best[a:b]
        best[a:b] = np.where(better, d, best[a:b])
        owner[a:b] = np.where(better, w, owner[a:b])
    return owner


def _softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(-1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(-1, keepdims=True)


def decode_spans(doc: Document, lin: Linearised, probs: np.ndarray, labels: list[str]) -> list[Span]:
    """Per-character label probabilities → spans per segment.

    Each character takes its most probable span label (B and I of a label pooled); a span starts
    where the label changes, where the model says B-, or at a segment boundary. Spans are trimmed
    of whitespace; a span's score is the mean probability of its label. Blank cells (`[EMPTY]`)
    become empty VALUE spans once a table row has begun, as the rule labeller does."""
    names = sorted({lab[2:] for lab in labels if lab != "O"})
    name_idx = {n: i for i, n in enumerate(names)}
    n_lab = len(names) + 1  # 0 = O
    pooled = np.zeros((probs.shape[0], n_lab), dtype=np.float32)
    is_b = np.zeros(len(labels), dtype=bool)
    col = np.zeros(len(labels), dtype=np.int64)
    for j, lab in enumerate(labels):
        if lab == "O":
            continue
        col[j] = name_idx[lab[2:]] + 1
        is_b[j] = lab.startswith("B-")
    np.add.at(pooled.T, col, probs.T)
    choice = pooled.argmax(-1)
    # B- when the B probability outweighs the I probability of the chosen label
    b_prob = np.zeros(probs.shape[0], dtype=np.float32)
    for j in np.nonzero(is_b)[0]:
        b_prob += np.where(choice == col[j], probs[:, j], 0.0)
    chosen_p = pooled[np.arange(len(choice)), choice]
    starts_b = b_prob > chosen_p / 2

    tag_of = [None] + [parse_label(n)[0] for n in names]
    spans: list[Span] = []
    vecs: list[np.ndarray | None] = []  # per span: mean pooled label probabilities
    cur: list | None = None  # [seg, start, end, label_index, probs, first linear position]

    def close() -> None:
        nonlocal cur
        if cur is None:
            return
        seg, start, end, li, ps, i0 = cur
        cur = None
        text = doc.segments[seg].text
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end <= start:
            return
        tag, key = parse_label(names[li - 1])
        if tag in UNIT_TAGS and key is not None:  # the key with the most probability over the span
            same = [j for j, t in enumerate(tag_of) if t is tag]
            li = same[int(np.argmax(pooled[i0:i0 + len(ps)][:, same].sum(0)))]
            tag, key = parse_label(names[li - 1])
        spans.append(Span(segment=seg, start=start, end=end, tag=tag, key=key, score=round(sum(ps) / len(ps), 4)))
        vecs.append(pooled[i0:i0 + len(ps)].mean(0) if tag in (Tag.T2_ROW, Tag.T3_ROW) else None)

    state = _TableState()
    seen = 0
    runs: dict[int, dict] = {}  # segment -> its number runs, computed on first use
    for i, (seg, ci) in enumerate(lin.where):
        if ci < 0:
            close()
            if seg >= 0:
                for s in spans[seen:]:
                    state.see(s)
                seen = len(spans)
                if state.blank_is_value():
                    spans.append(Span(segment=seg, start=0, end=0, tag=Tag.VALUE, score=1.0))
                    vecs.append(None)
                    seen += 1
            continue
        li = int(choice[i])
        text = doc.segments[seg].text
        split_b = starts_b[i] and not text[ci].isspace() and not _inside_decimal(text, ci, runs.setdefault(seg, {}))
        if cur is not None and cur[0] == seg and li and cur[3] != li and tag_of[li] is tag_of[cur[3]] \
                and tag_of[li] in UNIT_TAGS:
            cur[2] = ci + 1  # one printed label is one span: its key is decided over all of it
            cur[4].append(float(chosen_p[i]))
            continue
        if cur is not None and (cur[0] != seg or cur[3] != li or (split_b and tag_of[li] not in UNIT_TAGS)):
            close()
        if li == 0:
            continue
        if cur is None:
            cur = [seg, ci, ci + 1, li, [float(chosen_p[i])], i]
        else:
            cur[2] = ci + 1
            cur[4].append(float(chosen_p[i]))
    close()
    for tag in (Tag.T2_ROW, Tag.T3_ROW):
        _monotone(spans, vecs, tag, name_idx)
    return sorted(spans, key=lambda s: (s.segment, s.start))


def _inside_decimal(text: str, ci: int, runs: dict | None = None) -> bool:
    """Position `ci` lies inside a number that is never split: one with a decimal point (an
    amount), or a short one (< 5 digits; squashed rows of several cells are longer).

    `runs` caches the number runs of `text` (`_number_runs`), so asking at every position of a
    long run costs one pass over it, not one per position."""
    if ci == 0 or not _numberish(text[ci - 1]) or not _numberish(text[ci]):
        return False
    if runs is None:
        runs = {}
    if not runs:
        runs.update(_number_runs(text))
    a, b, has_point = runs[ci]
    return has_point or b - a < 5


def _numberish(ch: str) -> bool:
    return ch.isdigit() or ch in ".,"


def _number_runs(text: str) -> dict[int, tuple[int, int, bool]]:
    """Each position inside a run of digits, `.` and `,` → the run's (start, end, has a point): one pass."""
    out: dict[int, tuple[int, int, bool]] = {}
    i, n = 0, len(text)
    while i < n:
        if not _numberish(text[i]):
            i += 1
            continue
        j = i
        while j < n and _numberish(text[j]):
            j += 1
        run = (i, j, "." in text[i:j])
        for k in range(i, j):
            out[k] = run
        i = j
    return out


def _monotone(spans: list[Span], vecs: list, tag: Tag, name_idx: dict[str, int]) -> None:
    """Rows are printed in template order: re-key the `tag` spans by the most probable
    non-decreasing key sequence (a span may also be dropped to NOISE) — a small Viterbi."""
    at = [m for m, s in enumerate(spans) if s.tag is tag and vecs[m] is not None]
    if not at:
        return
    keys = KEYED_TAGS[tag]
    cols = np.array([name_idx[label_name(tag, k)] + 1 for k in keys])
    n_k = len(keys)
    lp = np.array([np.log(vecs[m][cols] + 1e-6) for m in at])  # (M, K)
    drop = np.array([np.log(max(1.0 - float(vecs[m][cols].sum()), 0.0) + 1e-6) for m in at])
    # state j: last key used is j-1 (0 = none yet)
    score = np.full(n_k + 1, -np.inf)
    score[0] = 0.0
    back: list[np.ndarray] = []
    for m in range(len(at)):
        new = score + drop[m]  # dropping keeps the state
        arg = np.arange(n_k + 1)  # predecessor state
        best_prev = np.maximum.accumulate(score[:n_k + 1])  # best over states <= j
        # argmax over states <= j: the index where the running maximum was last raised
        raised = np.r_[True, score[1:] > best_prev[:-1]]
        best_arg = np.maximum.accumulate(np.where(raised, np.arange(n_k + 1), 0))
        take = best_prev[1:] + lp[m]  # assign key j-1 from a state <= j
        better = take > new[1:]
        new[1:] = np.where(better, take, new[1:])
        arg[1:] = np.where(better, best_arg[1:], arg[1:])
        back.append(np.stack([arg, np.r_[False, better]]))
        score = new
    j = int(score.argmax())
    for m in range(len(at) - 1, -1, -1):
        prev, assigned = back[m][0][j], bool(back[m][1][j])
        s = spans[at[m]]
        if assigned:
            k = j - 1
            if keys[k] != s.key:
                s.key = keys[k]
                s.score = round(float(vecs[at[m]][cols[k]]), 4)
        else:
            s.tag, s.key = Tag.NOISE, None
        j = int(prev)


class _TableState:
    """Which table a span stream is in, and whether a row has begun (for printed blank cells)."""

    def __init__(self) -> None:
        self.table: str | None = None
        self.row = False

    def see(self, s: Span) -> None:
        if s.tag is Tag.SECTION:
            self.table = {"2": "t2", "3": "t3", "4": "t4"}.get(s.key or "")
            self.row = False
        elif s.tag in (Tag.T2_ROW, Tag.T3_ROW, Tag.T3_GROUP):
            self.table = "t2" if s.tag is Tag.T2_ROW else "t3"
            self.row = True

    def blank_is_value(self) -> bool:
        return self.row and self.table in ("t2", "t3")


def _session(path: Path, threads: int | None):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.intra_op_num_threads = threads or min(2, os.cpu_count() or 1)
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # idle threads sleep instead of spinning: a report runs the network a few batches at a time
    # between stretches of Python, and spinning threads took a quarter of a text report's CPU
    # (the service's other extraction on the same cores) for no gain in wall time
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


class ModelLabeller:
    """Labels a document with the ONNX token classifier.

    model: path of the ONNX network; config: the JSON beside it (vocab, labels, version,
    max_len, stride); threads: onnxruntime intra-op threads (default: up to 2).
    """

    name = "model"

    def __init__(self, model: str | Path, config: str | Path, threads: int | None = None):
        cfg = json.loads(Path(config).read_text(encoding="utf-8"))
        # how the weights are meant to be served (`hybrid`: fused with the rules, `pure`: alone);
        # models.registry composes the labeller accordingly unless told otherwise
        self.mode: str = cfg.get("mode", "hybrid")
        self.version: str = cfg["version"]
        self.vocab: dict[str, int] = {t: i for i, t in enumerate(cfg["vocab"])}
        self.labels: list[str] = cfg["labels"]
        self.max_len: int = cfg.get("max_len", MAX_LEN)
        self.stride: int = cfg.get("stride", STRIDE)
        self.batch: int = cfg.get("batch", BATCH)
        self.model_path = Path(model)
        self.threads = threads
        self._session = None

    @property
    def session(self):
        """The ONNX session, opened on first use (a report the rules read fully never needs it)."""
        if self._session is None:
            self._session = _session(self.model_path, self.threads)
        return self._session

    _default: "ModelLabeller | None" = None
    _default_dir: Path | None = None

    @classmethod
    def load_default(cls) -> "ModelLabeller":
        """The served model — a promoted retrained one, else the shipped `models/weights/` (see
        `models.promoted`) — loaded once per process and again when another is promoted."""
        from gongkai.models.promoted import current_weights_dir

        folder = current_weights_dir()
        if cls._default is None or cls._default_dir != folder:
            cfg = folder / "token_classifier.json"
            if not cfg.is_file():
                raise ImportError(f"no model: {cfg} is missing")
            meta = json.loads(cfg.read_text(encoding="utf-8"))
            cls._default, cls._default_dir = cls(folder / meta["onnx"], cfg), folder
        return cls._default

    @classmethod
    def from_dir(cls, folder: str | Path, threads: int | None = None) -> "ModelLabeller":
        folder = Path(folder)
        meta = json.loads((folder / "token_classifier.json").read_text(encoding="utf-8"))
        return cls(folder / meta["onnx"], folder / "token_classifier.json", threads)

    def ids(self, lin: Linearised) -> np.ndarray:
        unk = self.vocab[UNK]
        return np.array([self.vocab.get(k, unk) for k in lin.keys], dtype=np.int64)

    def probabilities(self, ids: np.ndarray, narrative: np.ndarray | None = None) -> np.ndarray:
        """Per-position label probabilities for a whole document's ids.

        `narrative` (one flag per position, optional): positions known to be narrative. A window
        made of such positions only is not run; the positions it owns get NARRATIVE. Every other
        window runs as over the whole document — its probabilities move only as far as its batch
        companions move the shipped network's dynamically quantised activations (≈ 0.01)."""
        n = len(ids)
        if n == 0:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        wins = windows(n, self.max_len, self.stride)
        owner = window_owner(n, wins)
        out = np.zeros((n, len(self.labels)), dtype=np.float32)
        if narrative is not None and narrative.any():
            skipped = [w for w, (a, b) in enumerate(wins) if narrative[a:b].all()]
            mark = self.labels.index("I-NARRATIVE") if "I-NARRATIVE" in self.labels else self.labels.index("O")
            out[np.isin(owner, skipped), mark] = 1.0
            kept = [w for w in range(len(wins)) if w not in set(skipped)]
            wins = [wins[w] for w in kept]
        else:
            kept = list(range(len(wins)))
        cls_id, sep_id, pad_id = self.vocab[CLS], self.vocab[SEP], self.vocab[PAD]
        for b0 in range(0, len(wins), self.batch):
            chunk = wins[b0:b0 + self.batch]
            width = max(b - a for a, b in chunk) + 2
            x = np.full((len(chunk), width), pad_id, dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for r, (a, b) in enumerate(chunk):
                x[r, 0] = cls_id
                x[r, 1:b - a + 1] = ids[a:b]
                x[r, b - a + 1] = sep_id
                mask[r, :b - a + 2] = 1
            logits = self.session.run(None, {"input_ids": x, "attention_mask": mask})[0]
            probs = _softmax(logits.astype(np.float32))
            for r, (a, b) in enumerate(chunk):
                w = kept[b0 + r]
                sel = np.nonzero(owner[a:b] == w)[0]
                out[a + sel] = probs[r, 1 + sel]
        return out

    def label(self, document: Document) -> LabelledDocument:
        """The network's labels alone (the default served labeller fuses them with the rules':
        `models.hybrid.HybridLabeller`)."""
        return self.label_outside(document, ())

    def label_outside(self, document: Document, narrative: Sequence[tuple[tuple[int, int], tuple[int, int]]]
                      ) -> LabelledDocument:
        """`label`, without running the network over the stretches `narrative` ([from, to) as
        (segment, character) positions) that are known to be prose: a window inside them is
        labelled NARRATIVE unread (`probabilities`)."""
        lin = linearise(document)
        known = None
        if narrative:
            known = np.zeros(len(lin.keys), dtype=bool)
            last = (-1, -1)
            for i, (seg, ch) in enumerate(lin.where):
                pos = (seg, max(ch, 0)) if seg >= 0 else last  # separators belong where they stand
                last = pos
                known[i] = any(a <= pos < b for a, b in narrative)
        probs = self.probabilities(self.ids(lin), known)
        spans = decode_spans(document, lin, probs, self.labels)
        spans = _valid_meta(document, spans)
        return LabelledDocument(document=document, spans=spans, labeller=self.name)


_ENUMERATOR_AFTER = re.compile(r"^\s*[、.．,，]\s*\D")


def _valid_meta(doc: Document, spans: list[Span]) -> list[Span]:
    """YEAR spans must read as a year (the assembler parses them); a 1-2 digit VALUE followed by
    `、` / `.` and text is an enumerator (`1、属于国家秘密`), not a cell."""
    out = []
    for s in spans:
        if s.tag is Tag.VALUE and s.end > s.start:
            text = doc.segments[s.segment].text
            if len(nfkc(text[s.start:s.end]).strip()) <= 2 and _ENUMERATOR_AFTER.match(text[s.end:]):
                s = s.model_copy(update={"tag": Tag.NOISE})
        if s.tag is Tag.YEAR:
            text = nfkc(doc.segments[s.segment].text[s.start:s.end]).strip()
            if not (text.isdigit() and len(text) == 4 and text[:2] in ("19", "20")):
                continue
        out.append(s)
    return out
