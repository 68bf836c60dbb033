"""`registry.warm_up`: what the service's fork server runs before forking jobs. It must leave no
solver or network thread behind (a forked child keeps only the forking thread), and must load what
a first extraction would."""
import pytest

from gongkai.extraction import meta
from gongkai.extraction.assemble import assemble
from gongkai.extraction.milp import Model, highs_core
from gongkai.models import registry
from gongkai.models.token_classifier import ModelLabeller


def test_warm_up_runs_no_solver_and_no_network(monkeypatch):
    def refuse(*_a, **_k):
        raise AssertionError("warm_up must not start a solver or an inference session")

    monkeypatch.setattr(Model, "solve", refuse)
    monkeypatch.setattr(ModelLabeller, "label", refuse)
    monkeypatch.setattr(ModelLabeller, "session", property(refuse), raising=False)
    meta.divisions.cache_clear()
    highs_core.cache_clear()
    registry.warm_up()
    assert meta.divisions.cache_info().currsize == 1
    assert highs_core.cache_info().currsize == 1


def test_the_warm_text_is_read_as_a_report_skeleton():
    pipeline = registry.build_pipeline("rules")
    doc = pipeline.read(registry._warm_text().encode(), "warm-up.txt")
    asm = assemble(pipeline.labeller.label(doc))
    assert {(r.table, r.key) for r in asm.rows} >= {("t3", "new_received"), ("t3", "total"), ("t2", "rules"), ("t4", "t4")}
    assert asm.year == 2023


@pytest.mark.parametrize("labeller", ["rules", "model"])
def test_warm_up_accepts_each_labeller(labeller):
    registry.warm_up(labeller)
