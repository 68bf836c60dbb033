"""The default construction of the pipeline: its parts picked by name, the way the settings name them.

`extraction.pipeline.Pipeline` takes its parts ready-made and reads no settings; this module makes
them from the choices a user has — the labeller (`model` | `rules`), the token classifier's mode
(`hybrid` | `pure`), the calibrator (shipped, `off`, a path), whether the OCR reads table cells from
their own crops — so the façade (`gongkai.extract`), the CLI, the service and eval each build theirs
from their own settings (flags, GONGKAI_* variables) and nothing deeper reads the environment.
"""
from __future__ import annotations

from pathlib import Path

from gongkai.extraction.confidence import load_calibrator
from gongkai.extraction.document import Document, SourceKind
from gongkai.extraction.ingest.limits import Limits
from gongkai.extraction.labelling import Labeller
from gongkai.extraction.pipeline import ExtractionError, Pipeline
from gongkai.extraction.result import ExtractionResult

__all__ = ["DEFAULT_LABELLER", "LABELLERS", "MODEL_MODES", "get_labeller", "served_model", "build_pipeline",
           "extract", "extract_document"]

DEFAULT_LABELLER = "model"  # the token classifier fused with the rules (models/weights/MODEL_CARD.md)
LABELLERS = ("model", "rules")
MODEL_MODES = ("hybrid", "pure")


def served_model(mode: str | None = None, folder: str | Path | None = None) -> Labeller:
    """The token classifier as served: the weights of `folder` (default: the promoted or shipped
    ones, `models.promoted`, loaded once per process), fused with the rules (`hybrid`) or alone
    (`pure`); `mode` None: the one the weights' config names."""
    from gongkai.models.hybrid import HybridLabeller
    from gongkai.models.rules import RuleLabeller
    from gongkai.models.token_classifier import ModelLabeller

    network = ModelLabeller.load_default() if folder is None else ModelLabeller.from_dir(folder)
    mode = mode or network.mode
    if mode not in MODEL_MODES:
        raise ValueError(f"model mode must be hybrid or pure, not {mode!r}")
    return network if mode == "pure" else HybridLabeller(RuleLabeller(), network)


def get_labeller(name: str, *, model_mode: str | None = None) -> Labeller:
    """The labeller `name` (`rules` | `model`); `model_mode`: see `served_model`."""
    if name == "rules":
        from gongkai.models.rules import RuleLabeller

        return RuleLabeller()
    if name == "model":
        try:
            return served_model(model_mode)
        except ImportError as exc:  # pragma: no cover - until the model ships
            raise ExtractionError(f"the model labeller is not available: {exc}") from exc
        except ValueError as exc:  # an unknown model mode
            raise ExtractionError(str(exc)) from exc
    raise ExtractionError(f"unknown labeller {name!r} (choose 'rules' or 'model')")


def build_pipeline(labeller: str | Labeller = DEFAULT_LABELLER, *, model_mode: str | None = None,
                   reconcile_mode: str = "full", calibration: str | None = "", ocr_cells: bool = False,
                   ocr=None, limits: Limits | None = None) -> Pipeline:
    """The pipeline with the default parts. `labeller`: a name or a `Labeller`; `calibration`: ""
    for the shipped calibrator, `off` for raw scores, else a calibrator file
    (`confidence.load_calibrator`); `ocr_cells`: the bundled OCR reads known table cells from their
    own crops; `ocr`: another engine instead of the bundled one (loaded on the first scanned page);
    `limits`: the reader's (None: those in force in the process)."""
    from gongkai.models.ocr import BundledOcr

    lab = get_labeller(labeller, model_mode=model_mode) if isinstance(labeller, str) else labeller
    return Pipeline(labeller=lab, ocr=ocr if ocr is not None else BundledOcr(read_cells=ocr_cells),
                    limits=limits, reconcile_mode=reconcile_mode, calibrator=load_calibrator(calibration))


def extract(source: bytes | str | Path, name: str = "", *, labeller: str | Labeller = DEFAULT_LABELLER,
            source_kind: SourceKind | None = None, reconcile_mode: str = "full", model_mode: str | None = None,
            calibration: str | None = "", ocr_cells: bool = False) -> ExtractionResult:
    """Extract one report from a file path or its raw bytes (`name` hints the kind by extension)
    with the default pipeline of these settings (`build_pipeline`)."""
    pipeline = build_pipeline(labeller, model_mode=model_mode, reconcile_mode=reconcile_mode,
                              calibration=calibration, ocr_cells=ocr_cells)
    return pipeline.extract(source, name, source_kind=source_kind)


def extract_document(doc: Document, *, labeller: str | Labeller = DEFAULT_LABELLER, reconcile_mode: str = "full",
                     model_mode: str | None = None, calibration: str | None = "") -> ExtractionResult:
    """`extract` of an already read `Document`."""
    return build_pipeline(labeller, model_mode=model_mode, reconcile_mode=reconcile_mode,
                          calibration=calibration).extract_document(doc)
