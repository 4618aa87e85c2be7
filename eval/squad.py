"""SQuAD 2.0 as an external check: articles nobody here wrote or tuned on.

Each Wikipedia article becomes one document (its title as the headline, its paragraphs
joined by blank lines), indexed on its own in memory with the real model; its questions
are asked against it. The gold answer texts are the evidence, so a hit is a first
citation that contains a gold answer; the unanswerable questions measure abstention.

    articles = sample(load_squad(path), n_articles=16, n_questions=60)
    runs = run_squad(articles, embedder, [Mode.HYBRID])
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from eval.baselines import TopSentence
from eval.dataset import DatasetError, QAItem
from eval.runner import PipelineSystem, Run, System, progress, run_systems
from index.build import build_index
from index.documents import parse_document, slug
from index.embeddings import Embedder
from index.store import BuildConfig
from rag.answer import AnswerConfig
from rag.pipeline import Pipeline, RetrievalConfig
from rag.retrieve import Mode

ATTRIBUTION = (
    "SQuAD 2.0 by Pranav Rajpurkar, Robin Jia and Percy Liang (2018), “Know What You Don’t "
    "Know: Unanswerable Questions for SQuAD”, licensed CC BY-SA 4.0 "
    "(creativecommons.org/licenses/by-sa/4.0); passages from Wikipedia. "
    "Sampled questions and answers are shown unchanged."
)
SEED = 2018
DEFAULT_ARTICLES = 16
DEFAULT_QUESTIONS = 60


@dataclass(frozen=True, slots=True)
class SquadArticle:
    """One Wikipedia article as a Footnote document, with its questions as `QAItem`s."""

    doc_id: str
    title: str
    text: str
    questions: tuple[QAItem, ...]


def _where(path: Path, *steps: object) -> str:
    return f"{path}: " + "".join(f"[{s!r}]" for s in steps)


def article_text(title: str, contexts: Sequence[str]) -> str:
    """The document: the title on the first line, then the paragraphs separated by blank lines.

    >>> article_text("Normans", ["The Normans were a people.", "They came from Normandy."])
    'Normans\\n\\nThe Normans were a people.\\n\\nThey came from Normandy.'
    """
    paragraphs = [" ".join(c.split()) for c in contexts if c.strip()]
    return "\n\n".join([title, *paragraphs])


def load_squad(path: Path, max_paragraphs: int | None = None) -> list[SquadArticle]:
    """Read a SQuAD 2.0 (or 1.0) JSON file (`{"data": [{"title", "paragraphs": [{"context",
    "qas"}]}]}`); with `max_paragraphs`, each article is cut to its first paragraphs (and the
    questions on them), about the length of a news story."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DatasetError(f"{path}: no such SQuAD file") from exc
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}: not JSON ({exc.msg}, line {exc.lineno})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise DatasetError(
            f'{path}: not SQuAD format; expected {{"data": [{{"title", "paragraphs"}}]}}'
        )
    articles = []
    seen: set[str] = set()
    for a, entry in enumerate(data["data"]):
        try:
            title = str(entry["title"]).replace("_", " ").strip()
            paragraphs = entry["paragraphs"][:max_paragraphs]
            contexts = [p["context"] for p in paragraphs]
        except (KeyError, TypeError) as exc:
            raise DatasetError(
                f"{_where(path, 'data', a)}: needs a title and paragraphs with a context ({exc})"
            ) from exc
        doc_id = slug(title, fallback=f"article-{a}")
        while doc_id in seen:
            doc_id += "-x"
        seen.add(doc_id)
        questions = []
        for p, paragraph in enumerate(paragraphs):
            for q, qa in enumerate(paragraph.get("qas", [])):
                try:
                    impossible = bool(qa.get("is_impossible", False))
                    answers = [] if impossible else [g["text"].strip() for g in qa["answers"]]
                    question, qid = qa["question"], str(qa["id"])
                except (KeyError, TypeError, AttributeError) as exc:
                    raise DatasetError(
                        f"{_where(path, 'data', a, 'paragraphs', p, 'qas', q)}: needs id, question, "
                        f"answers and is_impossible ({exc})"
                    ) from exc
                evidence = tuple(dict.fromkeys(t for t in answers if t))
                if not question.strip() or (not impossible and not evidence):
                    continue  # nothing to score it against
                questions.append(
                    QAItem(
                        id=qid,
                        question=question.strip(),
                        answer=evidence[0] if evidence else None,
                        evidence=evidence,
                        doc_id=doc_id,
                        kind="unanswerable" if impossible else "answerable",
                        source=f"{path}#{qid}",
                    )
                )
        articles.append(
            SquadArticle(doc_id, title, article_text(title, contexts), tuple(questions))
        )
    return articles


