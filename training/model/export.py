"""Export a fine-tuned classifier to ONNX (opset 18, dynamic batch and sequence axes), optionally
dynamic-int8 quantised with onnxruntime, plus `token_classifier.json` (vocab, labels, version) and
the HF weights needed to fine-tune it again (`gongkai train labelled`)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from gongkai.extraction.labelling import bio_labels
from gongkai.models.token_classifier import BATCH

__all__ = ["export", "onnx_logits"]

FP32 = "token_classifier.onnx"
INT8 = "token_classifier.int8.onnx"


def _export_onnx(model, path: Path, vocab_size: int) -> None:
    import torch

    class Wrapped(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).logits

    model.eval()
    ids = torch.randint(8, vocab_size, (2, 64))
    mask = torch.ones_like(ids)
    mask[1, 40:] = 0  # trace the padding path too
    from torch.export import Dim

    batch, seq = Dim("batch"), Dim("seq", max=512)
    torch.onnx.export(Wrapped(model).eval(), (ids, mask), str(path), input_names=["input_ids", "attention_mask"],
                      output_names=["logits"], opset_version=18, dynamo=True, external_data=False,
                      dynamic_shapes={"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq}})


def onnx_logits(path: Path, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(None, {"input_ids": ids, "attention_mask": mask})[0]


def export(model_dir: Path, out: Path, version: str, quantize: bool = True, max_len: int = 256,
           stride: int = 192) -> dict:
    """Write the runtime files into `out`; returns sizes and the fp32/int8 agreement."""
    import torch
    from transformers import BertForTokenClassification

    model_dir, out = Path(model_dir), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    vocab = json.loads((model_dir / "vocab.json").read_text(encoding="utf-8"))
    model = BertForTokenClassification.from_pretrained(str(model_dir))
    model.eval()
    fp32 = out / FP32
    _export_onnx(model, fp32, len(vocab))
    rng = np.random.default_rng(0)
    ids = rng.integers(8, len(vocab), size=(2, 100)).astype(np.int64)
    mask = np.ones_like(ids)
    mask[1, 70:] = 0
    with torch.no_grad():
        ref = model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)).logits.numpy()
    got = onnx_logits(fp32, ids, mask)
    info = {"fp32_max_abs_diff": float(np.abs(ref - got)[mask == 1].max()), "files": {}}
    shipped = FP32
    if quantize:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(fp32), str(out / INT8), weight_type=QuantType.QInt8)
        q = onnx_logits(out / INT8, ids, mask)
        info["int8_argmax_agreement"] = float((q.argmax(-1) == got.argmax(-1)).mean())
        shipped = INT8
    for name in ("config.json", "model.safetensors"):
        if (model_dir / name).exists() and (model_dir / name).resolve() != (out / name).resolve():
            shutil.copy(model_dir / name, out / name)
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    cfg = {"version": version, "onnx": shipped, "onnx_fp32": FP32, "labels": bio_labels(), "vocab": vocab,
           "max_len": max_len, "stride": stride, "batch": BATCH}
    (out / "token_classifier.json").write_text(json.dumps(cfg, ensure_ascii=False), encoding="utf-8")
    info["shipped"] = shipped
    info["files"] = {p.name: p.stat().st_size for p in sorted(out.iterdir()) if p.is_file()}
    return info
