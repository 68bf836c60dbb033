"""The benchmark report puts the real reports first, per family, and compares each family's
synthetic split with its real files."""
from __future__ import annotations

from gongkai.eval.report import render_markdown


def _entry(docs, acc, exact, silent=0, confident=0, review=0.5):
    return {"documents": docs, "field_accuracy": acc, "document_exact": exact, "review": {"review_rate": review},
            "scorer": {"meta_right": 2 * docs, "meta_total": 2 * docs, "silent": silent,
                       "confident_wrong": confident}}


def test_real_families_come_first_with_the_synthetic_comparison():
    real = _entry(4, 0.9, 0.5)
    real["families"] = {"collapsed": _entry(3, 0.88, 1 / 3, silent=1, confident=7), "pdf": _entry(1, 1.0, 1.0)}
    real["wrong_documents"] = {"a.crawler.txt": ["t3.granted.total"]}
    m = {"datasets": {"fam-collapsed": _entry(10, 0.8, 0.4), "real": real}, "config": {}}
    md = render_markdown(m)
    assert md.index("## Real reports by family") < md.index("## Headline") < md.index("## Accuracy by dataset")
    fam_table = md[md.index("## Real reports by family"):md.index("## Synthetic vs real")]
    assert "| collapsed | 3 | 88.00 % | 1/3 | 6/6 | 1 | 7 | 50.0 % |" in fam_table
    cmp_table = md[md.index("## Synthetic vs real"):md.index("## Headline")]
    assert "| collapsed | 3 | 88.00 % | 33.3 % | `fam-collapsed` | 10 | 80.00 % | 40.0 % | -8.00 |" in cmp_table
    assert "`pdf` (not run)" in cmp_table and "a.crawler.txt" in md


def test_no_real_dataset_no_family_sections():
    md = render_markdown({"datasets": {"fam-collapsed": _entry(10, 0.8, 0.4)}, "config": {}})
    assert "Real reports by family" not in md and "Synthetic vs real" not in md
