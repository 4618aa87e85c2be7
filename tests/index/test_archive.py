"""The archive's parts with the real model and FAISS: segments, assembling, the FileStore,
the live archive's revisions, incremental builds and a kill -9 in the middle of a commit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

from footnote.live import UPDATED_NOTICE, LiveArchive
from footnote.runtime import pipeline_factory
from footnote.settings import Settings
from index.archive import ArchiveMeta, ArchiveStore
from index.assemble import assemble
from index.build import build_and_save, build_index
from index.documents import load_document, parse_document
from index.errors import (
    ArchiveMismatchError,
    ArticleNotFoundError,
    IndexCorruptError,
    RevisionGoneError,
)
from index.filestore import FileStore
from index.progress import Progress
from index.publish import article_document, build_segments, publish, remove
from index.segment import Segment, meta_for, split_index
from index.store import BuildConfig
from tests.conftest import ARTICLE, ROOT

pytestmark = pytest.mark.model

FERRY = "Harbour Ferry Adds a Night Crossing\n\nThe ferry adds a night crossing on Fridays. It carries 200 passengers.\n\nTickets\n\nTickets go on sale in May.\n"


@pytest.fixture(scope="module")
def two_articles(embedder):
    documents = [load_document(ARTICLE), parse_document("ferry", FERRY)]
    stages = Progress.quiet().stages("t", 5)
    return build_index(documents, embedder, BuildConfig(), stages)


def test_segments_assemble_back_into_the_same_index(two_articles):
    segments = [Segment.from_bytes(s.to_bytes()) for s in split_index(two_articles)]
    again = assemble(segments)
    assert again.sentences == two_articles.sentences and again.chunks == two_articles.chunks
    assert again.vocabulary == two_articles.vocabulary
    for name in ("chunk_vectors", "sentence_vectors", "vocabulary_vectors", "token_vectors"):
        assert np.array_equal(np.asarray(getattr(again, name)), getattr(two_articles, name)), name
    # Token pointers of the second article are shifted by the first one's tokens.
    assert np.array_equal(again.token_offsets, two_articles.token_offsets)
    last = len(again.sentences) - 1
    assert np.array_equal(
        again.sentence_token_vectors(last).spans, two_articles.sentence_token_vectors(last).spans
    )
    assert again.faiss_index.ntotal == len(again.chunks)


def _store(tmp_path: Path, ttl: float = 3600.0) -> FileStore:
    store = FileStore(tmp_path / "index", ttl_seconds=ttl)
    assert isinstance(store, ArchiveStore)
    return store


def test_filestore_keeps_revisions_checks_checksums_and_refuses_bad_commits(
    tmp_path, two_articles, embedder
):
    store = _store(tmp_path)
    segments = split_index(two_articles)
    meta = segments[0].meta
    state = store.commit(segments, [], meta)
    assert state.generation == 1 and set(state.articles) == {"trump-asia-tour-south-korea", "ferry"}
    assert store.commit(segments, [], meta).generation == 1  # the same texts: no change
    corrected = article_document("ferry", "Harbour Ferry", "It carries 250 passengers.")
    publish(store, corrected, embedder, BuildConfig())
    kept = store.revisions("ferry")
    assert [r.revision for r in kept] == [corrected.sha256, segments[1].revision]
    assert kept[0].replaced_at is None and kept[1].replaced_at is not None
    assert store.read_segment("ferry", segments[1].revision).document.text == FERRY
    with pytest.raises(ArticleNotFoundError):
        store.commit([], ["never"], meta)
    other = ArchiveMeta("another-model", 8, meta.settings)
    with pytest.raises(ArchiveMismatchError):
        store.commit([], [], other)
    assert store.generation() == 2
    path = store.root / "segments" / "ferry" / f"{corrected.sha256}.npz"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match="truncated or altered"):
        store.read_segment("ferry", corrected.sha256)
    remove(store, "ferry")
    with pytest.raises(ArticleNotFoundError):
        store.revisions("ferry")
    assert not (store.root / "segments" / "ferry").exists()


def test_live_archive_answers_the_pages_revision_then_says_the_story_changed(tmp_path, embedder):
    settings = Settings(index_dir=tmp_path / "index")
    store = _store(tmp_path, ttl=3600.0)
    first = article_document("ferry", "Harbour Ferry", "The ferry carries 200 passengers.")
    publish(store, first, embedder, BuildConfig())
    live = LiveArchive(store, pipeline_factory(settings), reload_seconds=60)
    live.attach_embedder(embedder)
    second = article_document("ferry", "Harbour Ferry", "The ferry carries 250 passengers.")
    publish(store, second, embedder, BuildConfig())
    question = "How many passengers does the ferry carry?"
    current = live.scoped("ferry")  # scoped questions see a publish at once
    assert current.revision == second.sha256 and current.notice is None
    assert "250" in current.pipeline.ask(question, doc_id="ferry").answer.answer
    old = live.scoped("ferry", first.sha256)
    assert old.revision == first.sha256 and "200" in old.pipeline.ask(question).answer.answer
    short = LiveArchive(FileStore(tmp_path / "index", ttl_seconds=0.0), pipeline_factory(settings))
    gone = short.scoped("ferry", first.sha256)
    assert gone.revision == second.sha256 and gone.notice == UPDATED_NOTICE
    with pytest.raises(RevisionGoneError):
        short.store.read_segment("ferry", first.sha256)


def test_a_scoped_question_is_answered_while_the_whole_archive_is_rebuilt(tmp_path, embedder):
    settings = Settings(index_dir=tmp_path / "index")
    store = _store(tmp_path)
    texts = (
        ("ferry", "The ferry carries 200 passengers."),
        ("bridge", "The bridge closes in May."),
    )
    for doc_id, text in texts:
        publish(store, article_document(doc_id, doc_id.title(), text), embedder, BuildConfig())
    make = pipeline_factory(settings)
    building, release = threading.Event(), threading.Event()

    def slow_whole(index, model):
        if len(index.documents) > 1:  # the unscoped pipeline: hold it mid-build
            building.set()
            release.wait(30)
        return make(index, model)

    live = LiveArchive(store, slow_whole, reload_seconds=60)
    live.attach_embedder(embedder)
    whole = threading.Thread(target=live.whole)
    whole.start()
    try:
        assert building.wait(30)
        answered: list[str] = []
        scoped = threading.Thread(
            target=lambda: answered.append(
                live.scoped("ferry").pipeline.ask("How many passengers?").answer.answer
            )
        )
        scoped.start()
        scoped.join(30)
        assert answered and "200" in answered[0], "the scoped question waited on the rebuild"
    finally:
        release.set()
        whole.join(30)
    assert live.whole().dense_ready  # built while the model was attached, and kept
    assert live.scoped("ferry").pipeline.dense_ready


def test_the_scoped_cache_forgets_the_article_asked_about_least_recently(tmp_path, embedder):
    settings = Settings(index_dir=tmp_path / "index")
    store = _store(tmp_path)
    for doc_id in ("ferry", "bridge", "market"):
        publish(
            store, article_document(doc_id, doc_id, f"The {doc_id} opens."), embedder, BuildConfig()
        )
    make, built = pipeline_factory(settings), []

    def counting(index, model):
        built.append(index.documents[0].id)
        return make(index, model)

    live = LiveArchive(store, counting, reload_seconds=60, cache_size=2)
    for doc_id in ("ferry", "bridge", "ferry", "market", "ferry", "bridge"):
        live.scoped(doc_id)
    # "ferry", asked again before "market" came, stays; "bridge" was the one to go.
    assert built == ["ferry", "bridge", "market", "bridge"]


def test_a_pipeline_built_while_the_model_attaches_gets_the_model(tmp_path, embedder):
    settings = Settings(index_dir=tmp_path / "index")
    store = _store(tmp_path)
    publish(store, article_document("ferry", "Ferry", "It carries 200."), embedder, BuildConfig())
    make = pipeline_factory(settings)
    live = LiveArchive(
        store, lambda index, model: _attach_during(live, embedder, make, index, model)
    )
    assert live.scoped("ferry").pipeline.dense_ready


def _attach_during(live, embedder, make, index, model):
    pipeline = make(index, model)  # built without the model (none was attached) ...
    live.attach_embedder(embedder)  # ... which arrives before the pipeline is kept
    return pipeline


class CountingEmbedder:
    """The real model, counting the texts it encodes (to see what a build re-embeds)."""

    def __init__(self, inner) -> None:
        self.inner, self.texts = inner, 0
        self.name, self.dimension = inner.name, inner.dimension

    def encode(self, texts):
        self.texts += len(texts)
        return self.inner.encode(texts)

    def encode_with_tokens(self, texts):
        self.texts += len(texts)
        return self.inner.encode_with_tokens(texts)


def test_a_rebuild_embeds_only_the_changed_article(tmp_path, embedder):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "ferry.txt").write_text(FERRY, encoding="utf-8")
    (folder / "seed.txt").write_text(ARTICLE.read_text(encoding="utf-8"), encoding="utf-8")
    counting = CountingEmbedder(embedder)
    full = build_and_save([folder], tmp_path / "index", counting, BuildConfig())
    everything = counting.texts
    (folder / "ferry.txt").write_text(FERRY.replace("200", "300"), encoding="utf-8")
    counting.texts = 0
    again = build_and_save([folder], tmp_path / "index", counting, BuildConfig())
    assert 0 < counting.texts < everything / 5, (counting.texts, everything)
    fresh = build_index(
        [load_document(folder / "ferry.txt"), load_document(folder / "seed.txt")],
        embedder,
        BuildConfig(),
        Progress.quiet().stages("t", 5),
    )
    assert again.sentences == fresh.sentences and again.vocabulary == fresh.vocabulary
    assert np.allclose(np.asarray(again.sentence_vectors), fresh.sentence_vectors, atol=1e-5)
    assert len(full.documents) == len(again.documents) == 2


KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    import index.filestore as filestore
    from index.documents import parse_document
    from index.publish import build_segments
    from index.store import BuildConfig
    real = filestore.os.replace
    def replace(src, dst):
        if str(dst).endswith("manifest.json"):
            os.kill(os.getpid(), signal.SIGKILL)  # the worst moment: all written, none swapped
        return real(src, dst)
    filestore.os.replace = replace
    store = filestore.FileStore(Path(sys.argv[1]))
    doc = parse_document("ferry", "Harbour Ferry\\n\\nThe ferry carries 999 passengers.\\n")
    store.commit(build_segments([doc], None, BuildConfig()), [], store.state().meta)
    """
)


