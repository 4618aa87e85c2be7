"""`footnote build | ask` as a user runs them: real subprocesses, the real model, the real index.

Every process that loads the model costs seconds, so those few start together in one
module fixture (they only read the session's index) and each test checks one of them.
The ones that need no model (BM25, errors) run on their own.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from index.documents import load_document
from index.store import load_index
from tests.conftest import ANSWER_FIELDS, ARTICLE, ROOT

QUESTION = "How much does Trump want South Korea to invest in the US?"
EVIDENCE = "$350 billion"
TOO_LONG = "Why " * 200
TINY = """Harbour Ferry Adds a Night Crossing

The harbour ferry will add a night crossing to the island on Fridays. The operator said the new crossing would carry 200 passengers.

Tickets

Tickets go on sale in May.
"""


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


def environment(index_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOOTNOTE_")}
    env.update(
        HF_HUB_OFFLINE="1",
        FOOTNOTE_THREADS="1",  # a question is one short encoding; spare the shared cores
        FOOTNOTE_SOURCES="seeds",
        FOOTNOTE_INDEX_DIR=str(index_dir),
        **extra,
    )
    return env


def start(args: list[str], env: dict[str, str], stdin: str | None = None):
    process = subprocess.Popen(
        [sys.executable, "-m", "footnote.cli", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    return process, stdin


def finish(started, timeout: float = 180) -> Run:
    process, stdin = started
    stdout, stderr = process.communicate(stdin or "", timeout=timeout)
    return Run(process.returncode, stdout, stderr)


def run(args: list[str], env: dict[str, str], stdin: str | None = None) -> Run:
    return finish(start(args, env, stdin))


@dataclass(frozen=True)
class Runs:
    build: Run
    built_dir: Path
    ask: Run
    json: Run
    batch: Run
    build_ids: tuple[str, str]  # of the index the asks read, before and after them


@pytest.fixture(scope="module")
def runs(index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """The model-loading commands, run side by side once for the module, on a copy of the
    session's index (whatever they do to it stays out of the other tests)."""
    work = tmp_path_factory.mktemp("cli")
    copy = work / "index"
    shutil.copytree(index_dir, copy, symlinks=True)
    before = load_index(copy).manifest["build_id"]
    tiny = work / "harbour-ferry.txt"
    tiny.write_text(TINY, encoding="utf-8")
    env = environment(copy)
    build = start(["build", "--source", str(tiny)], environment(work / "built"))
    ask = start(["ask", QUESTION], env)
    as_json = start(["ask", "--json", QUESTION], env)
    batch = start(["ask", "--json"], env, stdin=f"{QUESTION}\n\n{TOO_LONG}\n")
    done = (finish(build), work / "built", finish(ask), finish(as_json), finish(batch))
    return Runs(*done, (before, load_index(copy).manifest["build_id"]))


def article_sentence(fragment: str):
    from index.sentences import split_sentences

    document = load_document(ARTICLE)
    return document, next(s for s in split_sentences(document) if fragment in s.text)


@pytest.mark.model
def test_build(runs):
    result = runs.build
    assert result.returncode == 0, result.stderr
    built = load_index(runs.built_dir)
    counts = built.manifest["counts"]
    assert built.has_vectors
    assert [d.id for d in built.documents] == ["harbour-ferry"]
    assert (
        f"1 article(s), {counts['sentences']} sentences, {counts['chunks']} chunks, with vectors"
        in result.stdout
    )
    assert counts["sentences"] == 3


@pytest.mark.model
def test_ask_reuses_an_index_that_fits(runs):
    before, after = runs.build_ids
    assert after == before, "`footnote ask` rebuilt an index built from the same sources"


@pytest.mark.model
def test_ask_prints_the_answer_and_its_cited_sentence(runs):
    result = runs.ask
    assert result.returncode == 0, result.stderr
    _, sentence = article_sentence(EVIDENCE)
    lines = result.stdout.splitlines()
    assert lines[0] == f"{sentence.text} [1]" or lines[0].startswith(f"{sentence.text} [1] ")
    assert "Sources (hybrid):" in lines
    assert f"  [1] {sentence.text}" in lines
    assert f"sentence {sentence.id}, characters {sentence.start}–{sentence.end}" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.model
