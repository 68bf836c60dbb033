"""OCR engines behind the ingest stage's `extraction.ingest.ocr.OcrEngine`: an image in, text lines out.

`RapidOcrEngine` (the default) runs the PP-OCR detection and recognition ONNX models that the
`rapidocr` wheel ships (rapidocr 3.x bundles PP-OCRv6 small det/rec inside the wheel, under
`rapidocr/models/`) directly on onnxruntime. Only the model files are used — none of rapidocr's
pipeline code runs — so nothing is ever downloaded; a missing model file is an error. The angle
classifier is not used (it flips short numbers: 608 → 809). Decoding (CTC) is done here, on the
recogniser's per-timestep probabilities, which gives per-character confidences, character boxes
and top-k digit-only readings for numeric text.

`PaddleOcrEngine` wraps a locally installed `paddleocr` with model directories given by path
(never downloaded); it yields line-level confidences only, without numeric alternatives.
"""
from __future__ import annotations

import importlib.util
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from gongkai.extraction.ingest.ocr import DB_UNCLIP, NUMERIC_ALPHABET, OcrChar, OcrLine

__all__ = ["RapidOcrEngine", "BundledOcr", "PaddleOcrEngine", "OcrModelError"]


class OcrModelError(RuntimeError):
    """The OCR models are missing or unusable (never fixed by downloading)."""


# ---- the bundled PP-OCR models ---------------------------------------------------------------

def _bundled_model_dir() -> Path:
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        raise OcrModelError("the OCR models come with the `rapidocr` package: pip install rapidocr")
    return Path(list(spec.submodule_search_locations)[0]) / "models"


def _find_model(folder: Path, kind: str) -> Path:
    found = sorted(folder.glob(f"*{kind}*.onnx"))
    if not found:
        raise OcrModelError(f"no {kind} model (*{kind}*.onnx) in {folder}; models are never downloaded")
    return found[-1]


_REC_HEIGHT = 48  # PP-OCR recognition input height


def _aspect(crop: np.ndarray) -> float:
    """Width over height: a crop's padded input width is this × `_REC_HEIGHT`."""
    return crop.shape[1] / max(1, crop.shape[0])


@dataclass(frozen=True)
class CropReading:
    """What recognition read in one crop, per CTC timestep: the best class and its probability,
    and the probabilities of blank + the digit alphabet (`OcrLine.digit_probs`, for alternative
    readings). Kept instead of the full T × classes matrix (≈ 18 000 classes: a page's crops would
    hold hundreds of MB until the page is decoded)."""

    best: np.ndarray  # T class indices
    confidence: np.ndarray  # T
    digits: np.ndarray  # T × (1 + len(NUMERIC_ALPHABET)), float32
    px_per_step: float  # pixels of the original crop per timestep


