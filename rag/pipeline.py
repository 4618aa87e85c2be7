"""The per-question pipeline: validate → resolve follow-ups → retrieve → answer.

One `Pipeline` is built per process around a loaded index; the embedder may arrive later
(the service answers from BM25 while the model loads) and is attached with `attach_embedder`.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from index.embeddings import Embedder
from index.normalize import normalize, normalize_with_offsets
from index.store import Index
from index.tokens import STOPWORDS, Terms, tokenize, words
from rag.answer import (
    Answer,
    AnswerConfig,
    Candidate,
    abstain,
    abstention_reason,
    compose,
    score,
    select,
)
from rag.answer_types import (
    AnswerType,
    find_highlight,
    known_names,
    question_anchors,
    question_people,
    question_type,
)
from rag.conversation import Followup, Turn, contextualize
from rag.coverage import Coverage, Vocabulary, check_coverage, terms_to_embed
from rag.errors import QuestionError, RetrievalUnavailableError, UnknownDocumentError
from rag.retrieve import (
    BM25Retriever,
    DenseRetriever,
    HybridRetriever,
    Mode,
    Passage,
    Query,
    Retriever,
)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class RetrievalConfig:
    """How many passages to read and how the two rankings are fused."""

    top_k: int = 6
    rrf_k: float = 60.0
    depth: int = 20


@dataclass(frozen=True, slots=True)
class Result:
    """An answer plus what produced it (for the eval suite and debugging)."""

    answer: Answer
    passages: list[Passage]
    question: str
    ranked: list[tuple[Candidate, float]] = field(default_factory=list)
    coverage: Coverage | None = None
    abstention: str | None = None


def clean_question(question: object, max_chars: int) -> str:
    """The question as the reader means it: control and invisible characters removed, odd
    spaces and compatibility forms folded (index.normalize, as articles are), whitespace folded.

    >>> clean_question("  Wh\u200bo is\u00a0Lee? ", 500)
    'Who is Lee?'
    """
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    text = normalize(_CONTROL.sub(" ", question))
    text = " ".join(text.split())
    if not text:
        raise QuestionError("the question is empty; type a question about the article")
    if len(text) > max_chars:
        raise QuestionError(
            f"the question is {len(text)} characters long; keep it under {max_chars}"
        )
    return text


def _highlight(
    text: str, kind: AnswerType | None, names: frozenset[str], question_words: set[str]
) -> tuple[tuple[int, int] | None, float]:
    """`find_highlight` in the reader's form of a sentence (names and figures split by an
    invisible character are found), as a span of the sentence as written."""
    view = normalize_with_offsets(text)
    span, strength = find_highlight(view.text, kind, names, question_words)
    return (view.original_span(*span) if span else None), strength


class _LRU:
    """A small thread-safe least-recently-used cache."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[object, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: object) -> object | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key: object, value: object) -> None:
        if self._size <= 0:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class Pipeline:
    """Answers questions from one loaded index."""

    def __init__(
        self,
        index: Index,
        embedder: Embedder | None = None,
        retrieval: RetrievalConfig | None = None,
        answering: AnswerConfig | None = None,
        default_mode: Mode = Mode.HYBRID,
        max_question_chars: int = 500,
        cache_size: int = 1024,
    ) -> None:
        self.index = index
        self.retrieval = retrieval or RetrievalConfig()
        self.answering = answering or AnswerConfig()
        self.default_mode = default_mode
        self.max_question_chars = max_question_chars
        self._bm25 = BM25Retriever(index)
        self._dense: Retriever | None = None
        self._hybrid: Retriever | None = None
        self._embedder: Embedder | None = None
        self._vectors = _LRU(cache_size)
        # Readers under one story ask the same things: recent answers, keyed by all that
        # decides them (cleaned question, article, mode, earlier turns); cleared when the
        # embedder is attached, since that changes the mode answers use.
        self._answers = _LRU(cache_size)
        self._row = {(s.doc_id, s.id): row for row, s in enumerate(index.sentences)}
        self._doc_ids = {d.id for d in index.documents}
        df = Counter(t for tokens in index.sentence_tokens for t in set(tokens))
        n = max(len(index.sentence_tokens), 1)
        self._idf = {t: math.log((n - c + 0.5) / (c + 0.5) + 1.0) for t, c in df.items()}
        self._max_idf = math.log((n + 0.5) / 0.5 + 1.0)
        self._section_tokens = {
            s.section: frozenset(tokenize(s.section)) for s in index.sentences if s.section
        }
        # Filled lazily and only ever added to; a race recomputes the same value.
        self._row_terms: dict[int, tuple[Terms, Terms]] = {}
        self._row_words: dict[int, frozenset[str]] = {}
        self._per_doc: dict[str, tuple[Vocabulary, frozenset[str]]] = {}
        self._per_doc_lock = threading.Lock()
        if embedder is not None:
            self.attach_embedder(embedder)

    # -- modes -------------------------------------------------------------------------

    def attach_embedder(self, embedder: Embedder) -> None:
        """Enable dense and hybrid retrieval with a loaded embedder."""
        if not self.index.has_vectors:
            raise RetrievalUnavailableError(
                "this index has no vectors; run `footnote build` with the model"
            )
        if self.index.model_name != embedder.name or self.index.dimension != embedder.dimension:
            raise RetrievalUnavailableError(
                f"the index was built with {self.index.model_name}, not {embedder.name}; run `footnote build`"
            )
        dense = DenseRetriever(self.index)
        self._hybrid = HybridRetriever(
            self._bm25, dense, self.retrieval.rrf_k, self.retrieval.depth
        )
        self._dense = dense
        self._embedder = embedder
        self._answers.clear()

    @property
    def dense_ready(self) -> bool:
        """Whether the embedding model is loaded and dense retrieval available."""
        return self._embedder is not None

    def effective_mode(self, requested: Mode | None = None) -> Mode:
        """The mode a question is answered in: BM25 whenever the model is not loaded."""
        mode = requested or self.default_mode
        return mode if self.dense_ready else Mode.BM25

    # -- per-document lookups ----------------------------------------------------------

    @cached_property
    def _global_vocabulary(self) -> Vocabulary:
        return Vocabulary(self.index.vocabulary, self.index.vocabulary_vectors)

    def _document_context(self, doc_id: str | None) -> tuple[Vocabulary, frozenset[str]]:
        """The vocabulary and personal names of one document (or of all)."""
        key = doc_id or ""
        with self._per_doc_lock:
            if key in self._per_doc:
                return self._per_doc[key]
        sentences = [s for s in self.index.sentences if doc_id is None or s.doc_id == doc_id]
        names = known_names([normalize(s.text) for s in sentences])
        if doc_id is None or len(self._doc_ids) == 1:
            vocabulary = self._global_vocabulary
        else:
            wanted = sorted({w for s in sentences for w in words(s.text) if w not in STOPWORDS})
            position = {w: i for i, w in enumerate(self.index.vocabulary)}
            vectors = self.index.vocabulary_vectors
            rows = [position[w] for w in wanted if w in position]
            vocabulary = Vocabulary(
                [self.index.vocabulary[r] for r in rows],
                None if vectors is None else np.asarray(vectors[rows]),
            )
        with self._per_doc_lock:
            self._per_doc[key] = (vocabulary, names)
        return vocabulary, names

    # -- answering ---------------------------------------------------------------------

    def _encode(self, texts: list[str]) -> dict[str, np.ndarray]:
        assert self._embedder is not None
        found: dict[str, np.ndarray] = {}
        todo = []
        for text in texts:
            cached = self._vectors.get(text)
            if cached is None:
                todo.append(text)
            else:
                found[text] = cached  # type: ignore[assignment]
        if todo:
            for text, vector in zip(todo, self._embedder.encode(todo), strict=True):
                self._vectors.put(text, vector)
                found[text] = vector
        return found

    def _weight(self, token: str) -> float:
        return self._idf.get(token, self._max_idf)

    def _terms(self, row: int) -> tuple[Terms, Terms]:
        """A sentence's tokens, and those of its context (section title, sentence before)."""
        cached = self._row_terms.get(row)
        if cached is None:
            sentence = self.index.sentences[row]
            context = set(self._section_tokens.get(sentence.section or "", ()))
            previous = self.index.sentences[row - 1] if row > 0 else None
            if (
                previous
                and previous.doc_id == sentence.doc_id
                and previous.section == sentence.section
            ):
                context.update(self.index.sentence_tokens[row - 1])
            cached = (Terms(self.index.sentence_tokens[row]), Terms(context))
            self._row_terms[row] = cached
        return cached

    def _lexical(self, query_tokens: list[str], row: int) -> float:
        """Share of the question's term weight found in the sentence; terms found only in the
        sentence before it or in its section title count half (they set its subject)."""
        wanted = set(query_tokens)
        if not wanted:
            return 0.0
        present, context = self._terms(row)
        found = 0.0
        for token in wanted:
            if present.matches(token):
                found += self._weight(token)
            elif context.matches(token):
                found += 0.5 * self._weight(token)
        return found / sum(self._weight(t) for t in wanted)

    def _absent_person(
        self, question: str, names: frozenset[str], best: Candidate | None
    ) -> str | None:
        """A person the question names who is not in the best sentence nor the one before it:
        "What did Oh Hyunjoo say about the swap?" is not answered by a sentence about the swap."""
        if best is None:
            return None
        around = self._words_around(self._row[(best.sentence.doc_id, best.sentence.id)])
        for person in question_people(question, names):
            if not set(words(person)) & around:
                return person
        return None

    def _words_around(self, row: int) -> frozenset[str]:
        """Words of a sentence and of the one before it (its subject is often named there)."""
        cached = self._row_words.get(row)
        if cached is None:
            sentence = self.index.sentences[row]
            found = set(words(sentence.text))
            if row > 0 and self.index.sentences[row - 1].doc_id == sentence.doc_id:
                found.update(words(self.index.sentences[row - 1].text))
            cached = self._row_words[row] = frozenset(found)
        return cached

    def _anchored(self, anchors: list[frozenset[str]], row: int) -> float:
        """Share of the question's dates, figures and names found in the sentence or the one before."""
        if not anchors:
            return 0.0
        found = self._words_around(row)
        return sum(1 for anchor in anchors if anchor & found) / len(anchors)

    def _candidates(
        self,
        passages: list[Passage],
        followup: Followup,
        vector: np.ndarray | None,
        kind: AnswerType | None,
        names: frozenset[str],
    ) -> list[Candidate]:
        """Every sentence of the retrieved passages, with the evidence for choosing it."""
        if not passages:
            return []
        top = passages[0].score or 1.0
        chunk_similarity = (
            np.asarray(self.index.chunk_vectors[[p.chunk.id for p in passages]]) @ vector
            if vector is not None and self.index.chunk_vectors is not None
            else np.zeros(len(passages))
        )
        weight: dict[int, float] = {}
        context: dict[int, float] = {}
        for passage, similarity in zip(passages, chunk_similarity, strict=True):
            for sid in passage.chunk.sentence_ids:
                row = self._row[(passage.chunk.doc_id, sid)]
                weight[row] = max(weight.get(row, 0.0), passage.score / top)
                context[row] = max(context.get(row, -1.0), float(similarity))
        rows = sorted(weight)
        dense = (
            np.asarray(self.index.sentence_vectors[rows]) @ vector
            if vector is not None and self.index.sentence_vectors is not None
            else np.zeros(len(rows))
        )
        query_tokens = tokenize(followup.question)
        question_words = {w for w in words(followup.question) if w not in STOPWORDS}
        anchors = question_anchors(followup.question, names)
        candidates = []
        for row, similarity in zip(rows, dense, strict=True):
            sentence = self.index.sentences[row]
            highlight, strength = _highlight(sentence.text, kind, names, question_words)
            key = (sentence.doc_id, sentence.id)
            candidates.append(
                Candidate(
                    sentence=sentence,
                    dense=float(similarity),
                    lexical=self._lexical(query_tokens, row),
                    anchored=self._anchored(anchors, row),
                    passage=weight[row],
                    context=context[row],
                    type_match=strength,
                    highlight=highlight,
                    repeated=key in followup.cited,
                    adjacent=key not in followup.cited
                    and any(
                        d == sentence.doc_id and abs(i - sentence.id) <= 2
                        for d, i in followup.cited
                    ),
                )
            )
        return candidates

    def ask(
        self,
        question: str,
        turns: list[Turn] | None = None,
        doc_id: str | None = None,
        mode: Mode | None = None,
    ) -> Result:
        """Answer one question, in the context of earlier `turns` when given."""
        text = clean_question(question, self.max_question_chars)
        if doc_id is not None and doc_id not in self._doc_ids:
            known = ", ".join(sorted(self._doc_ids)[:5])
            raise UnknownDocumentError(
                f"no article with id {doc_id!r} is indexed; known ids: {known}"
            )
        used = self.effective_mode(mode)
        key = (text, doc_id, used, tuple(turns or ()))
        cached = self._answers.get(key)
        if cached is not None:
            return cached  # type: ignore[return-value]
        vocabulary, names = self._document_context(doc_id)
        followup = contextualize(text, turns or [], names)
        vector = None
        term_vectors: dict[str, np.ndarray] | None = None
        if used is not Mode.BM25:
            missing = terms_to_embed(followup.question, vocabulary)
            encoded = self._encode([followup.context, *missing])
            vector = encoded[followup.context]
            term_vectors = {w: encoded[w] for w in missing}
        query = Query(followup.context, tokenize(followup.context), vector, doc_id)
        retriever = {Mode.BM25: self._bm25, Mode.DENSE: self._dense, Mode.HYBRID: self._hybrid}[
            used
        ]
        assert retriever is not None
        passages = retriever.retrieve(query, self.retrieval.top_k)
        kind = question_type(followup.question)
        candidates = self._candidates(passages, followup, vector, kind, names)
        coverage = check_coverage(
            followup.question, vocabulary, term_vectors, self.answering.synonym_threshold
        )
        ranked = sorted(
            ((c, score(c, self.answering)) for c in candidates),
            key=lambda cs: (-cs[1], cs[0].sentence.id),
        )
        chosen = select(ranked, self.answering)
        # Only for what-did-X-say questions: elsewhere a person is often a pronoun in the answer.
        absent = (
            self._absent_person(followup.question, names, ranked[0][0] if ranked else None)
            if kind is AnswerType.QUOTE
            else None
        )
        reason = abstention_reason(
            ranked, coverage, kind, vector is not None, self.answering, absent
        )
        if reason is None:
            answer = compose(chosen, used.value)
        else:
            answer = abstain(ranked[: self.answering.related_count], reason, used.value)
        result = Result(answer, passages, followup.question, ranked, coverage, reason)
        self._answers.put(key, result)
        return result

    def replay(
        self, questions: list[str], doc_id: str | None = None, mode: Mode | None = None
    ) -> list[Turn]:
        """Re-answer earlier questions a client sent as `history`, so follow-ups have context."""
        turns: list[Turn] = []
        for earlier in questions:
            try:
                result = self.ask(earlier, turns, doc_id, mode)
            except QuestionError:
                continue
            turns.append(Turn(earlier, result.answer))
        return turns
