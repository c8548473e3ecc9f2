"""``pressmark sets``: define the OAI-PMH sets, by a CQL query over the index or by a list of ids.

Sets may also be configured (``OAI_SETS``). A set defined by a query is evaluated again after every
``pressmark init`` and ``pressmark load`` and by ``pressmark sets sync`` (:func:`sync_sets`):
records that leave it are listed as deleted in its harvest, records that join it get a new
datestamp.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.cli.common import query_ids, read_text_file, store_or_fail
from indexer.search import index
from indexer.store.records import RecordStore

SET_SPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*\Z")


def file_ids(path: Path) -> list[str]:
    """Returns the MMS IDs listed in a file, one per line (OAI identifiers are accepted too)."""
    ids = []
    for line in read_text_file(path).splitlines():
        value = line.strip()
        if value and not value.startswith("#"):
            ids.append(value.rsplit(":", 1)[-1] if value.startswith("oai:") else value)
    return ids


@click.group("sets")
def sets_group() -> None:
    """Define, list, sync and remove the OAI-PMH sets.

    Example:

        pressmark sets list
    """


@sets_group.command("add")
@click.argument("spec")
@click.option("--name", help="setName shown by ListSets (default: the spec).")
@click.option("--description", default="", help="setDescription shown by ListSets.")
@click.option("--query", help="CQL query over the search index; re-evaluated after each load.")
@click.option(
    "--ids",
    "ids_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="File of MMS IDs (or OAI identifiers), one per line.",
)
@with_appcontext
def add_command(
    spec: str, name: str | None, description: str, query: str | None, ids_file: Path | None
) -> None:
    """Define a set (or redefine it) and compute its members.

    Records that leave a redefined set are listed as deleted in its harvest.

    Example:

        pressmark sets add hebrew --name "Hebrew books" --query 'language = heb'
        pressmark sets add reserve --name "Reserve desk" --ids reserve.txt
    """
    if not SET_SPEC.match(spec):
        raise click.BadParameter("letters, digits, -_.!~*'() and ':' between parts", "SPEC")
    if (query is None) == (ids_file is None):
        raise click.UsageError("give exactly one of --query and --ids")
    ids = query_ids(query) if query is not None else file_ids(ids_file)  # type: ignore[arg-type]
    with store_or_fail() as store:
        store.define_set(spec, name or spec, description, query)
        added, removed = store.set_members(spec, ids)
        members = _member_count(store, spec)
    click.echo(f"set {spec}: {members} records (+{added}, -{removed})")
    unknown = len(set(ids)) - members if query is None else 0
    if unknown > 0:
        click.echo(f"  {unknown} listed ids are not in the store")


@sets_group.command("list")
@with_appcontext
def list_command() -> None:
    """List the sets with their member counts and definitions.

    Example:

        pressmark sets list
    """
    with store_or_fail() as store:
        for spec, name, _description, query in store.list_sets():
            how = f"query {query}" if query else "list of ids"
            click.echo(f"{spec}\t{name}\t{_member_count(store, spec)} records\t{how}")


@sets_group.command("remove")
@click.argument("spec")
@with_appcontext
def remove_command(spec: str) -> None:
    """Remove a set; its records get a new datestamp (their headers lose the setSpec).

    Example:

        pressmark sets remove reserve
    """
    with store_or_fail() as store:
        try:
            _, removed = store.set_members(spec, [])
        except KeyError as exc:
            raise click.ClickException(f"no set {spec}") from exc
        with store.batch():
            store.conn.execute("DELETE FROM set_members WHERE set_spec = ?", (spec,))
            store.conn.execute("DELETE FROM sets WHERE spec = ?", (spec,))
    click.echo(f"set {spec} removed ({removed} records updated)")


@sets_group.command("sync")
@with_appcontext
def sync_command() -> None:
    """Apply the sets of the OAI_SETS setting and evaluate again every set defined by a query.

    Example:

        PRESSMARK_OAI_SETS='{"heb": {"name": "Hebrew", "query": "dc.language = heb"}}' pressmark sets sync
    """
    sync_sets(strict=True)


def _configured(store: RecordStore) -> None:
    """Defines the sets of ``OAI_SETS``; gives those listed by ids their members."""
    for spec, definition in (current_app.config.get("OAI_SETS") or {}).items():
        if not SET_SPEC.match(spec) or not isinstance(definition, dict):
            raise click.ClickException(f"OAI_SETS: bad set {spec!r}")
        query = definition.get("query")
        name = definition.get("name") or spec
        store.define_set(spec, name, definition.get("description", ""), query)
        if not query:
            added, removed = store.set_members(spec, [str(i) for i in definition.get("ids", [])])
            click.echo(f"set {spec}: +{added}, -{removed}")


def sync_sets(*, strict: bool = False) -> None:
    """Applies ``OAI_SETS``, then evaluates every query set again when the index exists.

    The index is brought up to date first (an incremental update: a no-op when the index stage's
    own hook has already run). With ``strict``, a missing index is an error.
    """
    with store_or_fail() as store:
        _configured(store)
        queries = [(spec, query) for spec, _n, _d, query in store.list_sets() if query]
        if not queries:
            return
        index_dir = current_app.config["INDEX_DIR"]
        if not index.exists(index_dir):
            if strict:
                raise click.ClickException(f"no search index at {index_dir}: run `pressmark index`")
            return
        index.update(store, index_dir, blocking=True)
        for spec, query in queries:
            added, removed = store.set_members(spec, query_ids(query))
            click.echo(f"set {spec}: +{added}, -{removed}")


def _member_count(store: RecordStore, spec: str) -> int:
    return store.conn.execute(
        "SELECT COUNT(*) FROM set_members WHERE set_spec = ? AND removed = 0", (spec,)
    ).fetchone()[0]


commands = [sets_group]