def _pick(items: list[QAItem], count: int, rng: random.Random) -> list[QAItem]:
    return rng.sample(items, count) if count < len(items) else list(items)


def sample(
    articles: Sequence[SquadArticle],
    n_articles: int = DEFAULT_ARTICLES,
    n_questions: int = DEFAULT_QUESTIONS,
    seed: int = SEED,
) -> list[SquadArticle]:
    """A deterministic sample: `n_articles` articles, up to `n_questions` each, half unanswerable.

    Each article's questions are drawn with a generator seeded by `seed` and its id, so an
    article's sample does not change when others are added or dropped; they keep file order.
    """
    if n_articles < 1 or n_questions < 1:
        raise ValueError("sample at least one article and one question per article")
    chosen = list(articles)
    if n_articles < len(chosen):
        keep = sorted(random.Random(seed).sample(range(len(chosen)), n_articles))
        chosen = [chosen[i] for i in keep]
    out = []
    for article in chosen:
        rng = random.Random(f"{seed}/{article.doc_id}")
        answerable = [q for q in article.questions if q.answerable]
        unanswerable = [q for q in article.questions if not q.answerable]
        n_unanswerable = min(len(unanswerable), n_questions // 2)
        n_answerable = min(len(answerable), n_questions - n_unanswerable)
        n_unanswerable = min(len(unanswerable), n_questions - n_answerable)
        picked = {
            q.id
            for q in _pick(answerable, n_answerable, rng) + _pick(unanswerable, n_unanswerable, rng)
        }
        out.append(
            replace(article, questions=tuple(q for q in article.questions if q.id in picked))
        )
    return out


def run_squad(
    articles: Sequence[SquadArticle],
    embedder: Embedder,
    modes: Sequence[Mode] = (Mode.HYBRID,),
    baselines: bool = True,
    retrieval: RetrievalConfig | None = None,
    answering: AnswerConfig | None = None,
    build: BuildConfig | None = None,
) -> tuple[list[Run], dict[str, Any]]:
    """Index each article on its own and ask it its questions; the runs and timing facts."""
    retrieval = retrieval or RetrievalConfig()
    total = sum(len(a.questions) for a in articles) * (len(modes) + 2 * baselines)
    runs: dict[str, Run] = {}
    build_seconds = 0.0
    hard: list[str] = []
    started = time.perf_counter()
    bar = progress(total, "squad")
    try:
        for number, article in enumerate(articles, 1):
            bar.set_description(f"squad {number}/{len(articles)} indexing")
            t0 = time.perf_counter()
            document = parse_document(article.doc_id, article.text, source=article.title)
            index = build_index([document], embedder, build or BuildConfig())
            build_seconds += time.perf_counter() - t0
            pipeline = Pipeline(index, embedder, retrieval=retrieval, answering=answering)
            pipeline.warm([q.question for q in article.questions])
            hard += [
                q.id
                for q in article.questions
                if not q.answerable and pipeline.uses_only_article_words(q.question)
            ]
            systems: list[System] = [PipelineSystem(pipeline, mode) for mode in modes]
            if baselines:
                systems += [
                    TopSentence(index, embedder, "bm25"),
                    TopSentence(index, embedder, "cosine"),
                ]
            run_systems(systems, article.questions, retrieval.top_k, runs=runs, bar=bar)
    finally:
        bar.close()
    facts = {
        "articles": len(articles),
        "questions": sum(len(a.questions) for a in articles),
        "answerable": sum(q.answerable for a in articles for q in a.questions),
        "unanswerable": sum(not q.answerable for a in articles for q in a.questions),
        "titles": [a.title for a in articles],
        "index_seconds": round(build_seconds, 1),
        "seconds": round(time.perf_counter() - started, 1),
        "hard_ids": hard,
    }
    return list(runs.values()), facts
