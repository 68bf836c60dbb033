"""Weak labelling of a report that has only a gold JSON: accepted VALUE spans must be exactly the
synthetic generator's VALUE spans; values the pipeline read wrong are masked, never taught."""
from __future__ import annotations

import json

import pytest

from gongkai.extraction.ingest import read_document
from gongkai.extraction.labelling import Tag
from gongkai.training.model.data import project_labels, read_source
from gongkai.training.model.weak import weak_examples, weak_labels
from gongkai.training.synth.corpus import generate
from gongkai.training.synth.sample import SampleSpec


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = tmp_path_factory.mktemp("weak")
    generate(root, 2, ["text"], 91, lambda _k: SampleSpec(kind="text", layouts={"tsv": 1}, noise={"light": 1}))
    return root


def test_accepted_values_are_the_generators_values(sample):
    src = sorted(sample.glob("*.txt"))[0]
    gold = json.loads(src.with_name(src.stem + ".gold.json").read_text())
    synth = json.loads(src.with_name(src.stem + ".labels.json").read_text())
    data, text = read_source(src)
    doc = read_document(data, src.name)
    truth = project_labels(doc, text, synth["spans"])
    wl = weak_labels(doc, gold)
    assert wl.values_accepted >= 150
    assert wl.fields_right >= 190
    for si, chars in enumerate(wl.labels.chars):
        for ci, lab in enumerate(chars):
            if lab is not None and lab[1] == Tag.VALUE.value:
                assert truth.chars[si][ci] is not None and truth.chars[si][ci][1] == "VALUE"


def test_wrong_values_are_masked(sample):
    src = sorted(sample.glob("*.txt"))[0]
    gold = json.loads(src.with_name(src.stem + ".gold.json").read_text())
    gold["fields"]["t3.total.total"] = -1  # a gold value the pipeline cannot have read
    doc = read_document(src.read_bytes(), src.name)
    wl = weak_labels(doc, gold)
    assert wl.values_rejected >= 1
    assert any(any(row) for row in wl.labels.ignore)


def test_weak_examples_from_a_folder_of_labelled_reports(sample, tmp_path):
    for src in sorted(sample.glob("*.txt")):
        (tmp_path / src.name).write_bytes(src.read_bytes())
        (tmp_path / (src.stem + ".gold.json")).write_bytes(src.with_name(src.stem + ".gold.json").read_bytes())
    exs = weak_examples(tmp_path, verbose=False)
    assert len(exs) == 2
    assert all(len(e.keys) == len(e.labels) and (e.labels > 0).sum() > 500 for e in exs)
