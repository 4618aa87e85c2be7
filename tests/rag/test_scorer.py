"""The learned scorer's parameter files: read, written, checked, and the shipped ones usable."""

import json

import numpy as np
import pytest

from index.embeddings import MODEL_NAME
from rag.features import QUESTION_FEATURES, SENTENCE_FEATURES
from rag.scorer import (
    LinearScorer,
    LogisticModel,
    ScorerError,
    read_scorer,
    scorer_path,
    write_scorer,
)


def model(features):
    n = len(features)
    return LogisticModel(tuple(features), np.zeros(n), np.ones(n), np.linspace(-1, 1, n), 0.25)


def scorer():
    return LinearScorer(
        model(SENTENCE_FEATURES), model(QUESTION_FEATURES), 0.3, 0.6, MODEL_NAME, {"note": 1}
    )


def test_a_written_scorer_reads_back_the_same(tmp_path):
    path = tmp_path / "m.json"
    write_scorer(scorer(), path)
    again = read_scorer(path)
    rows = np.random.default_rng(0).normal(size=(5, len(SENTENCE_FEATURES)))
    assert np.allclose(again.sentence_logits(rows), scorer().sentence_logits(rows), atol=1e-5)
    assert again.abstain_below == 0.3 and again.extra_citation == 0.6
    # One named weight per feature, so a reviewer reads the file, not an array.
    data = json.loads(path.read_text())
    assert set(data["sentence"]["weights"]) == set(SENTENCE_FEATURES)


def test_the_probability_is_the_sigmoid_of_the_logit():
    m = model(QUESTION_FEATURES)
    row = np.ones((1, len(QUESTION_FEATURES)))
    assert m.predict(row)[0] == pytest.approx(1 / (1 + np.exp(-m.logit(row)[0])))


@pytest.mark.parametrize(
    "content, fragment",
    [
        (None, "no trained scorer"),
        ("{not json", "damaged"),
        ('{"format": "other"}', "not a Footnote scorer"),
    ],
)
def test_a_missing_or_damaged_file_names_the_fix(tmp_path, content, fragment):
    path = tmp_path / "m.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ScorerError, match=fragment) as info:
        read_scorer(path)
    assert "footnote train" in str(info.value)


def test_a_file_for_other_features_is_refused(tmp_path):
    path = tmp_path / "m.json"
    write_scorer(scorer(), path)
    data = json.loads(path.read_text())
    data["sentence"]["features"] = data["sentence"]["features"][:-1]
    path.write_text(json.dumps(data))
    with pytest.raises(ScorerError, match="other features"):
        read_scorer(path)


@pytest.mark.parametrize("encoder", [MODEL_NAME, None])
def test_the_shipped_scorers_load_and_record_their_held_out_check(encoder):
    shipped = read_scorer(scorer_path(encoder))
    assert 0.0 < shipped.abstain_below < 1.0
    record = shipped.record
    assert "footnote train" in record["command"]
    assert record["squad2_held_out"]["questions"] > 0
    assert set(record["held_out_squad_articles"]).isdisjoint(record["trained_squad_articles"])


def test_the_typed_citation_threshold_is_kept_and_optional(tmp_path):
    from dataclasses import replace

    path = tmp_path / "m.json"
    write_scorer(replace(scorer(), extra_citation_typed=0.9), path)
    again = read_scorer(path)
    assert again.citation_threshold(typed_answer=True) == 0.9
    assert again.citation_threshold(typed_answer=False) == 0.6
    # A file written before the typed threshold existed cites as it always did.
    data = json.loads(path.read_text())
    del data["thresholds"]["extra_citation_typed"]
    path.write_text(json.dumps(data))
    assert read_scorer(path).citation_threshold(typed_answer=True) == 0.6
