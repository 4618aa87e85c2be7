"""Issue 11.1: an index given with `--index` remembers its articles, wherever it is used from.

Real subprocesses of `footnote build | ask | serve`, BM25 only (FOOTNOTE_EMBEDDER=none):
which articles an index answers from does not depend on the model, and no model load
keeps these fast. Each would fail on the code before the fix: `ask --index` rebuilt the
index from seeds/ (inside the clone) or failed with "source seeds does not exist"
(elsewhere), and `serve --index` from elsewhere printed a traceback.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, free_port

BRIDGE = """Harbor Bridge Repair to Cost $41 Million

OAKPORT — The city will close the harbor bridge for six weeks from March, Mayor Ana Ruiz said.

The repair will cost $41 million, most of it paid by a state grant.
"""
QUESTION = "How much will the bridge repair cost?"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOOTNOTE_")}
    env.update(HF_HUB_OFFLINE="1", FOOTNOTE_EMBEDDER="none", PYTHONPATH=str(ROOT))
    return env


def footnote(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "footnote.cli", *args],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def bridge_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """An index built, from a folder of its own, from a relative path to one article."""
    home = tmp_path_factory.mktemp("user")
    (home / "articles").mkdir()
    (home / "articles" / "harbor-bridge.txt").write_text(BRIDGE, encoding="utf-8")
    built = footnote(
        ["build", "--source", "articles/harbor-bridge.txt", "--index", "bridge-index"], home
    )
    assert built.returncode == 0, built.stderr
    return home, home / "bridge-index"


def test_ask_with_index_alone_answers_from_that_index_inside_the_clone(bridge_index):
    _, index = bridge_index
    before = sorted(p.name for p in (index / "builds").iterdir())
    asked = footnote(["ask", "--index", str(index), QUESTION], ROOT)
    assert asked.returncode == 0, asked.stderr
    assert "$41 million" in asked.stdout and "harbor-bridge" in asked.stdout
    assert "Trump" not in asked.stdout
    assert sorted(p.name for p in (index / "builds").iterdir()) == before, "it was rebuilt"


def test_ask_with_index_alone_works_from_another_folder(bridge_index, tmp_path):
    _, index = bridge_index
    asked = footnote(["ask", "--index", str(index), QUESTION], tmp_path)
    assert asked.returncode == 0, asked.stderr
    assert "$41 million" in asked.stdout


def test_a_changed_article_is_seen_and_a_source_flag_still_rebuilds(tmp_path):
    (tmp_path / "bridge.txt").write_text(BRIDGE, encoding="utf-8")
    index = tmp_path / "index"
    assert (
        footnote(["build", "--source", "bridge.txt", "--index", "index"], tmp_path).returncode == 0
    )
    (tmp_path / "bridge.txt").write_text(BRIDGE.replace("$41", "$45"), encoding="utf-8")
    asked = footnote(["ask", "--index", str(index), QUESTION], ROOT)
    assert "$45 million" in asked.stdout, asked.stderr  # its own article, re-read
    other = footnote(["ask", "--index", str(index), "--source", "seeds", "Who is Lee?"], ROOT)
    assert other.returncode == 0 and "harbor-bridge" not in other.stdout


def test_gone_articles_are_answered_as_built_with_a_message(tmp_path):
    (tmp_path / "bridge.txt").write_text(BRIDGE, encoding="utf-8")
    assert (
        footnote(["build", "--source", "bridge.txt", "--index", "index"], tmp_path).returncode == 0
    )
    (tmp_path / "bridge.txt").unlink()
    asked = footnote(["ask", "--index", str(tmp_path / "index"), QUESTION], ROOT)
    assert asked.returncode == 0, asked.stderr
    assert "$41 million" in asked.stdout
    assert "are gone" in asked.stderr and "--source" in asked.stderr
    assert "Traceback" not in asked.stderr


def test_serve_with_index_alone_from_another_folder_starts_without_traceback(
    bridge_index, tmp_path
):
    home, index = bridge_index
    moved = tmp_path / "moved-index"
    shutil.copytree(index, moved, symlinks=True)
    shutil.move(home / "articles", tmp_path / "gone")  # its article is no longer there
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "footnote.cli",
                "serve",
                "--index",
                str(moved),
                "--port",
                str(port),
            ],
            cwd=tmp_path,
            env=_env(),
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    try:
        ready = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and process.poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                if ready.status_code == 200:
                    break
            time.sleep(0.2)
        assert ready is not None and ready.status_code == 200, log.read_text()[-2000:]
        answer = httpx.post(
            f"http://127.0.0.1:{port}/chat",
            json={"question": QUESTION, "doc_id": "harbor-bridge"},
            timeout=30,
        ).json()
        assert "$41 million" in answer["answer"]
    finally:
        process.terminate()
        process.wait(timeout=15)
        shutil.move(tmp_path / "gone", home / "articles")
    text = log.read_text()
    assert "Traceback" not in text and "are gone" in text
