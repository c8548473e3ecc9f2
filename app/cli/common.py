"""What the command modules share: the store a command works on, its input files, progress bars.

Library errors become :class:`click.ClickException` here, so every command fails with one clear
line instead of a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import current_app

from app.resources import open_store
from indexer.search.queries import search_ids
from indexer.store.records import RecordStore
from indexer.store.schema import StoreError


@contextmanager
def store_or_fail(*, create: bool = False) -> Iterator[RecordStore]:
    """Opens the configured store, turning store errors into clear command-line errors."""
    try:
        store = open_store(current_app.config, create=create)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        yield store
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()


def read_text_file(path: Path) -> str:
    """Returns the text of a UTF-8 file named on the command line, or fails with a clear error."""
    try:
        return path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{path} is not UTF-8 text (byte {exc.start})") from exc


@contextmanager
def progress_bar(length: int, label: str) -> Iterator[Callable[[int], None]]:
    """A click progress bar on standard error, handed out as an ``advance(n)`` callable."""
    with click.progressbar(
        length=max(length, 1), label=label, file=sys.stderr, show_pos=True, show_eta=True
    ) as bar:
        yield bar.update


def query_ids(query: str) -> list[str]:
    """Returns the MMS IDs that a CQL query finds in the search index.

    Raises:
        click.ClickException: no index, or the query cannot be run.
    """
    index_dir = current_app.config["INDEX_DIR"]
    if not Path(index_dir).exists():
        raise click.ClickException(f"no search index at {index_dir}: run `pressmark index`")
    try:
        return search_ids(index_dir, query)
    except Exception as exc:  # QueryError, IndexError_ and whatever the engine raises
        raise click.ClickException(f"query {query!r} failed: {exc}") from exc
