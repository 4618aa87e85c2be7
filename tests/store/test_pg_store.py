"""PostgresStore against the real server: what FileStore does, row for row, and atomic commits."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import psycopg
import pytest

from footnote.live import LiveArchive
from footnote.runtime import pipeline_factory
from footnote.settings import Settings
from index.documents import parse_document
from index.errors import ArticleNotFoundError, RevisionGoneError
from index.filestore import FileStore
from index.pg.store import PostgresStore
from index.publish import article_document, build_segments
from index.segment import ARRAY_FIELDS, split_index
from index.store import BuildConfig, load_index
from tests.conftest import ROOT, SEEDS

QUESTIONS = (
    "How much did Trump want South Korea to invest?",
    "Who is the president of South Korea?",
    "What did the article say about tariffs?",
    "What is the capital of France?",
)
SHORT = article_document(
    "harbor-bridge",
    "Harbor bridge repair to cost $41 million",
    "OAKPORT — The city will close the harbor bridge for eight weeks starting in March, "
    "Mayor Ana Ruiz said on Tuesday.\n\nThe repair will cost $41 million, paid by a state "
    "grant.\n\nTraffic\n\nDrivers will use the Elm Street crossing while the bridge is shut.",
)


@pytest.fixture(scope="module")
def segments(index_dir, embedder):
    """The seed article's segment sliced from the session's index (no model run) and a
    short second article embedded here."""
    seed = split_index(load_index(index_dir))
    return [*seed, *build_segments([SHORT], embedder, BuildConfig())]


@pytest.fixture
def store(database):
    pg = PostgresStore(database, ttl_seconds=3600, timeout_seconds=5)
    yield pg
    pg.close()


def _arrays_equal(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.shape == b.shape and np.array_equal(np.asarray(a, dtype=b.dtype), b)


def test_a_segment_comes_back_from_its_rows_exactly(store, segments):
    store.commit(segments, [], segments[0].meta)
    for segment in segments:
        back = store.read_segment(segment.doc_id, segment.revision)
        assert back.document == segment.document
        assert back.sentences == segment.sentences and back.chunks == segment.chunks
        assert back.sentence_tokens == segment.sentence_tokens
        assert back.vocabulary == segment.vocabulary
        for name in ARRAY_FIELDS:
            assert _arrays_equal(getattr(segment, name), getattr(back, name)), name


def test_an_article_with_windows_line_endings_comes_back(store, segments, embedder):
    # The revision is the hash of the text the document holds (its "\r\n" made "\n"), which
    # is what the store checks the rows it reads against.
    crlf = parse_document("crlf-article", "Ferry fares\r\n\r\nFares will be waived.\r\n")
    assert (
        crlf.sha256
        == parse_document("crlf-article", "Ferry fares\n\nFares will be waived.\n").sha256
    )
    store.commit(build_segments([crlf], embedder, BuildConfig()), [], segments[0].meta)
    assert store.read_segment(crlf.id, crlf.sha256).document.text == crlf.text


def test_same_answers_as_the_folder_store(store, segments, embedder, tmp_path):
    """Scoped questions (the widget's) get the same answers, byte for byte; archive-wide
    ones rank their keyword side with PostgreSQL's full-text search instead of BM25, and
    on these questions still cite the same first sentence."""
    folder = FileStore(tmp_path, ttl_seconds=3600)
    folder.commit(segments, [], segments[0].meta)
    store.commit(segments, [], segments[0].meta)
    settings = Settings(sources=[SEEDS], index_dir=tmp_path)
    scoped, whole = [], []
    for archive in (folder, store):
        live = LiveArchive(archive, pipeline_factory(settings, archive))
        live.attach_embedder(embedder)
        got = []
        for doc_id in ("trump-asia-tour-south-korea", "harbor-bridge"):
            pipeline = live.scoped(doc_id).pipeline
            got += [pipeline.ask(q, doc_id=doc_id).answer.to_dict() for q in QUESTIONS]
        scoped.append(got)
        whole.append([live.whole().ask(q).answer.to_dict() for q in QUESTIONS])
    assert scoped[0] == scoped[1]
    assert any(a["answered"] for a in scoped[1])
    database = whole[1]
    assert "$350 billion" in database[0]["answer"]
    first = [[(c["doc_id"], c["sentence_id"]) for c in a["citations"][:1]] for a in database]
    assert first == [
        [(c["doc_id"], c["sentence_id"]) for c in a["citations"][:1]] for a in whole[0]
    ]
    assert [a["answered"] for a in database] == [a["answered"] for a in whole[0]]


def test_keyword_search_ranks_current_chunks_by_full_text(store, segments):
    store.commit(segments, [], segments[0].meta)
    found = store.keyword_search(["oakport", "repair"], 5)
    assert found and found[0][0] == "harbor-bridge"
    assert store.keyword_search(["oakport"], 5, doc_id="trump-asia-tour-south-korea") == []
    assert store.keyword_search(["'; DROP TABLE chunks; --"], 5) == []  # not a word: no query


def test_revisions_replace_remove_like_the_protocol_says(store, segments, embedder):
    meta = segments[0].meta
    store.commit(segments, [], meta)
    first = store.state()
    assert first.generation == 1 and set(first.articles) == {s.doc_id for s in segments}
    assert store.commit(segments, [], meta).generation == 1  # the same text changes nothing
    corrected = article_document(SHORT.id, SHORT.title, SHORT.text.replace("$41", "$44", 1))
    store.commit(build_segments([corrected], embedder, BuildConfig()), [], meta)
    kept = store.revisions(SHORT.id)
    assert [r.revision for r in kept] == [corrected.sha256, SHORT.sha256]
    assert kept[0].replaced_at is None and kept[1].replaced_at is not None
    assert "$41" in store.read_segment(SHORT.id, SHORT.sha256).document.text
    with pytest.raises(ArticleNotFoundError):
        store.commit([], [SHORT.id, "never-published"], meta)
    assert SHORT.id in store.state().articles  # the failed commit took nothing down
    store.commit([], [SHORT.id], meta)
    with pytest.raises(ArticleNotFoundError):
        store.revisions(SHORT.id)
    with pytest.raises(ArticleNotFoundError):
        store.read_segment(SHORT.id, SHORT.sha256)
    with psycopg.connect(store.dsn) as conn:
        rows = conn.execute("SELECT count(*) FROM sentences WHERE doc_id = %s", (SHORT.id,))
        assert rows.fetchone() == (0,)  # every revision's rows went with it
    assert store.prune(now=10**12) == 0


def test_expired_revisions_are_pruned(store, segments, embedder):
    meta = segments[0].meta
    store.commit(segments[-1:], [], meta)
    corrected = article_document(SHORT.id, SHORT.title, SHORT.text + "\n\nA late line.")
    store.commit(build_segments([corrected], embedder, BuildConfig()), [], meta)
    assert store.prune(now=10**12) == 1
    with pytest.raises(RevisionGoneError):
        store.read_segment(SHORT.id, SHORT.sha256)
    assert store.read_segment(SHORT.id, corrected.sha256).revision == corrected.sha256


def test_a_writer_killed_mid_commit_leaves_no_half_article(store, segments):
    """A process writes every row of an article inside the commit's transaction, then is
    killed with SIGKILL before committing: the database holds none of it."""
    store.commit(segments[:1], [], segments[0].meta)
    script = textwrap.dedent(
        f"""
        import time
        from index.pg.rows import write_revision
        from index.pg.store import PostgresStore
        from index.publish import article_document, build_segments
        from index.store import BuildConfig
        doc = article_document("half-article", "Headline", "One sentence. Two sentences.")
        segment = build_segments([doc], None, BuildConfig())[0]
        store = PostgresStore({store.dsn!r})
        with store._connection() as conn, conn.transaction():
            conn.execute("SELECT 1 FROM archive WHERE id = 1 FOR UPDATE")
            write_revision(conn, segment, "x", time.time())
            conn.execute("INSERT INTO documents VALUES (%s, %s)", (doc.id, segment.revision))
            print("written", flush=True)
            time.sleep(120)
        """
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None and writer.stdout.readline().strip() == "written"
    writer.kill()
    writer.wait(10)
    state = store.state()
    assert set(state.articles) == {segments[0].doc_id} and state.generation == 1
    with psycopg.connect(store.dsn) as conn:
        for table in ("revisions", "sentences", "chunks"):
            count = conn.execute(
                f"SELECT count(*) FROM {table} WHERE doc_id = 'half-article'"
            ).fetchone()
            assert count == (0,), table
    # The lock the killed writer held is released: the next commit goes through.
    assert store.commit(segments[1:], [], segments[0].meta).generation == 2


def test_new_settings_embed_a_published_article_again_in_its_rows(store, segments, embedder):
    # As in the folder store: the same text under another model or settings is written
    # again, with the new vectors, in the same transaction as the rest of the rebuild.
    store.commit(segments, [], segments[0].meta)
    other = BuildConfig(chunk_size=4)
    again = build_segments([seg.document for seg in segments], embedder, other)
    state = store.commit(again, [], again[0].meta)
    assert state.meta == again[0].meta
    short = store.read_segment(SHORT.id, state.articles[SHORT.id].revision)
    assert short.meta == again[0].meta
    assert len(short.chunks) == len(again[1].chunks)
