"""``pressmark backup``: a consistent copy of the record store, taken while the service runs."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from app.cli.common import store_or_fail
from indexer.store.backup import backup
from indexer.store.schema import StoreError


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Overwrite TARGET if it exists.")
@with_appcontext
def backup_command(target: Path, replace: bool) -> None:
    """Write a consistent copy of the record store to TARGET, while the service runs.

    The copy is one SQLite file. The search index is not copied: it derives from the store. To
    restore, stop the service, copy the backup over the database file (the DATABASE setting) and
    delete that file's -wal and -shm companions, then start the service: an index that is ahead of
    the restored store is rebuilt.

    Example:

    \b
        pressmark backup /var/backups/pressmark/catalogue-$(date +%F).db
    """
    with store_or_fail() as store:
        try:
            report = backup(store, target, replace=replace)
        except StoreError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(report.summary())


commands = [backup_command]
