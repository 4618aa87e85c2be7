"""`footnote serve`: the chat service over HTTP (registered by footnote.cli)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from footnote.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `serve` subcommand."""
    serve = subparsers.add_parser("serve", help="serve the chat service and its widget over HTTP")
    serve.add_argument("--host", help="address to listen on (FOOTNOTE_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (FOOTNOTE_PORT, 8000)")
    serve.add_argument("--index", metavar="DIR", help="index folder (FOOTNOTE_INDEX_DIR)")
    serve.add_argument(
        "--source", action="append", metavar="PATH", help="article file or folder (repeatable)"
    )
    serve.add_argument(
        "--workers", type=int, metavar="N", help="worker processes (FOOTNOTE_WORKERS, 1)"
    )
    serve.set_defaults(run=cmd_serve)


def log_config(verbose: bool) -> dict[str, Any]:
    """Logging for the server: JSON access lines on stdout, everything else on stderr."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
            "json": {"format": "%(message)s"},
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "stream": "ext://sys.stderr",
            },
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            },
        },
        "loggers": {
            "footnote.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
            "api": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        },
        "root": {"handlers": ["stderr"], "level": "INFO" if verbose else "WARNING"},
    }


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Serve until interrupted: BM25 answers as soon as the index is loaded, hybrid after."""
    import uvicorn

    overrides = {
        name: value
        for name, value in (("host", args.host), ("port", args.port), ("workers", args.workers))
        if value is not None
    }
    settings = settings.model_copy(update=overrides)
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "access_log": False,  # ours is structured: api.observability
        "log_config": log_config(args.verbose),
        "timeout_graceful_shutdown": 10,
        # Longer than a load balancer's idle timeout (60 s is common), so the server is never
        # the side that closes an idle connection just as the client sends on it.
        "timeout_keep_alive": 75,
    }
    if settings.workers == 1:
        from api.app import create_app

        uvicorn.run(create_app(settings), **options)
        return 0
    # Workers are new processes: they read their settings from the environment, and the
    # index is made current here, once, rather than by every worker at the same time.
    from api.startup import open_service

    os.environ["FOOTNOTE_INDEX_DIR"] = str(settings.index_dir)
    if "sources" in settings.model_fields_set:  # else each worker reads the index's own
        os.environ["FOOTNOTE_SOURCES"] = ",".join(str(p.resolve()) for p in settings.sources)
    open_service(settings)
    uvicorn.run("api.app:create_app_from_env", factory=True, workers=settings.workers, **options)
    return 0
