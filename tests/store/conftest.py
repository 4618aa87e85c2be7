"""A real PostgreSQL 15 server for the store tests: started once per session from Debian's
binaries into a temporary folder, stopped by its process id. One fresh database per use."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from index.pg import migrations
from index.pg.local_server import LocalPostgres


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    """The session's server (initdb, free loopback port, postgres user when root)."""
    server = LocalPostgres().start()
    yield server
    server.cleanup()


def new_database(server: LocalPostgres, upgrade: bool = True) -> str:
    """The DSN of a new empty database on `server`, its schema upgraded unless told not to."""
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    dsn = server.dsn.rsplit("/", 1)[0] + "/" + name
    if upgrade:
        with psycopg.connect(dsn) as conn:
            migrations.upgrade(conn)
    return dsn


@pytest.fixture
def database(postgres: LocalPostgres) -> str:
    """A fresh database at the current schema version."""
    return new_database(postgres)
