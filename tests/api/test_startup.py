"""Start-up: BM25 answers while the model loads, hybrid after; a stale index is built first."""

from __future__ import annotations

import shutil
import threading

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api import startup
from api.app import create_app
from footnote.settings import Settings
from tests.api.conftest import QUESTION
from tests.conftest import SEEDS

pytestmark = pytest.mark.model


def test_answers_from_bm25_until_the_model_is_attached(settings, embedder, monkeypatch):
    release = threading.Event()

    def slow_model(_settings):
        release.wait(30)
        return embedder

    monkeypatch.setattr(startup, "load_embedder", slow_model)
    app = create_app(settings)
    with TestClient(app) as client:
        ready = client.get("/readyz").json()
        assert (ready["retrieval"], ready["model"]) == ("bm25", "loading")
        assert client.post("/chat", json={"question": QUESTION}).json()["retrieval"] == "bm25"
        release.set()
        assert app.state.model_loader.wait(30) is startup.ModelState.READY
        ready = client.get("/readyz").json()
        assert (ready["retrieval"], ready["model"]) == ("hybrid", "ready")
        assert client.post("/chat", json={"question": QUESTION}).json()["retrieval"] == "hybrid"


def test_a_model_that_fails_to_load_leaves_bm25_serving(settings, monkeypatch):
    monkeypatch.setattr(startup, "load_embedder", lambda _settings: None)
    app = create_app(settings)
    with TestClient(app) as client:
        assert app.state.model_loader.wait(30) is startup.ModelState.UNAVAILABLE
        ready = client.get("/readyz").json()
        assert (ready["status"], ready["retrieval"], ready["model"]) == (
            "ready",
            "bm25",
            "unavailable",
        )


def test_a_missing_index_is_built_with_the_model_before_serving(
    settings, embedder, monkeypatch, tmp_path
):
    monkeypatch.setattr(startup, "load_embedder", lambda _settings: embedder)
    article = tmp_path / "harbour.txt"
    article.write_text(
        "Harbour Reopens\n\nThe harbour reopened on Monday. Ferries run every hour.\n", "utf-8"
    )
    fresh = settings.model_copy(update={"index_dir": tmp_path / "index", "sources": [article]})
    assert not startup.index_servable_without_model(fresh)
    with TestClient(create_app(fresh)) as client:
        ready = client.get("/readyz").json()
        assert (ready["retrieval"], ready["model"]) == ("hybrid", "ready")
        answer = client.post("/chat", json={"question": "When did the harbour reopen?"}).json()
        assert answer["retrieval"] == "hybrid"
        assert answer["citations"][0]["doc_id"] == "harbour"
    assert startup.index_servable_without_model(fresh)


def test_a_changed_source_makes_the_index_stale(settings, tmp_path):
    assert startup.index_servable_without_model(settings)
    sources = tmp_path / "seeds"
    shutil.copytree(SEEDS, sources)
    article = next(sources.glob("*.txt"))
    article.write_text(article.read_text(encoding="utf-8") + "\nOne more sentence.\n", "utf-8")
    assert not startup.index_servable_without_model(
        settings.model_copy(update={"sources": [sources]})
    )


def test_publishing_before_the_archive_is_loaded_says_the_service_is_not_ready(settings, pipeline):
    # An app around a fixed pipeline has no live archive to publish into (as a worker that
    # has not finished starting): 503 not_ready, the code every not-yet-loaded route gives.
    token = "a-token"
    app = create_app(settings.model_copy(update={"publish_token": SecretStr(token)}), pipeline)
    with TestClient(app) as client:
        response = client.put(
            "/documents/harbour",
            json={"headline": "Harbour", "text": "The harbour reopened on Monday."},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "not_ready"
    assert "still loading" in response.json()["error"]["message"]


def test_articles_gone_since_the_build_are_reported_once_at_start_up(
    settings, embedder, monkeypatch, tmp_path, caplog
):
    monkeypatch.setattr(startup, "load_embedder", lambda _settings: embedder)
    article = tmp_path / "harbour.txt"
    article.write_text(
        "Harbour Reopens\n\nThe harbour reopened on Monday. Ferries run every hour.\n", "utf-8"
    )
    built = settings.model_copy(update={"index_dir": tmp_path / "index", "sources": [article]})
    with TestClient(create_app(built)):
        pass
    article.unlink()
    # Without FOOTNOTE_SOURCES, as a restart reads the index's own record of its articles.
    restarted = Settings(index_dir=tmp_path / "index")
    caplog.set_level("WARNING", logger="footnote.runtime")
    with TestClient(create_app(restarted)) as client:
        answer = client.post("/chat", json={"question": "When did the harbour reopen?"}).json()
    assert "Monday" in answer["answer"]
    gone = [r for r in caplog.records if "are gone" in r.getMessage()]
    assert len(gone) == 1, [r.getMessage() for r in gone]
