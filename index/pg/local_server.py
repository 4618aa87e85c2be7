"""A throwaway PostgreSQL 15 server for tests and development, stopped by its process id.

`LocalPostgres` runs `initdb` into a temporary folder, starts `postgres` on a free loopback
port with its socket in that folder, waits until it accepts connections; `stop` sends
SIGINT (PostgreSQL's fast shutdown) to that one pid, then SIGKILL if it lingers, and
`cleanup` (or leaving `with`) also removes the folder. PostgreSQL refuses to run as root,
so as root every command runs as the `postgres` OS user (Debian's package creates it) and
the folder is handed to that user.

    >>> with LocalPostgres() as server:  # doctest: +SKIP
    ...     print(server.dsn)
    postgresql://postgres@127.0.0.1:54321/footnote
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

BIN_DIRS = (Path("/usr/lib/postgresql/15/bin"),)
SERVICE_USER = "postgres"


class LocalServerError(RuntimeError):
    """The local server could not be set up or started; the message says why and how to fix it."""


def _bin(name: str) -> str:
    for folder in BIN_DIRS:
        if (folder / name).is_file():
            return str(folder / name)
    found = shutil.which(name)
    if found is None:
        raise LocalServerError(
            f"PostgreSQL's {name} is not installed; run `make postgres` "
            "(apt-get install -y postgresql)"
        )
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalPostgres:
    """One private PostgreSQL server: `start()`, use `dsn`, `stop()` (or `with`)."""

    def __init__(self, port: int | None = None, database: str = "footnote") -> None:
        self.port = port or free_port()
        self.database = database
        self.root = Path(tempfile.mkdtemp(prefix="footnote-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "sock"
        self.log = self.root / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._as_root = os.geteuid() == 0

    @property
    def dsn(self) -> str:
        """The connection string of the server's database."""
        return f"postgresql://{SERVICE_USER}@127.0.0.1:{self.port}/{self.database}"

    def _command(self, args: list[str]) -> list[str]:
        if not self._as_root:
            return args
        return ["runuser", "-u", SERVICE_USER, "--", *args]

    def _hand_over(self) -> None:
        """As root: give the folder to the postgres user (initdb refuses to run as root)."""
        if not self._as_root:
            return
        try:
            user = pwd.getpwnam(SERVICE_USER)
        except KeyError as exc:
            raise LocalServerError(
                "no `postgres` OS user to run the server as; run `make postgres`"
            ) from exc
        self.root.chmod(0o755)
        for path in (self.root, *self.root.rglob("*")):
            os.chown(path, user.pw_uid, user.pw_gid)

    def init(self) -> None:
        """Create the cluster and its socket folder (once)."""
        if (self.data / "PG_VERSION").exists():
            return
        self.socket_dir.mkdir(exist_ok=True)
        self._hand_over()
        result = subprocess.run(
            self._command(
                [
                    _bin("initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    SERVICE_USER,
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--locale",
                    "C.UTF-8",
                    "--no-sync",
                ]
            ),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise LocalServerError(f"initdb failed: {result.stderr.strip()[-500:]}")

    def start(self, timeout: float = 30.0) -> LocalPostgres:
        """Start the server (initialising it first) and create the database."""
        self.init()
        log = self.log.open("ab")
        # fsync off: a test server's data is thrown away, and fsync costs seconds per test.
        self.process = subprocess.Popen(
            self._command(
                [
                    _bin("postgres"),
                    "-D",
                    str(self.data),
                    "-p",
                    str(self.port),
                    "-k",
                    str(self.socket_dir),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=200",
                ]
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self._wait_ready(timeout)
        self._create_database()
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise LocalServerError(f"postgres exited at start: {self._log_tail()}")
            ready = subprocess.run(
                [_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
                check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise LocalServerError(f"postgres did not accept connections in {timeout} s")

    def _create_database(self) -> None:
        import psycopg

        admin = f"postgresql://{SERVICE_USER}@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (self.database,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{self.database}"')

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-800:]
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server by its pid: a fast shutdown, SIGKILL if it lingers.

        PostgreSQL reads SIGTERM as a "smart" shutdown that waits for every client to leave,
        which the services' connection pools never do; SIGINT is its fast shutdown (clients
        disconnected, a clean checkpoint), the one an operator's restart sends.
        """
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        pid = self._postmaster_pid() or process.pid  # the server itself, not runuser
        os.kill(pid, signal.SIGINT)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(pid, signal.SIGKILL)
            process.kill()
            process.wait(timeout)

    def kill(self) -> None:
        """SIGKILL the server (a crash, for tests); `start` brings it back on the same data."""
        process, self.process = self.process, None
        if process is None:
            return
        pid = self._postmaster_pid()
        if pid:
            os.kill(pid, signal.SIGKILL)
        process.wait(10)
        # The children of a killed postmaster exit when they notice; wait for the pid file
        # to be released so that a restart does not find the old server.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self._children_alive(pid):
            time.sleep(0.05)

    def _children_alive(self, pid: int | None) -> bool:
        if not pid:
            return False
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    ppid = (entry / "stat").read_text().split(")")[-1].split()[1]
                except (OSError, IndexError):
                    continue
                if ppid == str(pid):
                    return True
        return False

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def cleanup(self) -> None:
        """Stop the server and delete its folder."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cleanup()
