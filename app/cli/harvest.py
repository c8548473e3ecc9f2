"""``pressmark harvest``: import profiles and harvest runs from the command line."""

from __future__ import annotations

import json
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from app.cli.common import progress_bar, store_or_fail
from app.staff.runner import client_options
from harvester.harvest import harvest
from harvester.merge import MERGE_POLICIES
from harvester.profiles import DELETED_POLICIES, LockedError, Profile, ProfileError, Profiles
from harvester.report import HarvestReport, report_from_run


@click.group("harvest")
def harvest_group() -> None:
    """Harvest other OAI-PMH repositories into the store (import profiles and runs).

    Example:

        pressmark harvest profile add loc https://example.org/oai --prefix marc21
        pressmark harvest run loc
    """


@harvest_group.group("profile")
def profile_group() -> None:
    """Manage import profiles: add, update, list, show, remove.

    Example:

        pressmark harvest profile list
    """


def _profile_options(function: Any) -> Any:
    options = [
        click.option("--prefix", "metadata_prefix", help="metadataPrefix: marc21, oai_dc, ..."),
        click.option("--set", "set_spec", help="setSpec to harvest (default: everything)."),
        click.option("--interval", type=int, help="Minutes between scheduled runs."),
        click.option("--match", help="Match methods in order: 001,035,isbn,issn,oai."),
        click.option("--merge", type=click.Choice(MERGE_POLICIES), help="Merge policy."),
        click.option("--local-fields", help="Fields kept by keep_local, e.g. '9..,59.'."),
        click.option(
            "--deleted", type=click.Choice(DELETED_POLICIES), help="What a deletion does."
        ),
        click.option("--rules", help="Normalization rules applied on import: a rule file."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _settings(values: dict[str, Any]) -> dict[str, Any]:
    settings = {k: v for k, v in values.items() if v is not None}
    if "match" in settings:
        settings["match"] = settings["match"].split(",")
    if "local_fields" in settings:
        settings["local_fields"] = [p.strip() for p in settings["local_fields"].split(",")]
    return settings


@profile_group.command("add")
@click.argument("name")
@click.argument("base_url")
@_profile_options
@with_appcontext
def profile_add(name: str, base_url: str, **values: Any) -> None:
    """Add an import profile NAME harvesting the OAI-PMH repository at BASE_URL.

    Defaults: marc21, every set, match on the OAI identifier, overlay, deletions delete.

    Example:

        pressmark harvest profile add nls https://example.org/oai --prefix marc21 --set books \\
            --match oai,001 --merge keep_local --deleted suppress --interval 360
    """
    with store_or_fail() as store:
        try:
            profile = Profile.from_dict({"name": name, "base_url": base_url, **_settings(values)})
            Profiles(store).save(profile, create=True)
        except ProfileError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"profile {name} added")


@profile_group.command("update")
@click.argument("name")
@click.option("--url", "base_url", help="New base URL.")
@_profile_options
@with_appcontext
def profile_update(name: str, **values: Any) -> None:
    """Change settings of the import profile NAME.

    Example:

        pressmark harvest profile update nls --merge overlay --interval 60
    """
    with store_or_fail() as store:
        try:
            Profiles(store).update(name, _settings(values))
        except ProfileError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"profile {name} updated")


@profile_group.command("list")
@with_appcontext
def profile_list() -> None:
    """List the import profiles, with their last run.

    Example:

        pressmark harvest profile list
    """
    with store_or_fail() as store:
        profiles = Profiles(store)
        for profile in profiles.all():
            runs = profiles.runs(profile.name, limit=1)
            last = f"last run {runs[0]['id']}: {runs[0]['status']}" if runs else "never run"
            click.echo(
                f"{profile.name:<16} {profile.metadata_prefix:<8} {profile.base_url}"
                f"{' set=' + profile.set_spec if profile.set_spec else ''}  ({last})"
            )


@profile_group.command("show")
@click.argument("name")
@with_appcontext
def profile_show(name: str) -> None:
    """Show the settings of the import profile NAME as JSON.

    Example:

        pressmark harvest profile show nls
    """
    with store_or_fail() as store:
        try:
            click.echo(json.dumps(Profiles(store).get(name).to_dict(), indent=2))
        except ProfileError as exc:
            raise click.ClickException(str(exc)) from exc


