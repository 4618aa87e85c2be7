"""`footnote add PATH [--id ID]` and `footnote remove ID`: publishing without a CMS.

Both change one article of the archive the service answers from (index.publish): `add`
embeds only that article; a running `footnote serve` answers it within
FOOTNOTE_RELOAD_SECONDS, on every worker. Registered by footnote.cli.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from footnote.settings import Settings
from index.errors import ArchiveError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `add` and `remove` subcommands."""
    add = subparsers.add_parser("add", help="publish one article file (or correct it)")
    add.add_argument("path", type=Path, help="the article file (headline on its first line)")
    add.add_argument("--id", dest="doc_id", help="its id (default: from the file name)")
    add.add_argument("--index", metavar="DIR", help="index folder (FOOTNOTE_INDEX_DIR)")
    add.set_defaults(run=cmd_add)
    remove = subparsers.add_parser("remove", help="take one article down")
    remove.add_argument("doc_id", metavar="ID", help="the article's id")
    remove.add_argument("--index", metavar="DIR", help="index folder (FOOTNOTE_INDEX_DIR)")
    remove.set_defaults(run=cmd_remove)


def _store(settings: Settings):
    from footnote.runtime import archive_store

    store = archive_store(settings)
    if not store.exists():
        raise ArchiveError(
            f"there is no archive at {settings.index_dir} yet; run "
            f"`footnote build --index {settings.index_dir}` first"
        )
    return store


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    """Publish one article file: a new article, or a new revision of one."""
    import dataclasses

    from footnote.runtime import load_embedder
    from index.documents import load_document
    from index.publish import check_doc_id, publish

    store = _store(settings)
    document = load_document(args.path)
    if args.doc_id:
        document = dataclasses.replace(document, id=check_doc_id(args.doc_id))
    else:
        check_doc_id(document.id)
    archived = store.state()
    meta = archived.meta
    embedder = load_embedder(settings) if meta is not None and meta.model_name else None
    before = archived.articles.get(document.id)
    started = time.perf_counter()
    state = publish(store, document, embedder, settings.build_config())
    record = state.articles[document.id]
    if before is not None and before.revision == record.revision:
        what = "unchanged"
    else:
        what = "added" if before is None else "replaced"
    print(
        f"{what} {document.id} (revision {record.revision[:12]}) in {settings.index_dir} "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return 0


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    """Take one article down: no question is answered from it any more."""
    from index.publish import remove

    remove(_store(settings), args.doc_id)
    print(f"removed {args.doc_id} from {settings.index_dir}")
    return 0
