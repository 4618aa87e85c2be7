"""`footnote train`: learn the answerer's scorer from question-answer data, reproducibly.

Data (all on disk; nothing is fetched):
- SQuAD 1.0 train (`squad1`): Wikipedia articles cut to their first paragraphs (about a
  news story's length), every question on them answerable; they teach which sentence
  answers (the `sentence` model).
- SQuAD 2.0 dev, public half (`squad2`): its articles are split by a seeded draw into
  training articles, whose answerable and unanswerable questions teach the `question`
  model when the best sentence is right, and held-out articles, only measured (and left out
  of `footnote eval --squad` by the ids recorded in the file).
- The news question set's dev split (`eval/qa`, split "dev", no follow-ups), in-domain: it
  trains the `question` model too, and the abstention threshold is chosen on its
  out-of-fold predictions so that choice is not measured on what it was fitted to.
The test split is never read here.

    footnote train            # writes rag/models/<encoder>.json and rag/models/bm25.json
"""

from __future__ import annotations

import logging
import pickle
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from eval.dataset import QAItem, default_files, load_questions, select_split
from eval.metrics import calibration, holds_evidence
from eval.squad import SquadArticle, load_squad
from index.build import build_index
from index.documents import Document, load_documents, parse_document
from index.embeddings import Embedder
from index.store import BuildConfig
from rag.features import QUESTION_FEATURES, SENTENCE_FEATURES
from rag.pipeline import TYPED, Evidence, Pipeline, RetrievalConfig
from rag.retrieve import Mode
from rag.scorer import LinearScorer, LogisticModel, scorer_key

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """Everything that decides the trained file; recorded in it."""

    squad1: str
    squad2: str
    news_sources: tuple[str, ...]
    seed: int = 2026
    squad1_articles: int = 48
    squad2_train_articles: int = 8
    paragraphs: int = 10
    questions_per_article: int = 40
    foreign_questions: int = 6
    regularization: float = 1.0
    news_weight: float = 4.0
    folds: int = 5
    # The false-abstention budget on the dev questions' out-of-fold scores. The issue allows
    # 5%, but a threshold chosen at 5% out of fold refused 9 of 101 answerable dev questions
    # once the final model answered them (follow-ups included); at 3%, 5 of 101.
    max_false_abstention: float = 0.03


# What `collect_squad` reads: the fields that decide the cached SQuAD examples.
SQUAD_FIELDS = (
    "squad1",
    "squad2",
    "seed",
    "squad1_articles",
    "squad2_train_articles",
    "paragraphs",
    "questions_per_article",
    "foreign_questions",
)


@dataclass(slots=True)
class Example:
    """One question with the pipeline's evidence and which candidates hold the answer."""

    source: str
    item: QAItem
    evidence: Evidence
    labels: np.ndarray
    question_row: np.ndarray | None = None
    top_correct: bool = False


@dataclass(slots=True)
class Corpus:
    """The examples of one retrieval mode, by source."""

    examples: list[Example] = field(default_factory=list)

    def of(self, *sources: str) -> list[Example]:
        return [e for e in self.examples if e.source in sources]


def split_squad2(articles: Sequence[SquadArticle], n_train: int, seed: int) -> tuple[list, list]:
    """A seeded draw of training articles; the rest are held out."""
    order = list(range(len(articles)))
    random.Random(seed).shuffle(order)
    train = sorted(order[:n_train])
    return [articles[i] for i in train], [a for i, a in enumerate(articles) if i not in train]


def _sample_questions(article: SquadArticle, count: int, seed: int) -> list[QAItem]:
    items = list(article.questions)
    random.Random(f"{seed}/{article.doc_id}").shuffle(items)
    return items[:count]


def _examples(
    source: str,
    documents: list[Document],
    items: Sequence[QAItem],
    embedder: Embedder | None,
    modes: Sequence[Mode],
    build: BuildConfig,
) -> dict[Mode, list[Example]]:
    index = build_index(documents, embedder, build)
    pipeline = Pipeline(index, embedder, retrieval=RetrievalConfig(), scorers={})
    out: dict[Mode, list[Example]] = {m: [] for m in modes}
    pipeline.warm([item.question for item in items], items[0].doc_id if items else None)
    for item in items:
        for mode in modes:
            evidence = pipeline.evidence(item.question, doc_id=item.doc_id, mode=mode)
            labels = np.asarray(
                [holds_evidence(c.sentence.text, item.evidence) for c in evidence.candidates],
                dtype=bool,
            )
            out[mode].append(Example(source, item, evidence, labels))
    return out


