"""Render metrics.json as report.md + report.html with PNG plots (matplotlib, when installed)."""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Sequence

__all__ = ["write_report", "render_markdown", "PLOTS"]

PLOTS = ("reliability.png", "review_curve.png", "scan_accuracy.png", "time_per_page.png")


def _pct(v, nd: int = 2) -> str:
    return "–" if v is None else f"{100 * v:.{nd}f} %"


def _num(v, nd: int = 3) -> str:
    return "–" if v is None else f"{v:.{nd}f}"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" if i == 0 else "--:" for i in range(len(head))) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def _acc_row(name: str, m: dict) -> list[str]:
    t = m.get("table_accuracy", {})
    meta = m.get("meta_accuracy", {})
    return [name, str(m.get("documents", 0)), str(m.get("failed", 0)), _pct(m.get("field_accuracy")),
            _pct(t.get("t2")), _pct(t.get("t3")), _pct(t.get("t4")), _pct(m.get("document_exact"), 1),
            _pct(meta.get("both"), 1), _pct(m.get("constraints", {}).get("pass"))]


def _trust_row(name: str, m: dict) -> list[str]:
    c, s, r, e, tm = (m.get(k, {}) for k in ("corrections", "source_errors", "review", "ece", "timing"))
    return [name, f"{_pct(c.get('precision'), 1)} / {_pct(c.get('recall'), 1)}",
            f"{_pct(s.get('precision'), 1)} / {_pct(s.get('recall'), 1)}", _pct(r.get("review_rate"), 1),
            _pct(r.get("residual_error"), 2), _num(e.get("cell"), 4), _num(e.get("document"), 3),
            _num(tm.get("seconds_per_document"), 2), _num(tm.get("seconds_per_page"), 2),
            _num(tm.get("peak_memory_mb"), 0)]


def _confidence_row(name: str, m: dict) -> list[str]:
    t = m.get("trust", m)
    e = m.get("ece", {"cell": m.get("ece_cell"), "document": m.get("ece_document")})
    return [name, str(t.get("documents", m.get("documents", 0))), str(t.get("wrong_documents", "–")),
            str(t.get("silent_errors", "–")), str(t.get("confident_wrong_cells", "–")), _pct(t.get("review_rate"), 1),
            str(t.get("right_documents_flagged", "–")), _pct(t.get("residual_error"), 2), _num(e.get("cell"), 4),
            _num(e.get("document"), 3)]


CONFIDENCE_HEAD = ["dataset", "docs", "wrong docs", "silent errors", "confident wrong cells", "review rate",
                   "right docs flagged", "residual error", "cell ECE", "doc ECE"]
CONFIDENCE_NOTE = ("Silent errors: documents with any wrong field or org/year that `needs_review` does not flag "
                   "(the review contract says 0). Confident wrong cells: wrong cells at confidence ≥ 0.9. Residual "
                   "error: share of accepted documents that are wrong (fields or meta). See extraction/review_policy.py.")

ACC_HEAD = ["dataset", "docs", "failed", "field acc.", "table 2", "table 3", "table 4", "doc exact", "org+year",
            "constraints pass"]
TRUST_HEAD = ["dataset", "corrections P / R", "source errors P / R", "review rate", "residual error",
              "cell ECE", "doc ECE", "s / doc", "s / page", "peak MB"]


FAMILY_HEAD = ["family", "docs", "fields", "docs exact", "org+year", "silent", "confident wrong", "review rate"]


def _family_row(name: str, m: dict) -> list[str]:
    sc = m.get("scorer", {})
    n = m.get("documents", 0)
    exact = m.get("document_exact")
    return [name, str(n), _pct(m.get("field_accuracy")),
            f"{round((exact or 0) * n)}/{n}" if exact is not None else "–",
            f"{sc.get('meta_right', '–')}/{sc.get('meta_total', '–')}", str(sc.get("silent", "–")),
            str(sc.get("confident_wrong", "–")), _pct(m.get("review", {}).get("review_rate"), 1)]


