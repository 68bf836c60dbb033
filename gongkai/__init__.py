"""gongkai: verified structured data from 政府信息公开工作年度报告.

The installed distribution is this one package; the repository's stage folders install as its
subpackages (``gongkai.extraction``, ``gongkai.models``, ``gongkai.service``, ``gongkai.eval``,
``gongkai.training``; see ``[tool.setuptools] package-dir`` in pyproject.toml).

    import gongkai
    result = gongkai.extract("report.pdf")          # a path, or the file's bytes
    result.fields["t2.rules.issued"].value

    pipeline = gongkai.build_pipeline("rules", calibration="off")   # parts chosen once, reused
    pipeline.extract("report.pdf")

The public names load lazily, so ``import gongkai`` (and ``gongkai --help``) stays cheap.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "extract": "gongkai.models.registry",  # the default pipeline (models.registry.build_pipeline)
    "extract_document": "gongkai.models.registry",
    "build_pipeline": "gongkai.models.registry",
    "Pipeline": "gongkai.extraction.pipeline",
    "ExtractionError": "gongkai.extraction.pipeline",
    "ExtractionResult": "gongkai.extraction.result",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from gongkai.extraction.pipeline import ExtractionError
    from gongkai.models.registry import extract, extract_document
    from gongkai.extraction.result import ExtractionResult


def __getattr__(name: str):
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'gongkai' has no attribute {name!r}") from None
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