def _run_jobs(
    jobs: Sequence[tuple[str, list[Document], list[QAItem]]],
    embedder: Embedder,
    build: BuildConfig,
    modes: Sequence[Mode],
) -> dict[Mode, Corpus]:
    from tqdm import tqdm

    corpora = {m: Corpus() for m in modes}
    for source, documents, items in tqdm(jobs, desc="train: reading articles", unit="article"):
        for mode, examples in _examples(source, documents, items, embedder, modes, build).items():
            corpora[mode].examples.extend(examples)
    return corpora


def news_dev(config: TrainConfig) -> tuple[list[Document], list[QAItem]]:
    """The news articles, and their dev split's questions that stand on their own."""
    dev = select_split(load_questions(default_files()), "dev")
    documents = load_documents([Path(p) for p in config.news_sources])
    return documents, [q for q in dev if not q.followup]


def collect_squad(
    config: TrainConfig, embedder: Embedder, build: BuildConfig, modes: Sequence[Mode]
) -> tuple[dict[Mode, Corpus], list[SquadArticle]]:
    """Every SQuAD training and held-out example, per mode; and the held-out SQuAD articles."""
    squad1 = load_squad(Path(config.squad1), config.paragraphs)
    chosen = sorted(random.Random(config.seed).sample(range(len(squad1)), config.squad1_articles))
    squad2 = load_squad(Path(config.squad2), config.paragraphs)
    squad2_train, squad2_held = split_squad2(squad2, config.squad2_train_articles, config.seed)
    jobs: list[tuple[str, list[Document], list[QAItem]]] = []
    rng = random.Random(config.seed)
    for i in chosen:
        article = squad1[i]
        doc = parse_document(article.doc_id, article.text, source=article.title)
        own = _sample_questions(article, config.questions_per_article, config.seed)
        # Questions about other articles: what a reader asks that this one never mentions.
        others = [j for j in chosen if j != i and squad1[j].questions]
        foreign = [
            replace(
                rng.choice(squad1[j].questions),
                answer=None,
                evidence=(),
                doc_id=article.doc_id,
                kind="foreign",
            )
            for j in rng.sample(others, min(config.foreign_questions, len(others)))
        ]
        jobs.append(("squad1", [doc], own + foreign))
    for source, articles in (("squad2", squad2_train), ("squad2-held", squad2_held)):
        for article in articles:
            doc = parse_document(article.doc_id, article.text, source=article.title)
            jobs.append(
                (
                    source,
                    [doc],
                    _sample_questions(article, config.questions_per_article, config.seed),
                )
            )
    return _run_jobs(jobs, embedder, build, modes), squad2_held


def _fit(
    rows: np.ndarray, labels: np.ndarray, weights: np.ndarray, c: float, names
) -> LogisticModel:
    from sklearn.linear_model import LogisticRegression

    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale < 1e-6] = 1.0
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit((rows - mean) / scale, labels, sample_weight=weights)
    return LogisticModel(
        tuple(names), mean, scale, model.coef_[0].astype(np.float64), float(model.intercept_[0])
    )


def fit_sentence_model(examples: Sequence[Example], c: float) -> LogisticModel:
    """P(sentence holds the answer), each question weighing the same however many candidates."""
    kept = [e for e in examples if e.item.answerable and len(e.labels)]
    rows = np.concatenate([e.evidence.rows for e in kept])
    labels = np.concatenate([e.labels for e in kept])
    weights = np.concatenate([np.full(len(e.labels), 1.0 / len(e.labels)) for e in kept])
    return _fit(rows, labels, weights * len(kept) / weights.sum(), c, SENTENCE_FEATURES)