def _real_sections(ds: dict) -> list[str]:
    """The real reports per family, then each family's synthetic split beside its real files."""
    from gongkai.training.synth.splits import FAMILY_SPLITS

    real = ds.get("real")
    if not real or not real.get("families"):
        return []
    fams = real["families"]
    out = ["", "## Real reports by family", "",
           "Every file of `../shared/data/real/` (crawler text, pdftotext, HTML, PDF) and every seed; the family "
           "comes from the file's suffix and the `layout` of its `*.meta.json` (`eval/datasets.py` `real_family`). "
           "Org+year, silent (a wrong field or org/year without a review flag) and confident wrong (wrong cells at "
           "confidence ≥ 0.9) are counted as `../shared/tools/score.py` counts them.", "",
           _table(FAMILY_HEAD, [_family_row(k, v) for k, v in fams.items()] + [_family_row("**all real**", real)])]
    wrong = real.get("wrong_documents") or {}
    if wrong:
        out += ["", "Documents not exact (first wrong fields): " + "; ".join(
            f"`{k}` {', '.join(v[:3]) or '(source errors)'}" for k, v in wrong.items())]
    rows = []
    for fam, split in FAMILY_SPLITS.items():
        r, s = fams.get(fam), ds.get(split)
        if r is None and s is None:
            continue
        ra, sa = (r or {}).get("field_accuracy"), (s or {}).get("field_accuracy")
        delta = f"{100 * (sa - ra):+.2f}" if ra is not None and sa is not None else "–"
        rows.append([fam, str((r or {}).get("documents", 0)), _pct(ra), _pct((r or {}).get("document_exact"), 1),
                     f"`{split}`" + ("" if s else " (not run)"), str((s or {}).get("documents", 0)), _pct(sa),
                     _pct((s or {}).get("document_exact"), 1), delta])
    if rows:
        out += ["", "## Synthetic vs real, per family", "",
                "The extractor on each family's synthetic split next to the real files of that family; the goal is "
                "a synthetic family no easier than the real one (Δ within 1 point). Families without real files "
                "show the synthetic side only.", "",
                _table(["family", "real docs", "real fields", "real exact", "synthetic split", "synth docs",
                        "synth fields", "synth exact", "Δ points (synth − real)"], rows)]
    return out


