"""Progress of long work: shown on a terminal, silent on anything else."""

from __future__ import annotations

import fcntl
import io
import os
import struct
import termios

import pytest

from index.progress import Progress


@pytest.fixture
def terminal():
    """A real pseudo-terminal: what is written to its slave end is read from its master."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 columns
    stream = open(slave, "w", encoding="utf-8", buffering=1)  # noqa: SIM115
    yield stream, master
    stream.close()
    os.close(master)


def read_all(master: int) -> str:
    os.set_blocking(master, False)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", errors="replace")


def test_stages_and_bars_show_on_a_terminal(terminal):
    stream, master = terminal
    progress = Progress.terminal(stream)
    assert progress.enabled
    stages = progress.stages("building the index", 2)
    stages.next("splitting 1 article(s)")
    with stages.bar(40, "chunks", unit="chunk") as bar:
        bar.update(40)
    stages.next("saving")
    stream.flush()
    shown = read_all(master)
    assert "footnote: building the index [1/2] splitting 1 article(s)" in shown
    assert "footnote: building the index [2/2] saving" in shown
    assert "chunks:" in shown and "/40" in shown  # the bar, drawn at least once


def test_nothing_is_written_when_the_stream_is_not_a_terminal():
    captured = io.StringIO()
    progress = Progress.terminal(captured)
    assert not progress.enabled
    progress.note("loading the embedding model")
    progress.stages("building the index", 1).next("saving")
    with progress.bar(10, "chunks") as bar:
        bar.update(10)
    assert captured.getvalue() == ""


def test_quiet_is_quiet(terminal):
    stream, master = terminal
    progress = Progress.quiet()
    progress.note("nothing")
    stream.flush()
    assert read_all(master) == ""