def test_ask_json_prints_the_contract(runs):
    result = runs.json
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == ANSWER_FIELDS
    assert data["answered"] is True
    assert data["retrieval"] == "hybrid"
    document, sentence = article_sentence(EVIDENCE)
    assert data["revision"] == document.sha256  # the text the offsets point into
    first = data["citations"][0]
    assert first["doc_id"] == document.id
    assert (first["sentence_id"], first["start"], first["end"]) == (
        sentence.id,
        sentence.start,
        sentence.end,
    )
    for citation in data["citations"]:
        assert citation["text"] == document.text[citation["start"] : citation["end"]]
    start, end = first["highlight"]
    assert first["text"][start:end] == EVIDENCE


@pytest.mark.model
def test_batch_answers_every_line_once_with_its_question(runs):
    result = runs.batch
    assert result.returncode == 1, "a bad question makes the batch exit 1"
    lines = result.stdout.splitlines()
    assert len(lines) == 3, "one line per input line, blank ones included"
    answer, blank, error = (json.loads(line) for line in lines)
    assert answer["question"] == QUESTION
    contract = ["answer", "answered", "citations", "retrieval", "conversation_id", "revision"]
    assert list(answer) == [*contract, "question"]
    assert answer["answered"] is True
    assert EVIDENCE in answer["citations"][0]["text"]
    assert blank == {
        "error": {
            "code": "invalid_question",
            "message": "the question is empty; type a question about the article",
        },
        "question": "",
    }
    assert error["error"]["code"] == "invalid_question"
    assert "keep it under 500" in error["error"]["message"]
    assert error["question"] == TOO_LONG
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("as_json", [True, False])
def test_batch_output_carries_each_question_in_order(index_dir, as_json):
    questions = ["Who is Lee Jae Myung?", "   ", "What did Trump say about tariffs?", ""]
    args = ["ask", "--retrieval", "bm25", "--index", str(index_dir)] + (
        ["--json"] if as_json else []
    )
    env = environment(Path("/nonexistent"), FOOTNOTE_EMBEDDER="none")
    result = run(args, env, stdin="".join(q + "\n" for q in questions))
    assert result.returncode == 1, result.stderr
    if as_json:
        rows = [json.loads(line) for line in result.stdout.splitlines()]
        assert [row["question"] for row in rows] == questions
        assert ["error" in row for row in rows] == [False, True, False, True]
    else:
        asked = [line for line in result.stdout.splitlines() if line.startswith("Q: ")]
        assert asked == [f"Q: {q}" for q in questions]
        assert result.stdout.count("error: the question is empty") == 2


def test_ask_with_no_question_and_empty_stdin_says_how_to_use_it(tmp_path):
    result = run(["ask", "--json"], environment(tmp_path / "index", FOOTNOTE_EMBEDDER="none"))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("footnote ask: no question given.")
    assert 'footnote ask "' in result.stderr and "< questions.txt" in result.stderr
    assert not (tmp_path / "index").exists(), "nothing is built when nothing is asked"


def test_retrieval_bm25_flag(index_dir):
    result = run(
        ["ask", "--json", "--retrieval", "bm25", "--index", str(index_dir), QUESTION],
        {**environment(Path("/nonexistent/overridden-by---index"))},
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["retrieval"] == "bm25"
    assert data["answered"] is True
    # Which sentence BM25 alone picks is measured by `footnote eval --retrieval bm25`.
    assert data["citations"][0]["text"] in ARTICLE.read_text(encoding="utf-8")


@pytest.mark.parametrize("command", ["ask", "build"])
def test_a_missing_source_is_a_clear_error(tmp_path, command):
    args = [command, "--source", "nowhere/missing.txt"]
    args += ["--retrieval", "bm25", QUESTION] if command == "ask" else []
    # The model is not needed to find the source missing: keep the run fast.
    result = run(args, environment(tmp_path / "index", FOOTNOTE_EMBEDDER="none"))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "footnote: source nowhere/missing.txt does not exist; pass an article file or a folder "
        "of them"
    )
    assert not (tmp_path / "index").exists()