def render_markdown(m: dict, plots: Sequence[str] = ()) -> str:
    cfg = m.get("config", {})
    ds = m.get("datasets", {})
    lines = ["# gongkai benchmark report", ""]
    lines += [f"- date: {cfg.get('date', '')}; commit: `{cfg.get('commit', '')}`; primary ablation: "
              f"`{m.get('primary_ablation', '')}`"]
    if cfg.get("command"):
        lines.append(f"- command: `{cfg['command']}`")
    limited = [f"{k} ({v['note']})" for k, v in cfg.get("datasets", {}).items() if v.get("note")]
    if limited:
        lines.append("- subsets: " + "; ".join(limited))
    cal = cfg.get("calibrator")
    if cal:
        lines.append(f"- calibrator: fitted {cal.get('created')} on {', '.join(cal.get('fitted_on') or [])}; "
                     f"review threshold {cal.get('review_threshold')} (validation: review rate "
                     f"{_pct(cal.get('validation_review_rate'), 1)}, residual error "
                     f"{_pct(cal.get('validation_residual_error'))})")
    for note in cfg.get("notes", []):
        lines.append(f"- note: {note}")
    lines += _real_sections(ds)
    lines += ["", "## Headline", ""]
    lines.append(_table(["metric", "value"], [
        ["field accuracy", _pct(m.get("field_accuracy"), 3)],
        ["document exact match", _pct(m.get("document_exact"), 2)],
        ["cell ECE (calibrated / raw)", f"{_num(m.get('ece', {}).get('cell'), 4)} / {_num(m.get('ece_raw', {}).get('cell'), 4)}"],
        ["document ECE (calibrated / raw)",
         f"{_num(m.get('ece', {}).get('document'), 4)} / {_num(m.get('ece_raw', {}).get('document'), 4)}"],
        ["review rate → residual error of auto-accepted docs",
         f"{_pct(m.get('review', {}).get('review_rate'), 1)} → {_pct(m.get('review', {}).get('residual_error'))}"],
        ["seconds per document (mean / p95)",
         f"{_num(m.get('timing', {}).get('seconds_per_document'), 2)} / "
         f"{_num(m.get('timing', {}).get('seconds_per_document_p95'), 2)}"],
        ["documents (failed or timed out)", f"{m.get('documents')} ({m.get('failed')})"],
    ]))
    lines += ["", "## Accuracy by dataset", "", _table(ACC_HEAD, [_acc_row(k, v) for k, v in ds.items()]
                                                     + [_acc_row("**all**", m)])]
    lines += ["", "## Trust by dataset", "",
              "Corrections P/R: share of the reconciler's corrections that are right / share of wrong first "
              "readings that end right. Source errors P/R: against gold `source_errors`. Residual error: share of "
              "documents accepted without review that have any wrong field.", "",
              _table(TRUST_HEAD, [_trust_row(k, v) for k, v in ds.items()] + [_trust_row("**all**", m)])]
    loo = (cal or {}).get("real_leave_one_org_out")
    lines += ["", "## Confidence and review", "", CONFIDENCE_NOTE, "",
              _table(CONFIDENCE_HEAD, [_confidence_row(k, v) for k, v in ds.items()] + [_confidence_row("**all**", m)]
                     + ([_confidence_row("real + seeds, leave-one-organisation-out", loo)] if loo else []))]
    if loo:
        lines += ["", "The last row: each organisation's reports calibrated by a calibrator fitted without them "
                  "(`python -m gongkai.eval.calibrate --loo`); the real rows above use the shipped calibrator, which was "
                  "fitted on them when `fitted_on` lists real."]
    abl = m.get("ablations", {})
    if abl:
        lines += ["", "## Ablations", "", "Same documents, same cached ingestion; calibrator applied alike.", ""]
        lines.append(_table(["ablation", "field acc.", "doc exact", "corrections P / R", "source errors P / R",
                             "review rate", "residual error", "s / doc", "timeouts"],
                            [[k, _pct(v.get("field_accuracy"), 3), _pct(v.get("document_exact"), 1),
                              f"{_pct(v['corrections'].get('precision'), 1)} / {_pct(v['corrections'].get('recall'), 1)}",
                              f"{_pct(v['source_errors'].get('precision'), 1)} / {_pct(v['source_errors'].get('recall'), 1)}",
                              _pct(v["review"].get("review_rate"), 1), _pct(v["review"].get("residual_error")),
                              _num(v.get("timing", {}).get("seconds_per_document"), 2),
                              str(v.get("timing", {}).get("timeouts", 0))] for k, v in abl.items()]))
        names = list(ds)
        lines += ["", "Field accuracy per dataset:", ""]
        lines.append(_table(["ablation", *names], [[k, *(_pct(v["datasets"].get(n, {}).get("field_accuracy"))
                                                         for n in names)] for k, v in abl.items()]))
    if "reliability.png" in plots or "review_curve.png" in plots:
        lines += ["", "## Calibration and review", ""]
        held = ("the calibrator was fitted on " + ", ".join(cal.get("fitted_on") or []) + "; the datasets here are "
                "held out unless listed there." if cal else "no calibrator: raw scores.")
        lines.append(f"Expected calibration error over {cfg.get('ece_bins', 15)} equal-width bins; {held} "
                     "Review curve: review rate and residual error of auto-accepted documents as the document-"
                     "confidence threshold moves (documents with ambiguity, unresolved violations or missing "
                     "metadata are always reviewed).")
        for p in ("reliability.png", "review_curve.png"):
            if p in plots:
                lines += ["", f"![{p[:-4]}]({p})"]
    rel = m.get("reliability", {}).get("cell", [])
    if rel:
        lines += ["", "Cell reliability (calibrated):", "",
                  _table(["bin", "cells", "mean confidence", "accuracy"],
                         [[f"{b['lo']:.2f}–{b['hi']:.2f}", str(b["count"]), _num(b["confidence"], 4),
                           _num(b["accuracy"], 4)] for b in rel])]
    scans = {k: v for k, v in ds.items() if v.get("by_dpi") or v.get("by_degradation")}
    if scans:
        lines += ["", "## Scans: accuracy by resolution and degradation", ""]
        rows = []
        for k, v in scans.items():
            rows += [[k, f"{d} dpi", str(b["documents"]), _pct(b["field_accuracy"]), _pct(b["document_exact"], 1)]
                     for d, b in sorted(v.get("by_dpi", {}).items(), key=lambda kv: int(kv[0]))]
            rows += [[k, g, str(b["documents"]), _pct(b["field_accuracy"]), _pct(b["document_exact"], 1)]
                     for g, b in v.get("by_degradation", {}).items()]
        lines.append(_table(["dataset", "group", "docs", "field acc.", "doc exact"], rows))
        if "scan_accuracy.png" in plots:
            lines += ["", "![scan accuracy](scan_accuracy.png)"]
    lines += ["", "## By layout and noise level", ""]
    rows = []
    for k, v in ds.items():
        for kind in ("by_layout", "by_noise"):
            rows += [[k, g, str(b["documents"]), _pct(b["field_accuracy"]), _pct(b["document_exact"], 1)]
                     for g, b in v.get(kind, {}).items()]
    lines.append(_table(["dataset", "layout / noise", "docs", "field acc.", "doc exact"], rows))
    if "time_per_page.png" in plots:
        lines += ["", "## Time", "", "Seconds per page (ingestion incl. OCR + extraction; ingestion timed when first done, "
                  "served from the cache afterwards). Peak MB: the largest rise in a worker's resident memory over one "
                  "document.", "", "![time per page](time_per_page.png)"]
    cmp_ = m.get("compare")
    if cmp_:
        lines += ["", f"## Compared with `{cmp_.get('against')}` (tolerance {cmp_.get('tolerance')})", ""]
        lines.append(_table(["metric", "old", "new", "Δ"], [[k, _num(v["old"], 4), _num(v["new"], 4), _num(v["delta"], 4)]
                                                           for k, v in cmp_.get("overall", {}).items()]))
        lines += ["", _table(["dataset field acc.", "old", "new", "Δ"],
                             [[k, _pct(v["old"], 3), _pct(v["new"], 3), _num(v["delta"], 5)]
                              for k, v in cmp_.get("datasets", {}).items()])]
        regs = cmp_.get("regressions") or []
        lines += ["", "**Regressions:** " + ("; ".join(regs) if regs else "none")]
    fails = [(k, f) for k, v in ds.items() for f in v.get("failures", [])]
    if fails:
        lines += ["", "## Failures (first per dataset)", ""] + [f"- {k}: `{f}`" for k, f in fails[:40]]
    lines += ["", "## Definitions", "",
              "- field right: value equals gold (floats to 1e-6); gold `missing` fields (rows the form does not print) "
              "are not scored; a blank or `/` cell is right only as null. Failed/timed-out documents count every "
              "field wrong.",
              "- document exact: every scored field right and, where gold lists `source_errors`, exactly those "
              "reported as source errors.",
              "- constraints pass: share of the 42 勾稽 constraints the output does not list as violated.",
              "- first reading: the raw text the reconciler replaced (`corrected_from`), else the value.",
              "- review rate: share of documents with `needs_review` (failures included); residual error: share of the "
              "others with any wrong field.", ""]
    return "\n".join(lines)


