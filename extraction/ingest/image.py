"""Images (PNG, JPEG, TIFF — multi-page TIFF included) → `Document` through the OCR page path."""
from __future__ import annotations

import io
import warnings

from gongkai.extraction.document import Document, Segment, SourceKind
from gongkai.extraction.ingest.layout import TableStitcher
from gongkai.extraction.ingest.limits import (
    Deadline, ImageTooLargeError, current_limits, Limits, TooManyPagesError, UnreadableImageError,
)

__all__ = ["read_images"]


def read_images(data: bytes, name: str = "", *, ocr=None, limits: Limits | None = None) -> Document:
    """OCR every frame of an image file into one `Document` (`SourceKind.image`), one page per
    frame, with the `ocr` engine (`extraction.ingest.ocr.OcrEngine`; none: `NoOcrEngineError`)."""
    import numpy as np
    from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

    from gongkai.extraction.ingest.ocr import require_engine
    from gongkai.extraction.ingest.raster import ocr_page
    from gongkai.extraction.progress import page_read

    limits = limits or current_limits()

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ImageTooLargeError(f"the image is too large to process safely ({e})") from e
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise UnreadableImageError(f"not a readable PNG/JPEG/TIFF image: {e}") from e
    n = getattr(img, "n_frames", 1)
    if n > limits.max_pages:
        raise TooManyPagesError(f"the image has {n} pages; at most {limits.max_pages} are accepted")
    ocr = require_engine(ocr, "an image")
    segments: list[Segment] = []
    stitcher = TableStitcher()
    for i, frame in enumerate(ImageSequence.Iterator(img)):
        w, h = frame.size
        if w * h > limits.max_pixels:
            raise ImageTooLargeError(
                f"page {i + 1} is {w}×{h} pixels; the limit is {limits.max_pixels:,} pixels")
        try:
            frame = ImageOps.exif_transpose(frame) if i == 0 else frame
            gray = np.array(frame.convert("L"))
        except OSError as e:
            raise UnreadableImageError(f"page {i + 1} of the image is damaged: {e}") from e
        segments.extend(ocr_page(gray, i + 1, ocr, stitcher=stitcher,
                                 deadline=Deadline(limits.page_timeout_s, i + 1)))
        page_read(i + 1, n)
    return Document(source_kind=SourceKind.image, name=name, pages=n, segments=segments)
