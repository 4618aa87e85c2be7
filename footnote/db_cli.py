"""`footnote db upgrade` and `footnote db status`: the PostgreSQL archive's schema.

Both act on the database FOOTNOTE_STORE names (or `--store`). A service refuses a database
whose schema is older or newer than the one it reads (index.pg.migrations), so upgrading
is a deliberate step, run once per deployment, not something each replica races to do.
Registered by footnote.cli.
"""

from __future__ import annotations

import argparse

from footnote.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `db` subcommand with `upgrade` and `status`."""
    db = subparsers.add_parser("db", help="the PostgreSQL archive's schema (FOOTNOTE_STORE)")
    actions = db.add_subparsers(dest="action", required=True)
    for name, run, text in (
        ("upgrade", cmd_upgrade, "apply the pending schema migrations"),
        ("status", cmd_status, "print the schema version applied and the one this code reads"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("--store", metavar="URL", help="the database (FOOTNOTE_STORE)")
        action.set_defaults(run=run)


def _connect(args: argparse.Namespace, settings: Settings):
    """A connection to the database `--store` or FOOTNOTE_STORE names."""
    import psycopg

    from index.errors import ArchiveError, ArchiveUnavailableError
    from index.pg.store import redact

    if args.store:
        dsn = str(args.store)
    elif settings.store is not None:
        dsn = settings.store.get_secret_value()
    else:
        raise ArchiveError("no database: set FOOTNOTE_STORE=postgresql://... or pass --store")
    try:
        return psycopg.connect(dsn, connect_timeout=max(int(settings.store_timeout_seconds), 1))
    except psycopg.OperationalError as exc:
        raise ArchiveUnavailableError(
            f"cannot connect to {redact(dsn)} ({str(exc).strip().splitlines()[0]})"
        ) from exc


def cmd_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    """Bring the database's schema to the version this Footnote reads."""
    from index.pg import migrations

    with _connect(args, settings) as conn:
        applied = migrations.upgrade(conn)
        version = migrations.applied_version(conn)
    done = ", ".join(str(v) for v in applied) if applied else "none (already current)"
    print(f"schema version {version}; migrations applied: {done}")
    return 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    """Print where the schema stands; exit 1 when it is not the version this code reads."""
    from index.pg import migrations

    with _connect(args, settings) as conn:
        status = migrations.status(conn)
    print(f"schema version {status.applied}; this Footnote reads version {status.wanted}")
    if status.applied < status.wanted:
        print(f"pending migrations: {status.pending}; run `footnote db upgrade`")
        return 1
    if status.applied > status.wanted:
        print("the database is newer than this Footnote; upgrade Footnote")
        return 1
    return 0
