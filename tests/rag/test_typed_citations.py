"""A question asking for one figure, person or date is answered by the sentence that holds it;
a further sentence is cited under the scorer's typed threshold, learned apart (issue 10.4)."""

from __future__ import annotations

from dataclasses import replace

from index.store import load_index
from rag.pipeline import Pipeline
from rag.scorer import read_scorer, scorer_key, scorer_path

FIGURE = "How much does Trump want South Korea to invest?"
OPEN = "Why are the trade talks with South Korea difficult?"


def pipeline_with(index_dir, embedder, typed: float, other: float) -> Pipeline:
    index = load_index(index_dir)
    shipped = read_scorer(scorer_path(index.model_name))
    # Abstention off and thresholds set here, so the test is about citing, not the file.
    scorer = replace(shipped, abstain_below=0.0, extra_citation=other, extra_citation_typed=typed)
    return Pipeline(index, embedder, scorers={scorer_key(index.model_name): scorer})


def test_the_typed_threshold_decides_only_typed_answers(index_dir, embedder) -> None:
    strict = pipeline_with(index_dir, embedder, typed=1.0, other=0.0)
    figure = strict.ask(FIGURE).answer
    assert figure.answered and len(figure.citations) == 1
    assert "$" in figure.citations[0].text
    # The same scorer still cites more than one sentence for a question with no typed answer.
    assert len(strict.ask(OPEN).answer.citations) > 1
    loose = pipeline_with(index_dir, embedder, typed=0.0, other=0.0)
    assert len(loose.ask(FIGURE).answer.citations) > 1