def _plot(metrics: dict, out: Path, records: Sequence | None) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    made = []
    rel = metrics.get("reliability", {})
    if rel.get("cell"):
        fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
        for ax, level in zip(axes, ("cell", "document")):
            ax.plot([0, 1], [0, 1], ls=":", c="grey", lw=1)
            for key, style, lab in ((f"{level}_raw", "o--", "raw"), (level, "s-", "calibrated")):
                bins = rel.get(key) or []
                if bins:
                    ax.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], style, label=lab, ms=4)
                    if lab == "calibrated":
                        for b in bins:
                            ax.annotate(f"n={b['count']}", (b["confidence"], b["accuracy"]), fontsize=7,
                                        xytext=(3, -10), textcoords="offset points")
            e, er = metrics.get("ece", {}).get(level), metrics.get("ece_raw", {}).get(level)
            ax.set_title(f"{level} confidence — ECE {_num(e, 4)} (raw {_num(er, 4)})")
            ax.set_xlabel("mean confidence in bin")
            ax.set_ylabel("accuracy")
            ax.set_xlim(0, 1.01)
            ax.set_ylim(0, 1.01)
            ax.legend(loc="upper left")
        fig.tight_layout()
        fig.savefig(out / "reliability.png", dpi=80)
        plt.close(fig)
        made.append("reliability.png")
    curve = metrics.get("review_curve") or []
    if curve:
        fig, ax = plt.subplots(figsize=(5.5, 4))
        ax.plot([c["review_rate"] for c in curve], [c["residual_error"] for c in curve], ".-")
        r = metrics.get("review", {})
        if r.get("review_rate") is not None:
            ax.plot([r["review_rate"]], [r.get("residual_error") or 0], "r*", ms=12, label="shipped threshold")
            ax.legend()
        ax.axhline(0.01, ls=":", c="grey")
        ax.set_xlabel("review rate (share of documents sent to a person)")
        ax.set_ylabel("residual error of auto-accepted documents")
        ax.set_title("review rate vs residual error")
        fig.tight_layout()
        fig.savefig(out / "review_curve.png", dpi=80)
        plt.close(fig)
        made.append("review_curve.png")
    scans = {k: v for k, v in metrics.get("datasets", {}).items() if v.get("by_dpi")}
    if scans:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
        dpi: dict[int, list] = defaultdict(lambda: [0, 0.0])
        deg: dict[str, list] = defaultdict(lambda: [0, 0.0])
        for v in scans.values():
            for k, b in v.get("by_dpi", {}).items():
                dpi[int(k)][0] += b["documents"]
                dpi[int(k)][1] += b["documents"] * (b["field_accuracy"] or 0)
            for k, b in v.get("by_degradation", {}).items():
                deg[k][0] += b["documents"]
                deg[k][1] += b["documents"] * (b["field_accuracy"] or 0)
        for ax, data, title in ((axes[0], dict(sorted(dpi.items())), "by dpi"), (axes[1], dict(deg), "by degradation")):
            names = [str(k) for k in data]
            vals = [s / n if n else 0 for n, s in data.values()]
            ax.bar(names, vals)
            for i, (n, _) in enumerate(data.values()):
                ax.text(i, 0.02, f"n={n}", ha="center", color="white", fontsize=8)
            ax.set_ylim(0, 1)
            ax.set_title(f"scan field accuracy {title}")
        fig.tight_layout()
        fig.savefig(out / "scan_accuracy.png", dpi=80)
        plt.close(fig)
        made.append("scan_accuracy.png")
    if records:
        prim = metrics.get("primary_ablation")
        per: dict[str, list[float]] = defaultdict(list)
        for r in records:
            if r.ablation.name == prim and r.result is not None and r.pages:
                per[r.sample.dataset].append(r.seconds / r.pages)
        if per:
            fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(per)), 4))
            ax.boxplot(list(per.values()), showfliers=True)
            ax.set_xticks(range(1, len(per) + 1), list(per), rotation=30, ha="right")
            ax.set_yscale("log")
            ax.set_ylabel("seconds per page")
            ax.set_title("time per page (ingest + extract)")
            fig.tight_layout()
            fig.savefig(out / "time_per_page.png", dpi=80)
            plt.close(fig)
            made.append("time_per_page.png")
    return made


def _html(md: str) -> str:
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark").enable("table").render(md)
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
             "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;"
             "text-align:right}td:first-child,th:first-child{text-align:left}img{max-width:100%}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>gongkai benchmark</title>"
            f"<style>{style}</style></head><body>{body}</body></html>\n")


def write_report(metrics: dict, out: Path, records: Sequence | None = None, plots: bool = True) -> list[str]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    made = _plot(metrics, out, records) if plots else []
    md = render_markdown(metrics, made)
    (out / "report.md").write_text(md, encoding="utf-8")
    (out / "report.html").write_text(_html(md), encoding="utf-8")
    return made