@profile_group.command("remove")
@click.argument("name")
@with_appcontext
def profile_remove(name: str) -> None:
    """Remove the import profile NAME (its run history stays).

    Example:

        pressmark harvest profile remove nls
    """
    with store_or_fail() as store:
        try:
            Profiles(store).remove(name)
        except ProfileError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"profile {name} removed")


def echo_harvest_report(report: HarvestReport) -> None:
    """Prints a run's summary, its errors and its first rejections."""
    click.echo(report.summary())
    for error in report.errors:
        click.echo(f"  error: {error}")
    for identifier, reason in report.rejections[:20]:
        click.echo(f"  rejected {identifier}: {reason}")
    if report.counts["rejected"] > 20:
        click.echo(f"  ... and {report.counts['rejected'] - 20} more rejections (see the log)")


def _run_one(store: Any, profile: Profile, full: bool) -> HarvestReport:
    with ExitStack() as stack:
        state: dict[str, Any] = {"advance": None, "done": 0}

        def progress(report: HarvestReport) -> None:
            if state["advance"] is None:
                total = report.complete_list_size or report.records
                state["advance"] = stack.enter_context(
                    progress_bar(total, f"{profile.name:<20.20}")
                )
            state["advance"](report.records - state["done"])
            state["done"] = report.records

        return harvest(
            store,
            profile,
            full=full,
            options=client_options(current_app.config),
            progress=progress,
        )
    raise AssertionError("unreachable")


def _due(profiles: Profiles, profile: Profile) -> bool:
    if not profile.interval or profiles.locked(profile.name):
        return False  # manual, or a live run is harvesting it now
    runs = profiles.runs(profile.name, limit=1)
    if not runs:
        return True
    if runs[0]["status"] != "done":
        return True  # resume what stopped
    return time.time() - runs[0]["started"] >= profile.interval * 60


@harvest_group.command("run")
@click.argument("names", nargs=-1)
@click.option("--full", is_flag=True, help="Harvest everything, not only changes since last run.")
@click.option("--due", is_flag=True, help="Run every profile whose interval has elapsed (cron).")
@with_appcontext
def run_command(names: tuple[str, ...], full: bool, due: bool) -> None:
    """Harvest the import profiles NAMES (or, with --due, the scheduled ones).

    A run that stopped (error, kill) is resumed from its last page. With --due, a profile that
    another process is harvesting now is left to that run. The exit status is 1 when a run failed.

    Example:

        pressmark harvest run nls
        pressmark harvest run --due     # from cron, e.g. every 10 minutes
    """
    if not names and not due:
        raise click.UsageError("name a profile, or use --due")
    failed = False
    with store_or_fail() as store:
        profiles = Profiles(store)
        try:
            chosen = [profiles.get(n) for n in names]
        except ProfileError as exc:
            raise click.ClickException(str(exc)) from exc
        if due:
            chosen += [p for p in profiles.all() if p.name not in names and _due(profiles, p)]
        for profile in chosen:
            try:
                report = _run_one(store, profile, full)
            except LockedError as exc:
                if profile.name in names:
                    raise click.ClickException(str(exc)) from exc
                # due, but another process started it meanwhile: that run does the work
                click.echo(f"skipped {profile.name}: {exc}", err=True)
                continue
            echo_harvest_report(report)
            failed = failed or not report.ok
    if failed:
        raise click.exceptions.Exit(1)


@harvest_group.command("runs")
@click.argument("name", required=False)
@click.option("--limit", default=20, show_default=True, help="How many runs.")
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
@with_appcontext
def runs_command(name: str | None, limit: int, as_json: bool) -> None:
    """Show the run history (of one profile, or of all), newest first.

    Example:

        pressmark harvest runs nls --limit 5
    """
    with store_or_fail() as store:
        runs = Profiles(store).runs(name, limit=limit)
    reports = [report_from_run(run) for run in runs]
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in reports], indent=2))
        return
    for run, report in zip(runs, reports, strict=True):
        started = datetime.fromtimestamp(run["started"], UTC).strftime("%Y-%m-%d %H:%M:%S")
        click.echo(f"{started}  {report.profile:<16} {report.summary()}")
        for error in report.errors:
            click.echo(f"    error: {error}")


commands = [harvest_group]
