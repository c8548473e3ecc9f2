"""``pressmark publish``: file publishing profiles (define, run, list, history, delete); ``republish``.

The engine is :mod:`indexer.publishing.runner`; profiles and their run history live in the store
(:mod:`indexer.publishing.profiles`, :mod:`indexer.publishing.runs`); uploads go through
:mod:`indexer.publishing.upload`. ``pressmark republish`` re-renders what OAI-PMH publishes
(:mod:`indexer.publishing.republish`), or runs one profile in full.
"""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.cli.common import progress_bar, query_ids, read_text_file, store_or_fail
from indexer.publishing.profile import FORMATS, MAX_INTERVAL, ProfileError, PublishProfile
from indexer.publishing.profiles import Profiles
from indexer.publishing.republish import republish, selected_ids
from indexer.publishing.runner import run_profile
from indexer.publishing.runs import LockedError, PublishRun
from indexer.publishing.upload import UploadError
from indexer.store.records import RecordStore
from indexer.store.schema import StoreError


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
@click.option(
    "--interval",
    type=click.IntRange(0, MAX_INTERVAL),
    default=0,
    show_default=True,
    help="Minutes between scheduled runs (publish run --due); 0 = manual only.",
)
@click.option(
    "--upload", default="", help="Upload to ftp://, ftps:// or sftp://USER@HOST[:PORT]/DIR."
)
@click.option(
    "--upload-password-env",
    default="",
    metavar="NAME",
    help="Environment variable holding the upload password (never stored).",
)
@click.option(
    "--upload-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="SFTP: private key file (its passphrase, if any, in the password variable).",
)
@click.option(
    "--upload-known-hosts",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SFTP: known_hosts file with the server's key (default ~/.ssh/known_hosts).",
)
@click.option(
    "--upload-trust-new-host",
    is_flag=True,
    help="SFTP: accept an unknown host key once and add it to --upload-known-hosts.",
)
@click.option(
    "--upload-timeout",
    type=click.FloatRange(0.1, 3600),
    default=60.0,
    show_default=True,
    help="Seconds to wait for the server (connect, each read or write).",
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
    interval: int,
    upload: str,
    upload_password_env: str,
    upload_key: Path | None,
    upload_known_hosts: Path | None,
    upload_trust_new_host: bool,
    upload_timeout: float,
) -> None:
    """Create or change a publishing profile; its rules and upload settings are checked first.

    Every setting not given takes its default. Passwords are never stored: --upload-password-env
    names the environment variable that holds the password when the profile runs.

    Example:

    \b
        pressmark publish define discovery -o exports/ --availability --rules local.rules \\
            --interval 60 --upload sftp://pub@files.example.org/incoming \\
            --upload-key ~/.ssh/pressmark_ed25519 --upload-known-hosts ~/.ssh/known_hosts
    """
    rules_text = read_text_file(rules) if rules else ""
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
        interval=interval,
        upload=upload,
        upload_password_env=upload_password_env,
        upload_key=str(upload_key.resolve()) if upload_key else "",
        upload_known_hosts=str(upload_known_hosts.resolve()) if upload_known_hosts else "",
        upload_trust_new_host=upload_trust_new_host,
        upload_timeout=upload_timeout,
    )
    with store_or_fail() as store:
        try:
            Profiles(store).save(profile)
        except ProfileError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"profile {name} saved: {selection}, {format_}, to {profile.output}")


def _run_one(store: RecordStore, profile: PublishProfile, full: bool) -> PublishRun:
    """Runs one profile with a progress bar and prints its summary.

    Raises:
        LockedError: another run of the profile is in progress.
        ProfileError, UploadError, OSError: the run failed (it is in the history).
    """
    total = store.stats()["records"] if full or not profile.last_seq else 0
    started = time.monotonic()
    with progress_bar(int(total or 0), f"publishing {profile.name}") as advance:
        run = run_profile(store, profile.name, full=full, search=query_ids, progress=advance)
    seconds = time.monotonic() - started
    handled = run.records + run.deleted + run.skipped
    rate = handled / seconds if seconds > 0 else 0.0
    click.echo(
        f"{profile.name}: {run.mode} run {run.id}: {run.records} records, {run.deleted} deleted,"
        f" {run.skipped} skipped in {seconds:.1f} s ({rate:.0f}/s)"
    )
    for path in run.files:
        click.echo(f"  {path}")
    if run.uploads:
        click.echo(f"  {_uploaded(run.uploads)}")
    return run


