"""The whole pipeline for one input — ingest, label, assemble, reconcile, score — as one object.

`Pipeline` is built once from its parts: the reader's limits and OCR engine, the labeller, the
reconcile mode and the calibrator. Nothing in here picks a part by name or reads the environment:
the default construction (the shipped token classifier, the bundled OCR) needs models/, so it lives
above, in `models.registry.build_pipeline`, and the façade (`gongkai.extract`), the CLI, the service
and eval build their pipeline there from their own settings.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

from gongkai.extraction import template as T
from gongkai.extraction.assemble import Assembled, assemble
from gongkai.extraction.confidence import review_threshold, score
from gongkai.extraction.document import Document, SourceKind
from gongkai.extraction.formats import older_format_reason, older_layout_reason
from gongkai.extraction.ingest import IngestError, read_document
from gongkai.extraction.ingest.limits import Limits
from gongkai.extraction.ingest.ocr import OcrEngine
from gongkai.extraction.ocr_evidence import looks_ocred
from gongkai.extraction.reconcile import reconcile
from gongkai.extraction.review_policy import decide
from gongkai.extraction.result import CellStatus, ExtractionResult, FieldResult, Meta, Candidate, ViolationKind
from gongkai.extraction.labelling import Labeller

CODE_VERSION = "0.1.0"


class ExtractionError(Exception):
    """Input that cannot be turned into a report (not a report, old format, empty, undecodable)."""


def fingerprint(labeller: Labeller) -> str:
    return f"gongkai-{CODE_VERSION}+{labeller.name}-{labeller.version}"


def _check_is_report(doc: Document, asm: Assembled) -> None:
    text = "".join(s.text for s in doc.segments[:4000])
    tables = asm.tables()
    if not tables and not asm.sections:
        raise ExtractionError("not a 政府信息公开工作年度报告: no sections 一…六 and no report tables found")
    if reason := older_layout_reason(text, set(tables)):
        raise ExtractionError(reason)
    if not tables:
        raise ExtractionError("no table 2/3/4 values found: not a report in the 2021 format, or the tables are images")


def extract_document(doc: Document, *, labeller: Labeller, reconcile_mode: str = "full",
                     calibrator: dict | None = None) -> ExtractionResult:
    """Label, assemble, reconcile and score one read `Document` (`calibrator`: None for raw scores)."""
    lab = labeller
    if reason := older_format_reason("".join(s.text for s in doc.segments)):
        raise ExtractionError(reason)  # never mapped onto the 2021 fields
    labelled = lab.label(doc)
    # garbled labels: the digits came through someone's OCR too (see extraction.ocr_evidence)
    ocred = doc.source_kind is SourceKind.text and looks_ocred(labelled)
    asm = assemble(labelled, ocr=ocred)
    _check_is_report(doc, asm)
    outcome = reconcile(asm, reconcile_mode)
    if ocred:  # a broken sum may be our source's misreading, not the agency's arithmetic
        outcome.violations = [v.model_copy(update={"kind": ViolationKind.unresolved})
                              if v.kind is ViolationKind.source_error else v for v in outcome.violations]
    per_cell, doc_conf = score(outcome, doc.source_kind, calibrator)
    fields: dict[str, FieldResult] = {}
    for f in T.ALL_FIELDS:
        c = outcome.cells[f]
        tok = c.token
        status = c.status if (tok is not None or (c.source is not None and c.source.kind == "free")) else CellStatus.missing
        fields[f] = FieldResult(
            value=c.value,
            raw=tok.raw if tok is not None and c.source is not None and c.source.kind == "token" else (
                tok.raw if tok is not None else ""),
            status=status,
            confidence=round(per_cell[f], 4),
            provenance=tok.provenance if tok is not None else None,
            corrected_from=c.corrected.before if c.corrected else None,
            implied=c.implied if c.value is None else None,
            candidates=[Candidate(value=v, probability=round(1 / len(c.candidates), 4)) for v in c.candidates],
        )
    warnings = asm.warnings + outcome.warnings
    if ocred:
        warnings.append("the text reads like OCR output (template labels misread): broken sums are reported as "
                        "unresolved, not as the report's own errors; pass --ocr-text to let the sums correct digits")
    meta = asm.meta
    warnings += meta.warnings
    for table in ("t2", "t3", "t4"):
        if table not in asm.tables():
            warnings.append(f"table {table[1]} not found: its fields are reported as missing")
    result = ExtractionResult(  # needs_review and its reasons: extraction/review_policy.py
        meta=Meta(org=meta.org, org_canonical=meta.org_canonical, region=meta.region, year=meta.year,
                  published=meta.published, title=meta.title, source_kind=doc.source_kind),
        fields=fields,
        violations=outcome.violations,
        corrections=outcome.corrections,
        merged_rows=outcome.merged_rows,
        narrative=outcome.narrative,
        warnings=warnings,
        confidence=round(doc_conf, 4),
        fingerprint=fingerprint(lab),
    )
    return decide(result, review_threshold(calibrator), meta.warnings if meta.needs_review else ())


def read_source(source: bytes | str | Path, name: str = "") -> tuple[bytes, str]:
    """A file path or its raw bytes -> (bytes, name); `name` hints the kind by extension."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ExtractionError(f"cannot read {path}: {exc.strerror or exc}") from exc
        return data, name or path.name
    return source, name


@dataclass(frozen=True)
class Pipeline:
    """The pipeline's parts, chosen once. `ocr`: the engine for scanned pages and images (None: a
    scan is refused with a clear error); `limits`: the reader's (None: those in force in the
    process, `ingest.limits.current_limits`, which the service's child sets); `reconcile_mode`:
    `extraction.reconcile`'s; `calibrator`: the loaded calibrator (`confidence.load_calibrator`),
    None for raw scores."""

    labeller: Labeller
    ocr: OcrEngine | None = None
    limits: Limits | None = None
    reconcile_mode: str = "full"
    calibrator: dict | None = None

    def read(self, data: bytes, name: str = "", *, source_kind: SourceKind | None = None) -> Document:
        try:
            return read_document(data, name, source_kind=source_kind, ocr=self.ocr, limits=self.limits)
        except IngestError as exc:
            raise ExtractionError(str(exc)) from exc

    def extract_document(self, doc: Document) -> ExtractionResult:
        return extract_document(doc, labeller=self.labeller, reconcile_mode=self.reconcile_mode,
                                calibrator=self.calibrator)

    def extract(self, source: bytes | str | Path, name: str = "", *,
                source_kind: SourceKind | None = None) -> ExtractionResult:
        """Extract one report from a file path or its raw bytes (`name` hints the kind by extension)."""
        data, name = read_source(source, name)
        return self.extract_document(self.read(data, name, source_kind=source_kind))

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.labeller)


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


__all__ = ["Pipeline", "extract_document", "read_source", "ExtractionError", "content_hash", "fingerprint", "time"]
