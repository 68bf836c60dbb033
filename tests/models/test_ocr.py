"""The OCR engine: offline bundled models, CTC decoding, and top-k digit readings."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gongkai.extraction.ingest.ocr import NUMERIC_ALPHABET, OcrEngine, ctc_top_k, is_numeric_text
from gongkai.models.ocr import OcrModelError

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")


def _probs(rows: list[dict[str, float]]) -> np.ndarray:
    """T × (1 + |alphabet|) probabilities from {symbol: p} rows ('-' = blank)."""
    out = np.zeros((len(rows), 1 + len(NUMERIC_ALPHABET)))
    for t, row in enumerate(rows):
        for sym, p in row.items():
            out[t, 0 if sym == "-" else 1 + NUMERIC_ALPHABET.index(sym)] = p
    return out


def test_ctc_top_k_merges_alignments_and_ranks_readings():
    # "6 0 8" with an uncertain last digit (8 vs 9) and a repeated 0 frame
    p = _probs([{"6": 0.95, "-": 0.05}, {"-": 0.9, "6": 0.1}, {"0": 0.9, "8": 0.1}, {"0": 0.8, "-": 0.2},
                {"-": 1.0}, {"8": 0.6, "9": 0.35, "-": 0.05}])
    top = ctc_top_k(p, NUMERIC_ALPHABET, k=4)
    texts = [t for t, _ in top]
    assert texts[0] == "608" and "609" in texts[:3]
    probs = [pr for _, pr in top]
    assert probs == sorted(probs, reverse=True)
    assert 0 < sum(probs) <= 1.0 + 1e-9
    assert top[0][1] > 0.4


def test_ctc_top_k_repeated_digit_needs_a_blank():
    p = _probs([{"1": 1.0}, {"-": 1.0}, {"1": 1.0}])
    assert ctc_top_k(p, NUMERIC_ALPHABET, k=1)[0] == ("11", pytest.approx(1.0))
    p = _probs([{"1": 1.0}, {"1": 1.0}])
    assert ctc_top_k(p, NUMERIC_ALPHABET, k=1)[0][0] == "1"


def test_numeric_text():
    assert is_numeric_text("3,119") and is_numeric_text("96171.6") and is_numeric_text("0")
    assert not is_numeric_text("总计") and not is_numeric_text("1.属于国家秘密") and not is_numeric_text("")


def test_missing_model_file_is_an_error_not_a_download(tmp_path):
    pytest.importorskip("onnxruntime")
    from gongkai.models.ocr import RapidOcrEngine

    with pytest.raises(OcrModelError, match="not found"):
        RapidOcrEngine(tmp_path / "det.onnx", tmp_path / "rec.onnx")


@pytest.fixture(scope="module")
def engine():
    pytest.importorskip("rapidocr")
    from gongkai.models.ocr import RapidOcrEngine

    return RapidOcrEngine.default()


def test_bundled_models_load_offline(engine):
    assert isinstance(engine, OcrEngine)
    assert "PP-OCR" in engine.det_path.name and engine.det_path.is_file()
    assert len(engine.charset) > 6000 and engine.charset[0] == "<blank>"


@pytest.mark.usefixtures("cjk_font")
def test_rendered_number_gives_top1_and_alternatives(engine):
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("L", (360, 120), 255)
    ImageDraw.Draw(img).text((40, 35), "总计608", font=ImageFont.truetype(str(FONT), 40), fill=0)
    lines = engine.recognize(np.array(img))
    assert len(lines) == 1
    line = lines[0]
    assert line.text == "总计608"
    digits = [c for c in line.chars if c.text.isdigit()]
    assert [c.text for c in digits] == ["6", "0", "8"]
    assert all(0.5 < c.conf <= 1.0 for c in digits)
    assert digits[0].x0 < digits[1].x0 < digits[2].x0  # character boxes left to right
    alts = line.alternatives(line.chars[1].t1 + 1, None, k=5)  # the steps after 计
    assert alts[0][0] == "608"
    assert 1 <= len(alts) <= 5 and sum(p for _, p in alts) <= 1.0 + 1e-6
    assert all(set(t) <= set(NUMERIC_ALPHABET) for t, _ in alts)


@pytest.mark.skipif(not FONT.exists(), reason="CJK font absent: apt-get install -y fonts-wqy-zenhei")
def test_tiled_detection_finds_the_lines_the_whole_page_does(engine):
    """Detection in overlapping tiles (bounded memory) keeps each line once, wherever the tile
    edges fall."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(FONT), 30)
    img = Image.new("L", (900, 2600), 255)
    d = ImageDraw.Draw(img)
    for k in range(40):
        d.text((60 + (k % 3) * 40, 40 + k * 62), f"第{k}行 信息公开 {k * 37}", font=font, fill=0)
    gray = np.array(img)
    scale = engine.detection_scale(*gray.shape)
    whole = engine.detect(gray, scale)
    rows, engine.det_tile_rows = engine.det_tile_rows, 1024
    try:
        tiled = engine.detect(gray, scale)
    finally:
        engine.det_tile_rows = rows
    assert gray.shape[0] * scale > 1.25 * 1024  # the page really was tiled
    assert len(whole) == 40 and len(tiled) == 40
    for a, b in zip(whole, tiled):
        assert max(abs(p - q) for p, q in zip(a, b)) <= 4


def test_recognition_batches_bound_the_padded_width():
    from gongkai.models.ocr import RapidOcrEngine

    eng = RapidOcrEngine.__new__(RapidOcrEngine)  # no models needed to form batches
    eng.rec_batch, eng.rec_batch_width, eng.min_rec_ratio = 8, 6400, 1.0
    ratios = [1.0] * 20 + [40.0] * 5
    batches = eng._batches(list(range(25)), ratios, 48)
    assert [len(b) for b in batches] == [8, 8, 4, 3, 2]
    assert sum(batches, []) == list(range(25))
    assert all(len(b) * 48 * max(ratios[i] for i in b) <= 6400 for b in batches)


@pytest.mark.usefixtures("cjk_font")
def test_a_crop_reads_the_same_alone_or_batched_and_keeps_only_what_decoding_needs(engine):
    """Batch composition (the padded width, the companions) must not change a crop's reading;
    what is kept per crop is the greedy path and the digit columns, not T × ~18 000 classes."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(FONT), 40)

    def crop(text: str) -> np.ndarray:
        img = Image.new("L", (40 + 42 * len(text), 64), 255)
        ImageDraw.Draw(img).text((20, 10), text, font=font, fill=0)
        return np.array(img)

    target = crop("本年新收政府信息公开申请608件")
    alone = engine.recognize_crops([target])[0]
    together = engine.recognize_crops([crop("1"), target, crop("总计"), crop("不予公开 12")])[1]
    assert "".join(c for c, *_ in engine.decode(alone)) == "".join(c for c, *_ in engine.decode(together))
    assert "608" in "".join(c for c, *_ in engine.decode(alone))
    assert alone.digits.shape == (len(alone.best), 1 + len(NUMERIC_ALPHABET))
    assert alone.confidence.shape == alone.best.shape
