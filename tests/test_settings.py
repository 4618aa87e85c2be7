"""Settings: FOOTNOTE_* parsing and validation, and a README that documents every one."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from footnote.settings import Settings
from index.store import BuildConfig
from rag.retrieve import Mode
from tests.conftest import ROOT


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """No FOOTNOTE_* variable of the calling shell leaks into these tests."""
    for name in list(os.environ):
        if name.startswith("FOOTNOTE_"):
            monkeypatch.delenv(name)


def test_defaults():
    settings = Settings()
    assert settings.sources == [Path("seeds")]
    assert settings.retrieval is Mode.HYBRID
    assert settings.allowed_origins == []
    assert settings.build_config() == BuildConfig(3, 1, BuildConfig().splitter_version)


def test_environment_variables_are_read(monkeypatch):
    monkeypatch.setenv("FOOTNOTE_SOURCES", "seeds/a.txt, archive/ ,,other.md")
    monkeypatch.setenv("FOOTNOTE_ALLOWED_ORIGINS", "https://news.example,https://www.news.example")
    monkeypatch.setenv("FOOTNOTE_INDEX_DIR", "/srv/footnote/index")
    monkeypatch.setenv("FOOTNOTE_RETRIEVAL", "bm25")
    monkeypatch.setenv("FOOTNOTE_TOP_K", "9")
    monkeypatch.setenv("FOOTNOTE_RRF_K", "10.5")
    monkeypatch.setenv("FOOTNOTE_THREADS", "1")
    monkeypatch.setenv("FOOTNOTE_LOG_QUESTIONS", "true")
    monkeypatch.setenv("FOOTNOTE_CHUNK_SIZE", "4")
    monkeypatch.setenv("FOOTNOTE_CHUNK_OVERLAP", "2")
    settings = Settings()
    assert settings.sources == [Path("seeds/a.txt"), Path("archive"), Path("other.md")]
    assert settings.allowed_origins == ["https://news.example", "https://www.news.example"]
    assert settings.index_dir == Path("/srv/footnote/index")
    assert settings.retrieval is Mode.BM25
    assert (settings.top_k, settings.rrf_k, settings.threads) == (9, 10.5, 1)
    assert settings.log_questions is True
    assert settings.build_config() == BuildConfig(4, 2, BuildConfig().splitter_version)
    assert settings.retrieval_config().top_k == 9
    assert settings.retrieval_config().rrf_k == 10.5


def test_an_empty_list_variable_is_an_empty_list(monkeypatch):
    monkeypatch.setenv("FOOTNOTE_ALLOWED_ORIGINS", "")
    assert Settings().allowed_origins == []


def test_keyword_arguments_override_the_environment(monkeypatch):
    monkeypatch.setenv("FOOTNOTE_RETRIEVAL", "bm25")
    assert Settings(retrieval=Mode.DENSE).retrieval is Mode.DENSE


def test_settings_are_frozen():
    with pytest.raises(ValidationError):
        Settings().top_k = 3


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FOOTNOTE_TOP_K", "0"),
        ("FOOTNOTE_TOP_K", "many"),
        ("FOOTNOTE_RETRIEVAL", "semantic"),
        ("FOOTNOTE_EMBEDDER", "tensorflow"),
        ("FOOTNOTE_PORT", "70000"),
        ("FOOTNOTE_RRF_K", "0"),
        ("FOOTNOTE_CHUNK_SIZE", "0"),
        ("FOOTNOTE_CHUNK_OVERLAP", "-1"),
        ("FOOTNOTE_CHUNK_OVERLAP", "3"),  # not below the default chunk size
        ("FOOTNOTE_MAX_BODY_BYTES", "10"),
        ("FOOTNOTE_CONVERSATION_TTL_SECONDS", "0"),
        ("FOOTNOTE_LOG_QUESTIONS", "perhaps"),
    ],
)
def test_bad_values_are_refused(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as caught:
        Settings()
    field = name.removeprefix("FOOTNOTE_").lower()
    assert field in str(caught.value) or name in str(caught.value)


# -- documentation ---------------------------------------------------------------------------


def shown_default(value: object) -> str:
    """A default as the README's table writes it."""
    if value is None:
        return "(unset)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(empty)"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def documented_settings() -> dict[str, tuple[str, str]]:
    """The README's "## Settings" table: variable -> (default, description)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Settings\n(.*?)(?=^## |\Z)", readme, re.M | re.S)
    assert match, "README.md has no '## Settings' section"
    rows = re.findall(
        r"^\| `(FOOTNOTE_[A-Z0-9_]+)` \| `([^`]*)` \| (.*?) \|$", match.group(1), re.M
    )
    return {name: (default, description) for name, default, description in rows}


def test_every_setting_is_documented_in_the_readme():
    documented = documented_settings()
    expected = {f"FOOTNOTE_{name.upper()}": field for name, field in Settings.model_fields.items()}
    missing = sorted(set(expected) - set(documented))
    assert not missing, f"add these to the Settings table of README.md: {missing}"
    stale = sorted(set(documented) - set(expected))
    assert not stale, f"README.md documents settings that no longer exist: {stale}"
    for name, field in expected.items():
        default, description = documented[name]
        assert description == field.description, f"{name}: description differs from the Field"
        assert default == shown_default(field.default), f"{name}: default differs"
