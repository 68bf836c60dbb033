"""Images (PNG, JPEG, TIFF — multi-page TIFF included) → `Document` through the OCR page path."""
from __future__ import annotations


from gongkai.extraction.document import Document, Segment, SourceKind
from gongkai.extraction.ingest.layout import TableStitcher
from gongkai.extraction.ingest.checks import check_image, open_image
from gongkai.extraction.ingest.limits import Deadline, current_limits, Limits, UnreadableImageError

__all__ = ["read_images"]


def read_images(data: bytes, name: str = "", *, ocr=None, limits: Limits | None = None) -> Document:
    """OCR every frame of an image file into one `Document` (`SourceKind.image`), one page per
    frame, with the `ocr` engine (`extraction.ingest.ocr.OcrEngine`; none: `NoOcrEngineError`)."""
    import numpy as np
    from PIL import ImageOps, ImageSequence, UnidentifiedImageError

    from gongkai.extraction.ingest.ocr import require_engine
    from gongkai.extraction.ingest.raster import ocr_page
    from gongkai.extraction.progress import page_read

    limits = limits or current_limits()

    img = open_image(data, limits)
    n = check_image(img, limits)  # pages and every frame's pixels: the service's submission check too
    try:
        img.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise UnreadableImageError(f"not a readable PNG/JPEG/TIFF image: {e}") from e
    ocr = require_engine(ocr, "an image")
    segments: list[Segment] = []
    stitcher = TableStitcher()
    for i, frame in enumerate(ImageSequence.Iterator(img)):
        try:
            frame = ImageOps.exif_transpose(frame) if i == 0 else frame
            gray = np.array(frame.convert("L"))
        except OSError as e:
            raise UnreadableImageError(f"page {i + 1} of the image is damaged: {e}") from e
        segments.extend(ocr_page(gray, i + 1, ocr, stitcher=stitcher,
                                 deadline=Deadline(limits.page_timeout_s, i + 1)))
        page_read(i + 1, n)
    return Document(source_kind=SourceKind.image, name=name, pages=n, segments=segments)
