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

from index.embeddings import Embedder, TokenVectors
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
    select,
)
from rag.answer_types import (
    AnswerType,
    find_highlight,
    known_names,
    question_anchors,
    question_people,
    question_type,
    unmet_measure,
    unnamed,
)
from rag.conversation import Followup, Turn, contextualize
from rag.coverage import Coverage, Vocabulary, check_coverage, key_terms, terms_to_embed
from rag.errors import QuestionError, RetrievalUnavailableError, UnknownDocumentError
from rag.features import (
    QuestionSignals,
    SentenceSignals,
    question_row,
    sentence_rows,
    word_match,
)
from rag.retrieve import (
    BM25Retriever,
    DenseRetriever,
    HybridRetriever,
    Mode,
    Passage,
    Query,
    Retriever,
    answer_mode,
)
from rag.scorer import BM25_KEY, Scorer, read_scorer, scorer_key, scorer_path

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_WORD_SPAN = re.compile(r"(?:[A-Za-z]\.){2,}|[\w’'-]+")
# The answer types a sentence either holds or lacks (a who, a how much, a when).
TYPED = frozenset({AnswerType.PERSON, AnswerType.QUANTITY, AnswerType.DATE})


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
    confidence: float | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """What was measured about one question before the scorer decides (see `Pipeline.evidence`)."""

    question: str
    mode: Mode
    passages: list[Passage]
    candidates: list[Candidate]
    rows: np.ndarray
    word_matches: list[np.ndarray | None]
    kind: AnswerType | None
    coverage: Coverage
    followup: bool
    absent: tuple[str | None, ...]  # per candidate: a person the question names it lacks
    names: frozenset[str]  # the article's personal names (`known_names`)


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