def attach_question_rows(
    examples: Sequence[Example], sentence: LogisticModel, config: TrainConfig
) -> None:
    """Each example's question row under the sentence model, and whether its top sentence is
    right. Examples the sentence model learned from get logits from a model fitted on the
    other half of the articles (cross-fitting), so the question model sees honest scores."""
    learned = [e for e in examples if e.source in ("squad1", "squad2")]
    articles = sorted({e.item.doc_id or "" for e in learned})
    random.Random(config.seed).shuffle(articles)
    half = set(articles[: len(articles) // 2])
    fitted = {
        side: fit_sentence_model(
            [e for e in learned if ((e.item.doc_id or "") in half) != side], config.regularization
        )
        for side in (True, False)
    }
    for example in examples:
        model = (
            fitted[(example.item.doc_id or "") in half]
            if example.source in ("squad1", "squad2")
            else sentence
        )
        logits = model.logit(example.evidence.rows) if len(example.labels) else np.zeros(0)
        example.question_row, _ = Pipeline.question_features(example.evidence, logits)
        example.top_correct = bool(
            example.item.answerable and len(logits) and example.labels[int(np.argmax(logits))]
        )


def _question_data(examples: Sequence[Example], news_weight: float):
    rows = np.stack([e.question_row for e in examples])
    labels = np.asarray([e.top_correct for e in examples])
    weights = np.asarray([news_weight if e.source == "news-dev" else 1.0 for e in examples])
    return rows, labels, weights


def fit_question_model(examples: Sequence[Example], config: TrainConfig) -> LogisticModel:
    """P(the best sentence holds the answer), unanswerable questions counting as wrong."""
    rows, labels, weights = _question_data(examples, config.news_weight)
    return _fit(rows, labels, weights, config.regularization, QUESTION_FEATURES)


def out_of_fold(
    train: Sequence[Example], news: Sequence[Example], config: TrainConfig
) -> np.ndarray:
    """Confidence for each news-dev question from a question model that did not see it."""
    order = list(range(len(news)))
    random.Random(config.seed).shuffle(order)
    confidence = np.zeros(len(news))
    for fold in range(config.folds):
        held = set(order[fold :: config.folds])
        fitted = fit_question_model(
            [*train, *(e for i, e in enumerate(news) if i not in held)], config
        )
        for i in held:
            confidence[i] = float(fitted.predict(news[i].question_row[None, :])[0])
    return confidence


def choose_abstention(examples: Sequence[Example], confidence: np.ndarray, limit: float) -> float:
    """The threshold that abstains on the most unanswerable questions while wrongly abstaining
    on at most `limit` of the answerable ones (ties: the lower threshold)."""
    answerable = np.asarray([e.item.answerable for e in examples])
    correct = np.asarray([e.top_correct for e in examples])
    best, best_value = 0.0, -1.0
    for threshold in sorted({0.0, *np.round(confidence, 4)}):
        abstains = confidence < threshold
        false_rate = abstains[answerable].mean() if answerable.any() else 0.0
        if false_rate > limit:
            continue
        recall = abstains[~answerable].mean() if (~answerable).any() else 0.0
        hit = (correct & ~abstains)[answerable].mean() if answerable.any() else 0.0
        if recall + hit > best_value + 1e-9:
            best, best_value = float(threshold), recall + hit
    return best


def typed_answer(example: Example, sentence: LogisticModel) -> bool:
    """Whether the question asks for a person, figure or date and its best sentence holds one
    (the case `extra_citation_typed` is for)."""
    if example.evidence.kind not in TYPED or not len(example.labels):
        return False
    best = int(np.argmax(sentence.logit(example.evidence.rows)))
    return example.evidence.candidates[best].type_match > 0


def choose_extra_citation(examples: Sequence[Example], sentence: LogisticModel) -> float:
    """The probability a further sentence needs to be cited: the grid value that best trades
    finding the evidence somewhere (hit@any) against citing sentences without it (precision).
    1.0 (never) when there is nothing to choose from."""
    best, best_value = 1.0, -1.0
    answerable = [e for e in examples if e.item.answerable and len(e.labels)]
    for threshold in np.round(np.arange(0.2, 1.0001, 0.05), 2):
        found = precise = 0.0
        for e in answerable:
            p = sentence.predict(e.evidence.rows)
            order = np.argsort(-p, kind="stable")
            cited = [order[0], *[i for i in order[1:3] if p[i] >= threshold]]
            found += bool(e.labels[cited].any())
            precise += float(e.labels[cited].mean())
        value = (found + precise) / len(answerable)
        if value > best_value + 1e-9:
            best, best_value = float(threshold), value
    return best


def _figures(
    examples: Sequence[Example], confidence: np.ndarray, threshold: float
) -> dict[str, Any]:
    answerable = np.asarray([e.item.answerable for e in examples])
    correct = np.asarray([e.top_correct for e in examples])
    abstains = confidence < threshold
    ece, _ = calibration(confidence.tolist(), correct.tolist())

    def rate(mask: np.ndarray, of: np.ndarray) -> str:
        return (
            f"{mask[of].mean():.3f} ({int(mask[of].sum())}/{int(of.sum())})" if of.any() else "n/a"
        )

    return {
        "questions": len(examples),
        "hit_at_1": rate(correct & ~abstains, answerable),
        "top_sentence_right": rate(correct, answerable),
        "abstention_recall": rate(abstains, ~answerable),
        "false_abstentions": rate(abstains, answerable),
        "calibration_error": round(ece, 4) if ece is not None else None,
    }


def train_mode(corpus: Corpus, config: TrainConfig, encoder: str | None) -> LinearScorer:
    """Fit both models for one retrieval mode and choose its thresholds."""
    sentence = fit_sentence_model(corpus.of("squad1", "squad2"), config.regularization)
    attach_question_rows(corpus.examples, sentence, config)
    squad_train, news = corpus.of("squad1", "squad2"), corpus.of("news-dev")
    oof = out_of_fold(squad_train, news, config)
    threshold = choose_abstention(news, oof, config.max_false_abstention)
    question = fit_question_model([*squad_train, *news], config)
    typed = [typed_answer(e, sentence) for e in news]
    extra = choose_extra_citation([e for e, t in zip(news, typed, strict=True) if not t], sentence)
    extra_typed = choose_extra_citation(
        [e for e, t in zip(news, typed, strict=True) if t], sentence
    )
    held = corpus.of("squad2-held")
    held_conf = np.asarray([float(question.predict(e.question_row[None, :])[0]) for e in held])
    record = {
        "command": "footnote train",
        "config": asdict(config),
        "examples": {s: len(corpus.of(s)) for s in ("squad1", "squad2", "news-dev", "squad2-held")},
        "held_out_squad_articles": sorted({e.item.doc_id or "" for e in held}),
        "trained_squad_articles": sorted({e.item.doc_id or "" for e in corpus.of("squad2")}),
        "news_dev_out_of_fold": _figures(news, oof, threshold),
        "squad2_held_out": _figures(held, held_conf, threshold),
    }
    return LinearScorer(
        sentence, question, threshold, extra, encoder or scorer_key(None), record, extra_typed
    )


def collect_cached(
    config: TrainConfig,
    embedder: Embedder,
    build: BuildConfig,
    modes: Sequence[Mode],
    cache: Path | None,
) -> dict[Mode, Corpus]:
    """Every example, per mode. The SQuAD ones (nearly all the reading time) are kept in
    `cache` (a pickle of this run's own making) so that changing only the fitting, or the
    news questions, reruns in a minute; any change of SQuAD data, encoder or settings, or of
    the features, collects them anew. The news dev questions are read every time."""
    squad = {f: getattr(config, f) for f in SQUAD_FIELDS}
    key = repr((squad, SENTENCE_FEATURES, embedder.name, asdict(build), [m.value for m in modes]))
    corpora = None
    if cache is not None and cache.exists():
        with cache.open("rb") as handle:
            stored_key, stored = pickle.load(handle)
        if stored_key == key:
            corpora = stored
    if corpora is None:
        corpora, _ = collect_squad(config, embedder, build, modes)
        if cache is not None:
            with cache.open("wb") as handle:
                pickle.dump((key, corpora), handle)
    documents, standalone = news_dev(config)
    news = _run_jobs([("news-dev", documents, standalone)], embedder, build, modes)
    for mode in modes:
        corpora[mode].examples.extend(news[mode].examples)
    return corpora


def train(
    config: TrainConfig,
    embedder: Embedder,
    build: BuildConfig,
    bm25: bool = True,
    cache: Path | None = None,
) -> dict[str, LinearScorer]:
    """Train the scorer for `embedder`'s hybrid answers and (with `bm25`) the one for BM25
    answers."""
    started = time.perf_counter()
    modes = (Mode.HYBRID, Mode.BM25) if bm25 else (Mode.HYBRID,)
    corpora = collect_cached(config, embedder, build, modes, cache)
    scorers = {scorer_key(embedder.name): train_mode(corpora[Mode.HYBRID], config, embedder.name)}
    if bm25:
        scorers[scorer_key(None)] = train_mode(corpora[Mode.BM25], config, None)
    log.info("trained in %.0f s", time.perf_counter() - started)
    return scorers
