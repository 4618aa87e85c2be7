"""Progress of long work (builds, eval, bench) on stderr, quiet unless stderr is a terminal.

A first `make run` builds the index for many seconds before it serves; `footnote bench`
runs for minutes. A person at a terminal should see what is happening: counted stages
("building the index [3/6] embedding 61 chunks") and, for the long ones, a tqdm bar. A
log file, a pipe or a test captures none of it, so output that a program reads stays clean.

It lives in `index`, the lowest stage, because the build uses it and every stage above
may import `index`.

    progress = Progress.terminal()
    stages = progress.stages("building the index", 3)
    stages.next("reading 1 article")
    with progress.bar(61, "embedding chunks", unit="chunk") as bar:
        bar.update(61)
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import TextIO

from tqdm import tqdm


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or file-less stream
        return False


@dataclass(frozen=True, slots=True)
class Progress:
    """Where progress goes (`stream`) and whether it is shown at all (`enabled`)."""

    stream: TextIO
    enabled: bool

    @classmethod
    def terminal(cls, stream: TextIO | None = None) -> Progress:
        """Progress on `stream` (stderr by default), shown only when it is a terminal."""
        stream = stream if stream is not None else sys.stderr
        return cls(stream, stream is not None and _is_terminal(stream))

    @classmethod
    def quiet(cls) -> Progress:
        """No progress at all."""
        return cls(sys.stderr, False)

    def note(self, message: str) -> None:
        """One line about what is starting ("loading the embedding model")."""
        if self.enabled:
            print(f"footnote: {message}", file=self.stream, flush=True)

    def stages(self, title: str, total: int) -> Stages:
        """Counted stages of one job, announced one line each."""
        return Stages(self, title, total)

    def bar(self, total: int, description: str, unit: str = "it") -> tqdm:
        """A tqdm bar (a context manager) that clears itself when done."""
        return tqdm(
            total=total,
            desc=description,
            unit=unit,
            leave=False,
            dynamic_ncols=True,
            file=self.stream,
            disable=not self.enabled,
        )


class Stages:
    """Stage lines of one job: "building the index [2/5] splitting 1 article (0.4 s)"."""

    def __init__(self, progress: Progress, title: str, total: int) -> None:
        self.progress = progress
        self.title = title
        self.total = total
        self.done = 0
        self._began = time.perf_counter()

    def next(self, what: str) -> None:
        """Announce the next stage; the time is since the job began."""
        self.done += 1
        elapsed = time.perf_counter() - self._began
        self.progress.note(
            f"{self.title} [{min(self.done, self.total)}/{self.total}] {what} ({elapsed:.1f} s)"
        )

    def bar(self, total: int, description: str, unit: str = "it") -> tqdm:
        """A bar for the current stage."""
        return self.progress.bar(total, description, unit)
