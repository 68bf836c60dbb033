"""Real review material for the crop and retraining tests: a synthetic report as a digital PDF, HTML and
text, and a small scan of its table 3 (a rotated page image, as PNG and as an image-only PDF)."""
from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Material:
    digital_pdf: Path
    html: Path
    text: Path
    scan_png: Path
    scan_pdf: Path


def _table3_scan(pdf: bytes, out: Path) -> tuple[Path, Path]:
    """The page of `pdf` where table 3 starts, from its heading down, at 150 dpi, turned by 1° (the
    crop must undo the same deskew as OCR did); as a PNG and as an image-only PDF (img2pdf)."""
    import img2pdf
    import pdfplumber
    import pypdfium2 as pdfium

    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for index, page in enumerate(doc.pages):
            words = page.extract_words()
            heads = [w["top"] for w in words if "收到和处理" in w["text"] or "本年新收" in w["text"]]
            if heads:
                top = min(heads)
                break
        else:
            raise AssertionError("the synthetic PDF has no table 3")
    scale = 150 / 72
    im = pdfium.PdfDocument(pdf)[index].render(scale=scale, grayscale=True).to_pil().convert("L")
    im = im.crop((0, int((top - 10) * scale), im.width, im.height)).rotate(1.0, expand=True, fillcolor=255)
    png = out / "table3_scan.png"
    im.save(png, dpi=(200, 200))  # an image-only PDF of it renders at the ingest dpi (200) pixel for pixel
    scan_pdf = out / "table3_scan.pdf"
    scan_pdf.write_bytes(img2pdf.convert(png.read_bytes()))
    return png, scan_pdf


@functools.cache
def material(root: Path) -> Material:
    from gongkai.training.synth.corpus import generate
    from gongkai.training.synth.sample import SampleSpec

    root.mkdir(parents=True, exist_ok=True)
    generate(root, 1, ["pdf", "html", "text"], 11, lambda kind: SampleSpec(kind=kind, source_error_rate=0.0))
    digital = next(root.glob("pdf-*.pdf"))
    png, scan_pdf = _table3_scan(digital.read_bytes(), root)
    return Material(digital, next(root.glob("html-*.html")), next(root.glob("text-*.txt")), png, scan_pdf)


def ocr_text(png: bytes) -> str:
    """What the bundled OCR reads in an image (the crops are checked by reading them)."""
    import numpy as np
    from PIL import Image

    from gongkai.models.ocr import RapidOcrEngine

    gray = np.array(Image.open(io.BytesIO(png)).convert("L"))
    return "".join(line.text for line in RapidOcrEngine.default().recognize(gray))