class RapidOcrEngine:
    """PP-OCR det + rec on onnxruntime.

    det_model / rec_model: paths of ONNX models (default: the ones bundled in the rapidocr wheel).
    max_side_len: the page is scaled down so its longer side is at most this before detection
        (rapidocr's default, 2000); recognition reads crops of the full-resolution page.
    rec_batch / rec_batch_width: at most this many crops per recognition run, and at most this
        many padded input columns in all (long lines go a few at a time: memory stays bounded).
        2400 columns beat 6400 by ≈ 15 % of a scan's time (a run's activations stay in cache) and
        3200 or 1600 by a few per cent (eval.speed's scans, cold processes alternated).
    det_tile_rows / det_tile_overlap: detection tiles (rows after resizing) and their overlap
        (default: no tiling).
    read_cells: where a page's table grid is known, read its cells from their own crops and
        detect only outside the tables (the default; off: detection over the whole page,
        `gongkai extract --ocr-page`, GONGKAI_OCR_CELLS=0).
    threads: onnxruntime intra-op threads (default: all cores).
    """

    name = "rapidocr"

    def __init__(self, det_model: str | Path | None = None, rec_model: str | Path | None = None, *,
                 max_side_len: int = 2000, det_limit_side_len: int = 736, box_thresh: float = 0.5,
                 det_thresh: float = 0.3, unclip_ratio: float = DB_UNCLIP, rec_batch: int = 8,
                 rec_batch_width: int = 2400, det_tile_rows: int | None = None, det_tile_overlap: int = 96,
                 min_rec_ratio: float = 1.0, threads: int | None = None, read_cells: bool = True):
        import onnxruntime as ort

        folder = None if det_model and rec_model else _bundled_model_dir()
        self.det_path = Path(det_model) if det_model else _find_model(folder, "det")
        self.rec_path = Path(rec_model) if rec_model else _find_model(folder, "rec")
        for p in (self.det_path, self.rec_path):
            if not p.is_file():
                raise OcrModelError(f"OCR model file not found: {p}")
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        opts.intra_op_num_threads = threads or (os.cpu_count() or 1)
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # no memory arena: the arena keeps every buffer of the largest page's detection for the
        # process's life (hundreds of MB at 200 dpi); freed buffers go back at once, outputs unchanged
        opts.enable_cpu_mem_arena = False
        prov = ["CPUExecutionProvider"]
        self.det = ort.InferenceSession(str(self.det_path), sess_options=opts, providers=prov)
        self.rec = ort.InferenceSession(str(self.rec_path), sess_options=opts, providers=prov)
        meta = self.rec.get_modelmeta().custom_metadata_map
        if "character" not in meta:
            raise OcrModelError(f"{self.rec_path} carries no character list in its metadata")
        # CTC classes: 0 = blank, 1..n = the model's characters, n+1 = space
        self.charset = ["<blank>"] + meta["character"].splitlines() + [" "]
        index = {c: i for i, c in enumerate(self.charset)}
        self.digit_classes = [0] + [index[c] for c in NUMERIC_ALPHABET]
        self.max_side_len = max_side_len
        self.det_limit_side_len = det_limit_side_len
        self.box_thresh = box_thresh
        self.det_thresh = det_thresh
        self.unclip_ratio = unclip_ratio
        self.rec_batch = rec_batch
        self.rec_batch_width = rec_batch_width
        # ruled cells read from their own crops (extraction.ingest.raster), the default since it
        # beat full-page detection on the scan splits (20 of scan-300 and 20 of scan-150): 7932/7937
        # fields against 7903, silent 0 and confident-wrong 0 both, in two thirds of the time
        self.read_cells = read_cells
        # tiled detection bounds its memory (~0.45 GB less on a 200 dpi page) but missed a field on
        # one scan-300 file with a 96-row overlap: off (no tiling) unless asked for
        self.det_tile_rows = det_tile_rows or 10**9
        self.det_tile_overlap = det_tile_overlap
        self.min_rec_ratio = min_rec_ratio
        self.timings: dict[str, float] = {}

    _defaults: "dict[bool, RapidOcrEngine]" = {}

    @classmethod
    def default(cls, read_cells: bool = True) -> "RapidOcrEngine":
        """A process-wide engine with the bundled models (sessions load once, ~0.5 s)."""
        if read_cells not in cls._defaults:
            cls._defaults[read_cells] = cls(read_cells=read_cells)
        return cls._defaults[read_cells]

    # -- detection --
    def detection_scale(self, h: int, w: int) -> float:
        """The factor a `h`×`w` page is resized by before detection (longer side at most
        `max_side_len`, shorter side at least `det_limit_side_len`)."""
        scale = min(1.0, self.max_side_len / max(h, w))
        if min(h, w) * scale < self.det_limit_side_len:
            scale = self.det_limit_side_len / min(h, w)
        return scale

    def detect(self, gray: np.ndarray, scale: float | None = None) -> list[tuple[int, int, int, int]]:
        """Axis-aligned text-line boxes (x0, y0, x1, y1) in `gray`'s pixels, reading order.
        `scale`: the resize factor to detect at (default `detection_scale` of `gray`; a strip of a
        page is detected at its page's scale, so a thin strip is not blown up).

        A page taller than `det_tile_rows` (after resizing) is detected in horizontal tiles that
        overlap by `det_tile_overlap` rows, each box kept by the tile in whose own half of the
        overlap its centre lies: the detector's memory is bounded by a tile, not by the page."""
        h, w = gray.shape[:2]
        if scale is None:
            scale = self.detection_scale(h, w)
        if h * scale <= 1.25 * self.det_tile_rows:
            return self._detect_once(gray, scale)
        tile = int(self.det_tile_rows / scale)
        overlap = int(math.ceil(self.det_tile_overlap / scale))
        boxes = []
        y = 0
        while True:
            y1 = min(h, y + tile)
            lo = 0 if y == 0 else y + overlap / 2
            hi = h if y1 == h else y1 - overlap / 2
            for x0, a, x1, b in self._detect_once(gray[y:y1], scale):
                if lo <= y + (a + b) / 2 < hi:
                    boxes.append((x0, a + y, x1, b + y))
            if y1 == h:
                break
            y = y1 - overlap
        boxes.sort(key=lambda b: (b[1], b[0]))
        return boxes

    def _detect_once(self, gray: np.ndarray, scale: float) -> list[tuple[int, int, int, int]]:
        import cv2

        h, w = gray.shape[:2]
        rh = max(32, int(round(h * scale / 32)) * 32)
        rw = max(32, int(round(w * scale / 32)) * 32)
        img = cv2.resize(gray, (rw, rh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        x = (img.astype(np.float32) / 255.0 - 0.5) / 0.5
        x = np.repeat(x[None, None], 3, axis=1)
        prob = self.det.run(None, {self.det.get_inputs()[0].name: x})[0][0, 0]
        bitmap = (prob > self.det_thresh).astype(np.uint8)
        bitmap = cv2.dilate(bitmap, np.ones((2, 2), np.uint8))
        n, labels, stats, _ = cv2.connectedComponentsWithStats(bitmap, connectivity=4)
        sx, sy = w / rw, h / rh
        boxes = []
        for i in range(1, n):
            bx, by, bw, bh, area = stats[i]
            if min(bw, bh) < 3:
                continue
            score = float(prob[by:by + bh, bx:bx + bw][labels[by:by + bh, bx:bx + bw] == i].mean())
            if score < self.box_thresh:
                continue
            d = area * self.unclip_ratio / (2 * (bw + bh))  # DB unclip distance
            x0 = max(0, int((bx - d) * sx))
            y0 = max(0, int((by - d) * sy))
            x1 = min(w, int(math.ceil((bx + bw + d) * sx)))
            y1 = min(h, int(math.ceil((by + bh + d) * sy)))
            boxes.append((x0, y0, x1, y1))
        boxes.sort(key=lambda b: (b[1], b[0]))
        return boxes

    # -- recognition --
    def recognize_crops(self, crops: list[np.ndarray], check: Callable[[], None] | None = None
                        ) -> list[CropReading]:
        """For each grayscale crop, what the network read (`CropReading`); `check` (the page
        deadline) is asked after each batch."""
        order = sorted(range(len(crops)), key=lambda i: _aspect(crops[i]))
        out: list[CropReading | None] = [None] * len(crops)
        for idx in self._batches(order, [_aspect(crops[i]) for i in order], _REC_HEIGHT):
            self._recognize_batch(crops, idx, out)
            if check:
                check()
        return out  # type: ignore[return-value]

    def _recognize_batch(self, crops: list[np.ndarray], idx: list[int], out: list[CropReading | None]) -> None:
        """Recognise the crops `idx` (similar widths) in one run; fill their slots of `out`."""
        import cv2

        H = _REC_HEIGHT
        ratios = [_aspect(crops[i]) for i in idx]
        max_ratio = max(self.min_rec_ratio, max(ratios))
        W = int(math.ceil(H * max_ratio))
        batch = np.zeros((len(idx), 3, H, W), dtype=np.float32)
        widths = []
        for j, i in enumerate(idx):
            rw = min(W, int(math.ceil(H * ratios[j])))
            im = cv2.resize(crops[i], (max(1, rw), H)).astype(np.float32)
            batch[j, :, :, :rw] = ((im / 255.0 - 0.5) / 0.5)[None]
            widths.append(rw)
        probs = self.rec.run(None, {self.rec.get_inputs()[0].name: batch})[0]  # batch × T × classes
        T = probs.shape[1]
        best, confidence = probs.argmax(axis=2), probs.max(axis=2)
        digits = probs[:, :, self.digit_classes].astype(np.float32)
        for j, i in enumerate(idx):
            # pixels of the original crop per CTC timestep
            px = (W / T) * (crops[i].shape[1] / max(1, widths[j]))
            out[i] = CropReading(best[j], confidence[j], digits[j], px)

    def _batches(self, order: list[int], ratios: list[float], height: int) -> list[list[int]]:
        """Consecutive runs of `order` (sorted by width ratio): at most `rec_batch` crops and
        `rec_batch_width` padded columns per run."""
        out: list[list[int]] = []
        for i, r in zip(order, ratios):
            width = math.ceil(height * max(self.min_rec_ratio, r))
            if out and len(out[-1]) < self.rec_batch and (len(out[-1]) + 1) * width <= self.rec_batch_width:
                out[-1].append(i)
            else:
                out.append([i])
        return out

    def decode(self, reading: CropReading) -> list[tuple[str, float, int, int]]:
        """Greedy CTC: (character, confidence, first timestep, last timestep) per character."""
        best, conf = reading.best, reading.confidence
        chars = []
        t = 0
        T = len(best)
        while t < T:
            c = int(best[t])
            s = t
            while t + 1 < T and best[t + 1] == c:
                t += 1
            if c != 0:
                chars.append((self.charset[c], float(conf[s:t + 1].max()), s, t))
            t += 1
        return chars

    def recognize(self, image: np.ndarray, check: Callable[[], None] | None = None) -> list[OcrLine]:
        import time

        gray = image if image.ndim == 2 else _to_gray(image)
        t = time.perf_counter()
        boxes = self.detect(gray)
        self.timings["det"] = time.perf_counter() - t
        if check:
            check()
        t = time.perf_counter()
        lines = self.read_lines(gray, boxes, check)
        self.timings["rec"] = time.perf_counter() - t
        return lines

    def read_lines(self, gray: np.ndarray, boxes: list[tuple[int, int, int, int]],
                   check: Callable[[], None] | None = None,
                   single: list[tuple[int, int, int, int]] = ()) -> list[OcrLine]:
        """Recognise text-line boxes of `gray` in one batched pass: detected `boxes` (a tall one
        is vertical text, cut into its characters first) and `single` boxes known to hold one
        horizontal line each (a ruled cell's lines: a lone narrow digit is not vertical text)."""
        boxes = [b for box in boxes for b in _split_vertical(gray, box)] + list(single)
        return self.line_from_crops(gray, boxes, check)

    def line_from_crops(self, gray: np.ndarray, boxes: list[tuple[int, int, int, int]],
                        check: Callable[[], None] | None = None) -> list[OcrLine]:
        """Recognise the given boxes of `gray` (each one text line) into `OcrLine`s."""
        crops = [gray[y0:y1, x0:x1] for x0, y0, x1, y1 in boxes]
        results = self.recognize_crops(crops, check)
        lines = []
        for (x0, y0, x1, y1), reading in zip(boxes, results):
            chars = []
            px = reading.px_per_step
            for ch, cf, s, e in self.decode(reading):
                chars.append(OcrChar(ch, x0 + s * px, y0, min(x1, x0 + (e + 1) * px), y1, cf, s, e))
            chars = [c for c in chars if c.text.strip()] if any(c.text.strip() for c in chars) else []
            if not chars:
                continue
            text = "".join(c.text for c in chars)
            lines.append(OcrLine(text, (float(x0), float(y0), float(x1), float(y1)), chars, reading.digits))
        return lines


class BundledOcr:
    """The default engine of a pipeline: `RapidOcrEngine.default(read_cells)`, loaded on the first
    page that needs OCR (a text report never loads the OCR models)."""

    name = "rapidocr"

    def __init__(self, read_cells: bool = True):
        self.read_cells = read_cells

    @property
    def engine(self) -> RapidOcrEngine:
        return RapidOcrEngine.default(self.read_cells)

    def recognize(self, image: np.ndarray, check: Callable[[], None] | None = None) -> list[OcrLine]:
        return self.engine.recognize(image, check)

    def __getattr__(self, attr: str):  # the grid path and the missed-cell pass (extraction.ingest.ocr)
        if attr.startswith("_"):
            raise AttributeError(attr)
        return getattr(self.engine, attr)


def _split_vertical(gray: np.ndarray, box: tuple[int, int, int, int]) -> list[tuple[int, int, int, int]]:
    """A tall box is vertical CJK text (e.g. a table's group label written top to bottom): cut it
    into character boxes at blank rows, each recognised on its own."""
    import cv2

    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    if h < 1.5 * w or w < 8:
        return [box]
    crop = gray[y0:y1, x0:x1]
    _, bw = cv2.threshold(crop, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    ink = bw.sum(axis=1) > 0
    runs: list[list[int]] = []
    for y, on in enumerate(ink):
        if on and (not runs or runs[-1][1] < y - 1):
            runs.append([y, y])
        elif on:
            runs[-1][1] = y
    # glue fragments of one character (strokes separated by a blank row)
    merged: list[list[int]] = []
    for r in runs:
        if merged and (r[1] - merged[-1][0]) < 0.9 * w:
            merged[-1][1] = r[1]
        else:
            merged.append(r)
    if len(merged) < 2:
        return [box]
    pad = max(2, w // 10)
    return [(x0, max(y0, y0 + a - pad), x1, min(y1, y0 + b + 1 + pad)) for a, b in merged]


def _to_gray(image: np.ndarray) -> np.ndarray:
    import cv2

    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


class PaddleOcrEngine:
    """`paddleocr` (3.x) with local model directories; used only when the user installed it.

    det_model_dir / rec_model_dir: folders of exported PaddleOCR inference models. Nothing is
    downloaded: both are required, and document-orientation, unwarping and text-line orientation
    models are switched off. Lines carry the line score as every character's confidence and no
    digit alternatives.
    """

    name = "paddleocr"

    def __init__(self, det_model_dir: str | Path, rec_model_dir: str | Path):
        for p in (det_model_dir, rec_model_dir):
            if not Path(p).is_dir():
                raise OcrModelError(f"PaddleOCR model directory not found: {p}")
        try:
            from paddleocr import PaddleOCR  # type: ignore[import-not-found]
        except ImportError as e:
            raise OcrModelError("the paddleocr backend needs `pip install paddleocr paddlepaddle`") from e
        os.environ.setdefault("PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK", "True")
        self._ocr = PaddleOCR(text_detection_model_dir=str(det_model_dir),
                              text_recognition_model_dir=str(rec_model_dir),
                              use_doc_orientation_classify=False, use_doc_unwarping=False,
                              use_textline_orientation=False)

    def recognize(self, image: np.ndarray, check: Callable[[], None] | None = None) -> list[OcrLine]:
        img = image if image.ndim == 3 else np.repeat(image[:, :, None], 3, axis=2)
        lines = []
        for res in self._ocr.predict(img):
            for text, score, poly in zip(res["rec_texts"], res["rec_scores"], res["rec_polys"]):
                pts = np.asarray(poly, dtype=float)
                x0, y0 = pts.min(axis=0)
                x1, y1 = pts.max(axis=0)
                n = max(1, len(text))
                step = (x1 - x0) / n
                chars = [OcrChar(c, x0 + i * step, y0, x0 + (i + 1) * step, y1, float(score))
                         for i, c in enumerate(text)]
                lines.append(OcrLine(text, (x0, y0, x1, y1), chars, None))
        if check:
            check()
        return lines