def test_a_bad_setting_is_a_clear_error(tmp_path):
    env = environment(tmp_path / "index", FOOTNOTE_TOP_K="zero", FOOTNOTE_RETRIEVAL="bm25")
    result = run(["ask", QUESTION], env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("footnote: invalid setting FOOTNOTE_TOP_K:")


# -- progress on a terminal, nothing on a pipe ---------------------------------------------


def on_terminal(args: list[str], env: dict[str, str], until: str | None = None) -> Run:
    """Run `footnote ARGS` with stderr on a pseudo-terminal of 100 columns, as a person at
    a terminal does; stdout stays a pipe. With `until`, stop the process once the
    terminal shows that text (a server)."""
    import fcntl
    import select
    import struct
    import termios
    import time

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "footnote.cli", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
    )
    os.close(slave)
    shown = b""
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the process closed the terminal
                    break
                if not chunk:
                    break
                shown += chunk
            if until and until.encode() in shown:
                process.terminate()
                break
            if process.poll() is not None and not ready:
                break
        if until and process.poll() is None:
            process.terminate()  # the text never came: stop the server, the test fails
        stdout, _ = process.communicate(timeout=30)
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
    return Run(process.returncode, stdout.decode(), shown.decode(errors="replace"))


def test_build_shows_counted_stages_on_a_terminal_only(tmp_path):
    article = tmp_path / "harbour-ferry.txt"
    article.write_text(TINY, encoding="utf-8")
    args = ["build", "--source", str(article)]
    shown = on_terminal(args, environment(tmp_path / "shown", FOOTNOTE_EMBEDDER="none"))
    assert shown.returncode == 0, shown.stderr
    assert f"building the index at {tmp_path / 'shown'} [1/2] splitting and tokenizing" in (
        shown.stderr
    )
    assert "[2/2] saving" in shown.stderr
    assert shown.stdout.startswith(f"built {tmp_path / 'shown'}: 1 article(s)")
    piped = run(args, environment(tmp_path / "piped", FOOTNOTE_EMBEDDER="none"))
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == "", "progress went to a stderr that is not a terminal"
    assert piped.stdout.startswith(f"built {tmp_path / 'piped'}: 1 article(s)")


def test_eval_shows_a_bar_on_a_terminal_only(index_dir, tmp_path):
    # The seed index holds one article: ask its question set.
    questions = ROOT / "eval" / "qa" / f"{ARTICLE.stem}.jsonl"
    args = ["eval", "--retrieval", "bm25", "--no-baselines", "--index", str(index_dir)]
    args += ["--qa", str(questions)]
    env = environment(Path("/nonexistent"), FOOTNOTE_EMBEDDER="none")
    shown = on_terminal([*args, "--out", str(tmp_path / "shown")], env)
    assert shown.returncode == 0, shown.stderr
    assert re.search(r"\S+: +\d+%\|.*\| *\d+/162 ", shown.stderr), (
        shown.stderr
    )  # a bar, 162 questions
    piped = run([*args, "--out", str(tmp_path / "piped")], env)
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == "", "the bar went to a stderr that is not a terminal"


def test_first_serve_shows_the_build_on_a_terminal(tmp_path):
    from tests.conftest import free_port

    index = tmp_path / "index"
    args = ["serve", "--port", str(free_port())]
    shown = on_terminal(args, environment(index, FOOTNOTE_EMBEDDER="none"), until="saving")
    assert f"building the index at {index} [1/2] splitting and tokenizing 1 article(s)" in (
        shown.stderr
    )
    assert f"the index at {index} is built because there is none yet" in shown.stderr
