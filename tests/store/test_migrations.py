"""Schema versions: an older or newer database is a clear error naming the fix, never answers."""

from __future__ import annotations

import subprocess
import sys

import psycopg
import pytest

from index.pg import migrations
from index.pg.migrations import SchemaVersionError
from index.pg.store import PostgresStore
from tests.conftest import ROOT
from tests.store.conftest import new_database


def _footnote(*args: str, store: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "footnote.cli", "db", *args, "--store", store],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_an_empty_database_names_footnote_db_upgrade(postgres):
    dsn = new_database(postgres, upgrade=False)
    with pytest.raises(SchemaVersionError, match="footnote db upgrade"):
        PostgresStore(dsn, timeout_seconds=2)


def test_an_older_schema_is_refused_until_upgraded(postgres):
    dsn = new_database(postgres, upgrade=False)
    with psycopg.connect(dsn) as conn:
        assert migrations.upgrade(conn, target=1) == [1]
    with pytest.raises(SchemaVersionError, match=r"version 1.*footnote db upgrade"):
        PostgresStore(dsn, timeout_seconds=2)
    status = _footnote("status", store=dsn)
    assert status.returncode == 1 and "run `footnote db upgrade`" in status.stdout
    upgraded = _footnote("upgrade", store=dsn)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"schema version {migrations.SCHEMA_VERSION}" in upgraded.stdout
    assert _footnote("status", store=dsn).returncode == 0
    store = PostgresStore(dsn, timeout_seconds=2)
    assert store.generation() == 0
    store.close()


def test_a_newer_schema_is_refused_even_while_serving(database):
    store = PostgresStore(database, timeout_seconds=2)
    assert store.generation() == 0
    with psycopg.connect(database) as conn:
        conn.execute("INSERT INTO schema_version (version, description) VALUES (99, 'future')")
    # A replica that is already running stops answering rather than misreading new tables.
    with pytest.raises(SchemaVersionError, match="newer than this Footnote"):
        store.generation()
    store.close()
    with pytest.raises(SchemaVersionError, match="upgrade Footnote"):
        PostgresStore(database, timeout_seconds=2)
    with psycopg.connect(database) as conn, pytest.raises(SchemaVersionError):
        migrations.upgrade(conn)  # never downgrades
    assert _footnote("status", store=database).returncode == 1


def test_upgrade_twice_changes_nothing(database):
    with psycopg.connect(database) as conn:
        assert migrations.upgrade(conn) == []
        assert migrations.applied_version(conn) == migrations.SCHEMA_VERSION


def test_an_unreachable_database_is_a_clear_error(postgres):
    from tests.conftest import free_port

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "footnote.cli",
            "db",
            "status",
            "--store",
            f"postgresql://postgres@127.0.0.1:{free_port()}/none",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "cannot connect to postgresql://127.0.0.1" in result.stderr