def _content_word_vectors(question: str, tokens: TokenVectors) -> np.ndarray:
    """One unit vector per content word of the question: the mean of its tokens' vectors."""
    rows = []
    for match in _WORD_SPAN.finditer(question):
        if not key_terms(match.group()):
            continue
        inside = (tokens.spans[:, 0] < match.end()) & (tokens.spans[:, 1] > match.start())
        if inside.any():
            vector = tokens.vectors[inside].mean(axis=0)
            rows.append(vector / max(float(np.linalg.norm(vector)), 1e-9))
    return np.asarray(rows, dtype=np.float32).reshape(-1, tokens.vectors.shape[1])


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
        scorers: dict[str, Scorer] | None = None,
        keyword: Retriever | None = None,
    ) -> None:
        self.index = index
        self.retrieval = retrieval or RetrievalConfig()
        self.answering = answering or AnswerConfig()
        self.default_mode = default_mode
        self.max_question_chars = max_question_chars
        # The keyword side: BM25 in memory, unless the archive's database ranks it.
        self._bm25 = keyword or BM25Retriever(index)
        self._dense: Retriever | None = None
        self._hybrid: Retriever | None = None
        self._embedder: Embedder | None = None
        self._vectors = _LRU(cache_size)
        self._word_vectors = _LRU(cache_size)
        self._scorers: dict[str, Scorer] = dict(scorers or {})
        self._doc_sentences = Counter(s.doc_id for s in index.sentences)
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
        return answer_mode(requested or self.default_mode, self.dense_ready)

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

    def _encode(self, texts: list[str]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Each text's vector and, when the index has token vectors, its content words'
        vectors (from the same model run); cached."""
        assert self._embedder is not None
        found: dict[str, np.ndarray] = {}
        words_found: dict[str, np.ndarray] = {}
        with_tokens = self.index.has_token_vectors
        todo = []
        for text in texts:
            cached = self._vectors.get(text)
            cached_words = self._word_vectors.get(text) if with_tokens else None
            if cached is None or (with_tokens and cached_words is None):
                todo.append(text)
            else:
                found[text] = cached  # type: ignore[assignment]
                if cached_words is not None:
                    words_found[text] = cached_words  # type: ignore[assignment]
        for start in range(0, len(todo), 64):
            batch = todo[start : start + 64]
            if with_tokens:
                vectors, tokens = self._embedder.encode_with_tokens(batch)
            else:
                vectors, tokens = self._embedder.encode(batch), [None] * len(batch)
            for text, vector, token in zip(batch, vectors, tokens, strict=True):
                self._vectors.put(text, vector)
                found[text] = vector
                if token is not None:
                    words_found[text] = _content_word_vectors(text, token)
                    self._word_vectors.put(text, words_found[text])
        return found, words_found

    def uses_only_article_words(self, question: str, doc_id: str | None = None) -> bool:
        """Whether every key term of the question occurs in the article (or a form of it):
        the unanswerable questions hardest to tell apart, since only the missing answer does."""
        vocabulary, _ = self._document_context(doc_id)
        return all(vocabulary.literal(t.word) for t in key_terms(question))

    def warm(self, questions: list[str], doc_id: str | None = None) -> None:
        """Encode many questions in batches before asking them one by one (eval, training):
        the same vectors `ask` would compute, far faster than one encoding per question."""
        if self._embedder is None:
            return
        vocabulary, _ = self._document_context(doc_id)
        texts = []
        cleaned = [clean_question(q, self.max_question_chars) for q in questions]
        for text in cleaned:
            texts += [text, *terms_to_embed(text, vocabulary)]
        self._encode(list(dict.fromkeys(texts)))

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
        word_vectors: np.ndarray | None,
        kind: AnswerType | None,
        names: frozenset[str],
    ) -> tuple[list[Candidate], list[SentenceSignals]]:
        """Every sentence of the retrieved passages, with the evidence for choosing it."""
        if not passages:
            return [], []
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
        signals = []
        for row, similarity in zip(rows, dense, strict=True):
            sentence = self.index.sentences[row]
            highlight, strength = _highlight(sentence.text, kind, names, question_words)
            key = (sentence.doc_id, sentence.id)
            candidate = Candidate(
                sentence=sentence,
                dense=float(similarity),
                lexical=self._lexical(query_tokens, row),
                anchored=self._anchored(anchors, row),
                passage=weight[row],
                context=context[row] if vector is not None else 0.0,
                type_match=strength,
                highlight=highlight,
                repeated=key in followup.cited,
                adjacent=key not in followup.cited
                and any(
                    d == sentence.doc_id and abs(i - sentence.id) <= 2 for d, i in followup.cited
                ),
            )
            candidates.append(candidate)
            matches = (
                word_match(word_vectors, self.index.sentence_token_vectors(row).vectors)
                if word_vectors is not None and len(word_vectors)
                else None
            )
            count = self._doc_sentences[sentence.doc_id]
            signals.append(
                SentenceSignals(
                    dense=candidate.dense,
                    context=candidate.context,
                    passage=candidate.passage,
                    lexical=candidate.lexical,
                    anchored=candidate.anchored,
                    type_asked=kind in TYPED,
                    type_match=candidate.type_match,
                    word_matches=matches,
                    position=sentence.id / max(count - 1, 1),
                    length=len(normalize(sentence.text)),  # as read: no invisible characters
                    repeated=candidate.repeated,
                    adjacent=candidate.adjacent,
                )
            )
        return candidates, signals

    def evidence(
        self,
        question: str,
        turns: list[Turn] | None = None,
        doc_id: str | None = None,
        mode: Mode | None = None,
    ) -> Evidence:
        """Everything measured about a question before the scorer decides: the retrieved
        passages, every candidate sentence and its feature row (what `footnote train` learns from)."""
        text = clean_question(question, self.max_question_chars)
        if doc_id is not None and doc_id not in self._doc_ids:
            known = ", ".join(sorted(self._doc_ids)[:5])
            raise UnknownDocumentError(
                f"no article with id {doc_id!r} is indexed; known ids: {known}"
            )
        used = self.effective_mode(mode)
        vocabulary, names = self._document_context(doc_id)
        followup = contextualize(text, turns or [], names)
        vector = None
        word_vectors = None
        term_vectors: dict[str, np.ndarray] | None = None
        if used is not Mode.BM25:
            missing = terms_to_embed(followup.question, vocabulary)
            encoded, encoded_words = self._encode(
                list(dict.fromkeys([followup.context, followup.question, *missing]))
            )
            vector = encoded[followup.context]
            term_vectors = {w: encoded[w] for w in missing}
            word_vectors = encoded_words.get(followup.question)
        query = Query(followup.context, tokenize(followup.context), vector, doc_id)
        retriever = {Mode.BM25: self._bm25, Mode.DENSE: self._dense, Mode.HYBRID: self._hybrid}[
            used
        ]
        assert retriever is not None
        passages = retriever.retrieve(query, self.retrieval.top_k)
        kind = question_type(followup.question)
        candidates, signals = self._candidates(
            passages, followup, vector, word_vectors, kind, names
        )
        coverage = check_coverage(
            followup.question, vocabulary, term_vectors, self.answering.synonym_threshold
        )
        # Only for what-did-X-say questions: elsewhere a person is often a pronoun in the answer.
        absent = tuple(
            self._absent_person(followup.question, names, c) if kind is AnswerType.QUOTE else None
            for c in candidates
        )
        return Evidence(
            question=followup.question,
            mode=used,
            passages=passages,
            candidates=candidates,
            rows=sentence_rows(signals),
            word_matches=[s.word_matches for s in signals],
            kind=kind,
            coverage=coverage,
            followup=followup.question != text or followup.context != text,
            absent=absent,
            names=names,
        )

    @staticmethod
    def question_features(evidence: Evidence, logits: np.ndarray) -> tuple[np.ndarray, str | None]:
        """The question's feature row given the sentence logits, and the person a
        what-did-X-say question names whom its best sentence does not involve."""
        absent = evidence.absent[int(np.argmax(logits))] if len(logits) else None
        coverage = evidence.coverage
        signals = QuestionSignals(
            missing_names=len(coverage.missing_names),
            missing_focus=coverage.missing_focus is not None,
            missing_words=len(coverage.missing) - len(coverage.missing_names),
            absent_person=absent is not None,
            type_asked=evidence.kind in TYPED,
            followup=evidence.followup,
        )
        return question_row(logits, evidence.rows, evidence.word_matches, signals), absent

    def scorer_for(self, mode: Mode) -> Scorer:
        """The learned scorer for answers in `mode` (BM25's own when no vectors are read)."""
        key = BM25_KEY if mode is Mode.BM25 else scorer_key(self.index.model_name)
        with self._per_doc_lock:
            if key not in self._scorers:
                self._scorers[key] = read_scorer(scorer_path(key))
            return self._scorers[key]

    def ask(
        self,
        question: str,
        turns: list[Turn] | None = None,
        doc_id: str | None = None,
        mode: Mode | None = None,
    ) -> Result:
        """Answer one question, in the context of earlier `turns` when given."""
        text = clean_question(question, self.max_question_chars)
        used = self.effective_mode(mode)
        key = (text, doc_id, used, tuple(turns or ()))
        cached = self._answers.get(key)
        if cached is not None:
            return cached  # type: ignore[return-value]
        evidence = self.evidence(text, turns, doc_id, used)
        scorer = self.scorer_for(evidence.mode)
        logits = scorer.sentence_logits(evidence.rows)
        row, absent = self.question_features(evidence, logits)
        confidence = scorer.confidence(row)
        probabilities = 1.0 / (1.0 + np.exp(-logits))
        order = sorted(
            range(len(evidence.candidates)),
            key=lambda i: (-logits[i], evidence.candidates[i].sentence.id),
        )
        ranked = [(evidence.candidates[i], float(probabilities[i])) for i in order]
        # A question naming what the article never mentions, or asking for a figure, a kind of
        # figure (miles, a sum of money) or a name that the sentence it would be answered with
        # does not give, cannot be answered from it, whatever the scores: the scorer weighs
        # these signs, and they are also a floor. (Not for "when" or "who": "in times of
        # crisis" answers a when, "immigration agents" a who.) The figure sentences are ranked
        # up already (`type_match`), so a top one without a figure means none near has one.
        top = ranked[0][0].sentence.text if ranked else None
        measure = unmet_measure(evidence.question, top) if top else None
        thing = unnamed(evidence.question, top, evidence.names) if top else None
        certain_no = bool(
            evidence.coverage.missing_names
            or evidence.coverage.missing_focus
            or evidence.coverage.missing_role
            or (evidence.kind is AnswerType.QUANTITY and ranked and ranked[0][0].type_match == 0)
            or measure is not None
            or thing is not None
        )
        if ranked and confidence >= scorer.abstain_below and not certain_no:
            typed = evidence.kind in TYPED and ranked[0][0].type_match > 0
            chosen = select(ranked, scorer.citation_threshold(typed), self.answering)
            # The first citation's score is the calibrated chance that it holds the answer.
            chosen[0] = (chosen[0][0], confidence)
            answer = compose(chosen, used.value)
            reason = None
        else:
            reason = abstention_reason(
                ranked,
                evidence.coverage,
                evidence.kind,
                used is not Mode.BM25,
                absent,
                unmet_measure=measure,
                unnamed=thing,
            )
            related = ranked[: self.answering.related_count]
            if related:
                related[0] = (related[0][0], confidence)
            answer = abstain(related, reason, used.value)
        result = Result(
            answer,
            evidence.passages,
            evidence.question,
            ranked,
            evidence.coverage,
            reason,
            confidence,
        )
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
            # Resolved ("he" → "Scott Bessent"), so that a later "he" still has its person.
            turns.append(Turn(result.question, result.answer))
        return turns
