"""Text layout families. Each has `lines(report, rng) -> [Line]` and
`serialize(lines, rng, info) -> [Piece]`; the noise model runs between the two."""
from gongkai.training.synth.layouts.converted import CONVERTED_LAYOUTS
from gongkai.training.synth.layouts.crawled import CRAWLED_LAYOUTS
from gongkai.training.synth.layouts.flat import FLAT_LAYOUTS
from gongkai.training.synth.layouts.pdftext import PdfText

LAYOUTS = {**FLAT_LAYOUTS, PdfText.name: PdfText, **CRAWLED_LAYOUTS, **CONVERTED_LAYOUTS}
# default mix for kind=text, by how often users submit each form
TEXT_MIX = {"tsv": 3, "pipe": 2, "pipe_lines": 1, "cell_lines": 2, "web": 2, "crawler": 2, "markdown": 2,
            "squashed": 1, "pdftext": 3, "collapsed": 2, "spanline": 1, "squashed_page": 1, "converter_md": 2,
            "ocr_md": 2}

__all__ = ["LAYOUTS", "TEXT_MIX"]
