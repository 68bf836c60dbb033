"""The token classifier's training pipeline end to end on a tiny model: synth → pretrain →
fine-tune → ONNX export → ModelLabeller; plus the label projection it trains on."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from gongkai.extraction.ingest import read_document  # noqa: E402
from gongkai.extraction.labelling import bio_labels  # noqa: E402
from gongkai.models.registry import served_model  # noqa: E402
from gongkai.models.token_classifier import ModelLabeller, linearise  # noqa: E402
from gongkai.training.synth.corpus import generate  # noqa: E402
from gongkai.training.synth.sample import SampleSpec  # noqa: E402

LABELS = bio_labels()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tc")
    spec = {"text": SampleSpec(kind="text", noise={"light": 1}), "html": SampleSpec(kind="html")}
    generate(root / "train", 3, ["text", "html"], 77, spec.__getitem__)
    generate(root / "val", 1, ["text"], 78, spec.__getitem__)
    return {"root": root, "train": root / "train", "val": root / "val"}


def _spans_of(keys: list[str], labels: np.ndarray, name: str) -> list[str]:
    out: list[str] = []
    for k, lab in zip(keys, labels):
        tag = LABELS[lab] if lab >= 0 else "X"
        if tag == f"B-{name}":
            out.append(k)
        elif tag == f"I-{name}" and out:
            out[-1] += k
    return out


@pytest.mark.parametrize("suffix", ["txt", "html"])
def test_projection_puts_every_value_on_its_printed_number(corpus, suffix):
    from gongkai.training.model.data import example_from_sample

    for src in sorted(corpus["train"].glob(f"*.{suffix}")):
        labels = json.loads(src.with_name(src.stem + ".labels.json").read_text())
        gold_values = [sp for sp in labels["spans"] if sp[2] == "VALUE"]
        ex = example_from_sample(src)
        got = _spans_of(ex.keys, ex.labels, "VALUE")
        assert len(got) == len(gold_values), src.name
        data = src.read_bytes().decode(labels["encoding"])
        printed = ["".join(ch for ch in data[a:b] if not ch.isspace()) for a, b, *_ in gold_values]
        assert [g.replace(" ", "") for g in got] == [p.replace("&nbsp;", "") for p in printed]
        # row labels come through with their keys
        rows = _spans_of(ex.keys, ex.labels, "T3_ROW=total")
        assert rows, "the table-3 total row label is projected"


def test_projection_marks_separators_ignored(corpus):
    from gongkai.training.model.data import IGNORE, example_from_sample

    src = sorted(corpus["train"].glob("*.txt"))[0]
    ex = example_from_sample(src)
    lin = linearise(read_document(src.read_bytes(), src.name))
    assert lin.keys == ex.keys
    for (seg, ci), lab in zip(lin.where, ex.labels):
        assert (lab == IGNORE) == (ci < 0)


def test_tiny_training_export_and_labelling(corpus, tmp_path):
    from gongkai.training.model.export import export
    from gongkai.training.model.finetune import finetune
    from gongkai.training.model.pretrain import pretrain
    from gongkai.training.model.trainer import ModelSize, TrainConfig

    size = ModelSize(hidden=32, layers=1, heads=2, intermediate=64, max_position=128)
    cfg = TrainConfig(steps=4, batch=4, window=64, eval_every=2, save_every=2, warmup=1, val_windows=8)
    res = pretrain([corpus["train"]], [corpus["val"]], tmp_path / "mlm", cfg, size)
    assert res["steps"] == 4 and (tmp_path / "mlm" / "best" / "vocab.json").exists()
    log = [json.loads(line) for line in (tmp_path / "mlm" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [2, 4] and all("val_mlm_loss" in r for r in log)

    res = finetune([corpus["train"]], [corpus["val"]], tmp_path / "mlm" / "best", tmp_path / "tag", cfg)
    assert res["steps"] == 4
    # resuming a finished run does nothing more
    res2 = finetune([corpus["train"]], [corpus["val"]], tmp_path / "mlm" / "best", tmp_path / "tag",
                    TrainConfig(**{**cfg.__dict__}))
    assert res2["steps"] == 4
    log = [json.loads(line) for line in (tmp_path / "tag" / "log.jsonl").read_text().splitlines()]
    assert all(0.0 <= r["val_macro_f1"] <= 1.0 for r in log)

    info = export(tmp_path / "tag" / "best", tmp_path / "weights", "tiny-test", max_len=64, stride=48)
    assert info["fp32_max_abs_diff"] < 1e-3
    assert info["shipped"] == "token_classifier.int8.onnx"
    assert served_model(folder=tmp_path / "weights").version == "tiny-test+hybrid"
    labeller = ModelLabeller.from_dir(tmp_path / "weights")  # the network alone
    assert labeller.version == "tiny-test"
    src = sorted(corpus["val"].glob("*.txt"))[0]
    doc = read_document(src.read_bytes(), src.name)
    labelled = labeller.label(doc)
    for s in labelled.spans:
        assert 0 <= s.start <= s.end <= len(doc.segments[s.segment].text)
        assert 0.0 <= s.score <= 1.0
    assert labelled.labeller == "model"
