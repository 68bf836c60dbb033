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
           "extract", "extract_document", "warm_up"]

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
                   reconcile_mode: str = "full", calibration: str | None = "", ocr_cells: bool = True,
                   ocr=None, limits: Limits | None = None) -> Pipeline:
    """The pipeline with the default parts. `labeller`: a name or a `Labeller`; `calibration`: ""
    for the shipped calibrator, `off` for raw scores, else a calibrator file
    (`confidence.load_calibrator`); `ocr_cells`: the bundled OCR reads known table cells from their
    own crops (False: detection over the whole page); `ocr`: another engine instead of the bundled
    one (loaded on the first scanned page); `limits`: the reader's (None: those in force in the process)."""
    from gongkai.models.ocr import BundledOcr

    lab = get_labeller(labeller, model_mode=model_mode) if isinstance(labeller, str) else labeller
    return Pipeline(labeller=lab, ocr=ocr if ocr is not None else BundledOcr(read_cells=ocr_cells),
                    limits=limits, reconcile_mode=reconcile_mode, calibrator=load_calibrator(calibration))


def extract(source: bytes | str | Path, name: str = "", *, labeller: str | Labeller = DEFAULT_LABELLER,
            source_kind: SourceKind | None = None, reconcile_mode: str = "full", model_mode: str | None = None,
            calibration: str | None = "", ocr_cells: bool = True) -> ExtractionResult:
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


def _warm_text() -> str:
    """A report skeleton in the 2021 format, from the template's own wording (no data file): enough
    for the labeller, the assembler and the title reader to run the paths a report takes."""
    from gongkai.extraction import template as T

    def section(n: int) -> str:
        return f"{T.CN_NUMERALS[n - 1]}、{T.SECTION_TITLES[n]}"

    rows = {r.key: r for r in T.T2_ROWS}
    lines = ["某某市某某区人民政府2023年政府信息公开工作年度报告", section(1), "本年度工作情况如下。", section(2)]
    for article, keys in T.T2_BLOCKS:
        lines += [article, "信息内容\t本年制发件数\t本年废止件数\t现行有效件数"]
        lines += ["\t".join([rows[k].label] + ["0"] * len(T.T2_ROW_FIELDS[k])) for k in keys]
    lines += [section(3), "\t".join(T.T3_HEADER_WORDS[:2]), "\t".join(T.T3_COLUMN_LABELS.values())]
    for r in T.T3_ROW_TEMPLATES:
        mark = f"{r.enumerator}." if r.enumerator.isdigit() else (f"{r.enumerator}、" if len(r.enumerator) == 1 else r.enumerator)
        lines.append("\t".join([mark + r.label] + ["0"] * len(T.T3_COLUMNS)))
    lines += [section(4), "\t".join(T.T4_GROUP_LABELS.values()), "\t".join(T.T4_OUTCOME_LABELS.values()),
              "\t".join(["0"] * len(T.T4_FIELDS_IN_ORDER)), section(5), "无。", section(6), "无。"]
    return "\n".join(lines) + "\n"


def warm_up(labeller: str = DEFAULT_LABELLER, *, model_mode: str | None = None, calibration: str | None = "",
            network_threads: int | None = None) -> None:
    """Load in this process what an extraction otherwise loads on its first call (≈ 0.4 s: the
    modules behind the labeller, the weights' description, the calibrator, the division index, the
    HiGHS extension, the compiled patterns), so that processes forked from this one start warm — the
    service's fork server calls it (`service.preload`).

    It solves nothing and runs no network: HiGHS and onnxruntime start worker threads on their first
    run, and a forked child keeps only the thread that forked, so a solver or session started here
    could hang in the children. `network_threads=1` is the exception that is safe: the token
    classifier's session is created with one intra-op thread, which starts no thread pool at all,
    so children inherit a ready session (≈ 0.1 s a job saved) and each job runs the network on its own
    core — what a service running jobs side by side wants anyway."""
    from gongkai.extraction.assemble import assemble
    from gongkai.extraction.meta import divisions
    from gongkai.extraction.milp import highs_core

    pipeline = build_pipeline(labeller, model_mode=model_mode, calibration=calibration)
    highs_core()
    divisions().one_off  # noqa: B018 - the healing table too: a forked child inherits it built
    rules = getattr(pipeline.labeller, "rules", pipeline.labeller)  # the hybrid's rule half: no network
    assemble(rules.label(pipeline.read(_warm_text().encode(), "warm-up.txt")))
    network = getattr(pipeline.labeller, "network", pipeline.labeller)
    if network_threads == 1 and hasattr(network, "threads") and hasattr(network, "session"):
        network.threads = 1
        network.session  # noqa: B018 - created now, inherited by every forked child
