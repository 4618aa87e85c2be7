"""An article pasted with invisible characters and odd spaces (as CMSs and phones paste
them) is answered as the clean article is: same sentences, same highlighted things, and
every citation still the exact slice of the text as stored. Offline: BM25 indexes."""

from __future__ import annotations

import json
import random

import pytest

from index.build import build_index
from index.documents import parse_document
from index.normalize import normalize
from index.store import BuildConfig
from rag.pipeline import Pipeline
from tests.conftest import ARTICLE, ROOT

INVISIBLE = ["\u200b", "\u200c", "\u2060", "\ufeff", "\u00ad"]
ODD_SPACES = ["\u00a0", "\u2009", "\u202f", "\u3000"]


def pasted(text: str, seed: int) -> str:
    """`text` with invisible characters after some letters and odd spaces for some spaces."""
    rng = random.Random(seed)
    out = []
    for char in text:
        if char == " " and rng.random() < 0.3:
            char = rng.choice(ODD_SPACES)
        out.append(char)
        if char.isalnum() and rng.random() < 0.05:
            out.append(rng.choice(INVISIBLE))
    return "".join(out)


def questions() -> list[str]:
    path = ROOT / "eval" / "qa" / "trump-asia-tour-south-korea.jsonl"
    return [json.loads(line)["question"] for line in path.read_text().splitlines() if line]


def what_it_cites(pipeline: Pipeline, question: str) -> tuple:
    answer = pipeline.ask(question).answer
    return answer.answered, [
        (c.sentence_id, c.highlight and normalize(c.text[c.highlight[0] : c.highlight[1]]))
        for c in answer.citations
    ]


@pytest.mark.parametrize("seed", [1, 2])
def test_a_pasted_article_is_answered_as_the_clean_one(seed):
    raw = ARTICLE.read_text(encoding="utf-8")
    clean = Pipeline(build_index([parse_document("a", raw)], None, BuildConfig()))
    noisy_text = pasted(raw, seed)
    noisy = Pipeline(build_index([parse_document("a", noisy_text)], None, BuildConfig()))
    document = noisy.index.documents[0]
    for question in questions():
        assert what_it_cites(noisy, question) == what_it_cites(clean, question), question
        for citation in noisy.ask(question).answer.citations:
            assert citation.text == document.text[citation.start : citation.end]