def test_kill_9_in_the_middle_of_a_commit_leaves_the_previous_state(tmp_path):
    store = _store(tmp_path)
    first = parse_document("ferry", "Harbour Ferry\n\nThe ferry carries 200 passengers.\n")
    segments = build_segments([first], None, BuildConfig())
    state = store.commit(segments, [], meta_for(None, BuildConfig()))
    killed = subprocess.run(
        [sys.executable, "-c", KILLER, str(tmp_path / "index")],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        timeout=60,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    after = FileStore(tmp_path / "index")
    assert after.state() == state
    assert "200 passengers" in after.read_segment("ferry", first.sha256).document.text
    orphans = list((after.root / "segments" / "ferry").iterdir())
    assert len(orphans) == 2  # the killed commit's segment, listed by no manifest
    remove(after, "ferry")  # the next commit clears what the killed one left
    assert not (after.root / "segments" / "ferry").exists()


def test_a_change_of_settings_embeds_published_articles_again_and_loses_none(tmp_path, embedder):
    # An article published through the API has no file to rebuild it from: when the index
    # is rebuilt with other settings (or another model), it is embedded again from the
    # text the archive stored, never dropped.
    from index.errors import ArchiveError
    from index.publish import sync_index

    store = FileStore(tmp_path / "index")
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "seed.txt").write_text(ARTICLE.read_text(encoding="utf-8"), encoding="utf-8")
    first = build_and_save([folder], tmp_path / "index", embedder, BuildConfig())
    sync_index(store, first, [folder])
    publish(store, parse_document("ferry", FERRY), embedder, BuildConfig())
    other = BuildConfig(chunk_size=4)
    rebuilt = build_and_save([folder], tmp_path / "index", embedder, other)

    with pytest.raises(ArchiveError, match="footnote build"):
        sync_index(store, rebuilt, [folder])
    assert "ferry" in store.state().articles  # the refusal changed nothing

    report = sync_index(
        store, rebuilt, [folder], lambda docs: build_segments(docs, embedder, other)
    )
    state = store.state()
    assert set(state.articles) == {"ferry", first.documents[0].id}
    assert "ferry" in report.replaced and not report.removed
    assert report.unchanged == 0  # every article of the index was embedded anew
    ferry = store.read_segment("ferry", state.articles["ferry"].revision)
    assert ferry.meta == state.meta and ferry.document.text == parse_document("ferry", FERRY).text
