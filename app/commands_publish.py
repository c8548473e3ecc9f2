"""``pressmark publish``: file publishing profiles (define, run, list, history, delete).

The engine is ``indexer.file_publish``; profiles and their run history live in the store
(``indexer.publish_profiles``).
"""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.cli import progress_bar, store_or_fail
from app.commands_sets import query_ids
from indexer.file_publish import run_profile
from indexer.publish_profiles import FORMATS, ProfileError, Profiles, PublishProfile


@click.group("publish")
def publish_group() -> None:
    """Publish the catalogue to files: profiles with a selection, format, enrichment and rules.

    Example:

        pressmark publish run discovery
    """


@publish_group.command("define")
@click.argument("name")
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(path_type=Path),
    help="Directory the files are written to.",
)
@click.option(
    "--select",
    "selection",
    default="all",
    show_default=True,
    help="all, set:SPEC (an OAI set) or cql:QUERY (an SRU query).",
)
@click.option(
    "--format",
    "format_",
    type=click.Choice(FORMATS),
    default="marcxml",
    show_default=True,
    help="marcxml, marc (binary ISO 2709) or oai_dc.",
)
@click.option("--holdings/--no-holdings", default=False, help="Add an 852 field per holding.")
@click.option(
    "--availability/--no-availability", default=False, help="Add AVA/AVE/AVD availability fields."
)
@click.option(
    "--rules",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Normalization rule file applied to each published record.",
)
@click.option(
    "--max-file-mb",
    type=click.FloatRange(0.001),
    default=50.0,
    show_default=True,
    help="Largest size of one output file, in MB.",
)
@click.option(
    "--compress/--no-compress",
    default=True,
    show_default=True,
    help="Pack the files of a run into one .tar.gz.",
)
@with_appcontext
def define_command(
    name: str,
    output: Path,
    selection: str,
    format_: str,
    holdings: bool,
    availability: bool,
    rules: Path | None,
    max_file_mb: float,
    compress: bool,
) -> None:
    """Create or change a publishing profile; its rule file is checked before it is saved.

    Example:

        pressmark publish define discovery -o exports/ --availability --rules local.rules
    """
    rules_text = rules.read_text(encoding="utf-8") if rules else ""
    profile = PublishProfile(
        name=name,
        output=str(output.resolve()),
        selection=selection,
        format=format_,
        holdings_852=holdings,
        availability=availability,
        rules=rules_text,
        max_file_bytes=int(max_file_mb * 1_000_000),
        compress=compress,
    )
    with store_or_fail() as store:
        try:
            Profiles(store).save(profile)
        except ProfileError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"profile {name} saved: {selection}, {format_}, to {profile.output}")


@publish_group.command("run")
@click.argument("name")
@click.option("--full", is_flag=True, help="Publish every record, not only the changes.")
@with_appcontext
def run_command(name: str, full: bool) -> None:
    """Run a profile: all its records the first time (or with --full), then the changes.

    Deleted records are written with leader/05 = d. The run is kept in the profile's history.

    Example:

        pressmark publish run discovery --full
    """
    with store_or_fail() as store:
        profile = Profiles(store).get(name)
        if profile is None:
            raise click.ClickException(f"no publishing profile {name!r}")
        total = store.stats()["records"] if full or not profile.last_seq else 0
        started = time.monotonic()
        with progress_bar(int(total or 0), f"publishing {name}") as advance:
            try:
                run = run_profile(store, name, full=full, search=query_ids, progress=advance)
            except (ProfileError, OSError) as exc:
                raise click.ClickException(str(exc)) from exc
    seconds = time.monotonic() - started
    handled = run.records + run.deleted + run.skipped
    rate = handled / seconds if seconds > 0 else 0.0
    click.echo(
        f"{run.mode} run {run.id}: {run.records} records, {run.deleted} deleted,"
        f" {run.skipped} skipped in {seconds:.1f} s ({rate:.0f}/s)"
    )
    for path in run.files:
        click.echo(f"  {path}")


@publish_group.command("list")
@with_appcontext
def list_command() -> None:
    """List the publishing profiles.

    Example:

        pressmark publish list
    """
    with store_or_fail() as store:
        profiles = Profiles(store).all()
    for p in profiles:
        extras = [
            x
            for x, on in (
                ("852", p.holdings_852),
                ("AVA", p.availability),
                ("rules", bool(p.rules)),
            )
            if on
        ]
        click.echo(
            f"{p.name:<20} {p.selection:<24} {p.format:<8} {' '.join(extras):<14} {p.output}"
        )


@publish_group.command("history")
@click.argument("name", required=False)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@with_appcontext
def history_command(name: str | None, limit: int) -> None:
    """Show the latest runs of a profile (or of every profile).

    Example:

        pressmark publish history discovery
    """
    with store_or_fail() as store:
        runs = Profiles(store).runs(name, limit)
    for r in runs:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(r.started))
        click.echo(
            f"{r.id:>5} {r.profile:<20} {when} {r.mode:<11} {r.status:<7}"
            f" {r.records} records, {r.deleted} deleted, {len(r.files)} files"
            + (f" ({r.message})" if r.message else "")
        )


@publish_group.command("delete")
@click.argument("name")
@with_appcontext
def delete_command(name: str) -> None:
    """Delete a publishing profile (its files and history stay).

    Example:

        pressmark publish delete discovery
    """
    with store_or_fail() as store:
        if not Profiles(store).delete(name):
            raise click.ClickException(f"no publishing profile {name!r}")
    click.echo(f"profile {name} deleted")


commands = [publish_group]