def _uploaded(uploads: list[str]) -> str:
    where = uploads[0].rsplit("/", 1)[0]
    return f"uploaded {len(uploads)} file{'s' if len(uploads) != 1 else ''} to {where}"


@publish_group.command("run")
@click.argument("names", nargs=-1)
@click.option("--full", is_flag=True, help="Publish every record, not only the changes.")
@click.option("--due", is_flag=True, help="Also run every profile whose interval has elapsed.")
@with_appcontext
def run_command(names: tuple[str, ...], full: bool, due: bool) -> None:
    """Run the profiles NAMES (or, with --due, the scheduled ones that are due).

    A profile runs on all its records the first time (or with --full), then on the changes;
    deleted records are written with leader/05 = d. Each run is kept in the profile's history. A
    profile whose last run failed is due at once; one that is already running is skipped. The
    exit status is 1 when a run failed.

    Example:

    \b
        pressmark publish run discovery --full
        pressmark publish run --due     # from cron, e.g. every 5 minutes
    """
    if not names and not due:
        raise click.UsageError("name a profile, or use --due")
    failed = False
    with store_or_fail() as store:
        profiles = Profiles(store)
        chosen = []
        for name in dict.fromkeys(names):
            profile = profiles.get(name)
            if profile is None:
                raise click.ClickException(f"no publishing profile {name!r}")
            chosen.append(profile)
        if due:
            others = [p for p in profiles.all() if p.name not in names]
            chosen += profiles.due(others)
            if not chosen:
                click.echo("no profile is due")
        for profile in chosen:
            try:
                _run_one(store, profile, full)
            except LockedError as exc:
                click.echo(f"{profile.name}: skipped: {exc}", err=True)
                # a scheduled profile still running is not a failure; a named one is
                failed = failed or profile.name in names
            except (ProfileError, UploadError, OSError) as exc:
                click.echo(f"{profile.name}: run failed: {exc}", err=True)
                failed = True
    if failed:
        raise click.exceptions.Exit(1)


def _schedule(profiles: Profiles, profile: PublishProfile, now: float) -> str:
    when = profiles.next_due(profile)
    if when is None:
        return "manual"
    every = f"every {profile.interval} min"
    if when <= now:
        return f"{every}, due now"
    return f"{every}, next {time.strftime('%Y-%m-%d %H:%M', time.gmtime(when))} UTC"


@publish_group.command("list")
@with_appcontext
def list_command() -> None:
    """List the publishing profiles, with their schedule and upload target.

    Example:

        pressmark publish list
    """
    now = time.time()
    with store_or_fail() as store:
        profiles = Profiles(store)
        rows = [(p, _schedule(profiles, p, now)) for p in profiles.all()]
    for p, schedule in rows:
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
        click.echo(f"{'':<20} schedule: {schedule}" + (f"; upload: {p.upload}" if p.upload else ""))


@publish_group.command("history")
@click.argument("name", required=False)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@with_appcontext
def history_command(name: str | None, limit: int) -> None:
    """Show the latest runs of a profile (or of every profile), with their uploads.

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
            + (f", {_uploaded(r.uploads)}" if r.uploads else "")
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


@click.command("republish")
@click.option("--set", "set_spec", help="Only the records of this OAI set.")
@click.option(
    "--force", is_flag=True, help="Give every selected record a new datestamp, changed or not."
)
@click.option(
    "--profile",
    help="Republish a file publishing profile instead: a full run of it, now.",
)
@with_appcontext
def republish_command(set_spec: str | None, force: bool, profile: str | None) -> None:
    """Re-render the published records after a change of enrichment or rules.

    Over OAI-PMH (the default), records whose published XML changed get a new datestamp, so
    harvesters receive them by their next incremental harvest; with --force every selected record
    does. With --profile, the file publishing profile is run in full with its current settings.

    Example:

        PRESSMARK_PUBLISH_RULES=local.rules pressmark republish
        pressmark republish --set theses --force
        pressmark republish --profile discovery
    """
    if profile:
        if set_spec or force:
            raise click.UsageError("--profile runs the whole profile: drop --set and --force")
        click.get_current_context().invoke(run_command, names=(profile,), full=True, due=False)
        return
    with store_or_fail() as store:
        try:
            ids = selected_ids(store, set_spec)
            with progress_bar(len(ids), "republishing") as advance:
                report = republish(store, set_spec=set_spec, force=force, progress=advance, ids=ids)
        except StoreError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(report.summary())


commands = [publish_group, republish_command]
