"""``pressmark index``: build the search index from the store, or bring it up to date."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from app.cli.common import progress_bar, store_or_fail
from indexer.search import index


@click.group("index")
def index_group() -> None:
    """Build or update the search index (derived from the store; safe to rebuild at any time)."""


@index_group.command("rebuild")
@with_appcontext
def rebuild_command() -> None:
    """Build a new search index of every live record, then swap it in for the old one.

    Searches keep running on the old index during the build.

    Example:

        pressmark index rebuild
    """
    with store_or_fail() as store:
        total = int(store.stats()["records"] or 0)
        with progress_bar(total, "indexing") as advance:
            report = index.rebuild(store, current_app.config["INDEX_DIR"], progress=advance)
        updated = index.update(store, current_app.config["INDEX_DIR"], blocking=True)
    rate = report.records / report.seconds if report.seconds > 0 else 0.0
    click.echo(
        f"indexed {report.records} records in {report.seconds:.1f} s ({rate:.0f}/s)"
        f" up to change {report.seq}; {updated or 0} changed during the build"
    )


@index_group.command("update")
@with_appcontext
def update_command() -> None:
    """Apply the store's changes since the last indexed one (builds the index when missing).

    Example:

        pressmark index update
    """
    index_dir = current_app.config["INDEX_DIR"]
    with store_or_fail() as store:
        updated = index.update(store, index_dir, blocking=True)
    click.echo(f"{updated or 0} records re-indexed; index at change {index.indexed_seq(index_dir)}")


def bring_index_up_to_date() -> None:
    """Applies the store's changes to the search index (builds it when missing), after init and load."""
    index_dir = current_app.config["INDEX_DIR"]
    with store_or_fail() as store:
        updated = index.update(store, index_dir, blocking=True)
    click.echo(
        f"search index: {updated or 0} records indexed, up to change {index.indexed_seq(index_dir)}"
    )


commands = [index_group]
