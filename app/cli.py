"""The ``pressmark`` command line: the staff's way to load, inspect and republish the catalogue."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from pymarc import Record
from werkzeug.serving import run_simple

from app import create_app, optional_modules
from app.resources import open_store
from indexer import matching
from indexer.inventory_load import load_inventory
from indexer.inventory_store import InventoryError
from indexer.load import LoadReport, load_file
from indexer.marc import count_records
from indexer.rules import compile_rules
from indexer.store import RecordStore, StoreError

MARC_SUFFIXES = {".mrc", ".marc", ".dat", ".xml", ".mrx", ".gz"}


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


def _marc_files(paths: tuple[Path, ...]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix.lower() in MARC_SUFFIXES)
        else:
            files.append(path)
    return files


def load_files(
    store: RecordStore,
    files: list[Path],
    match: tuple[str, ...],
    prepare: Callable[[Record], Record] | None = None,
) -> LoadReport:
    """Loads files one after the other into one report, with a progress bar per file."""
    report = LoadReport()
    for path in files:
        try:
            total = count_records(path)
            with progress_bar(total, f"{path.name:<28.28}") as advance:
                load_file(
                    store, path, match=match, report=report, progress=advance, prepare=prepare
                )
        except OSError as exc:
            raise click.ClickException(f"cannot read {path}: {exc.strerror or exc}") from exc
    return report


def echo_report(report: LoadReport, seconds: float) -> None:
    """Prints a load summary and the first rejections."""
    rate = report.read / seconds if seconds > 0 else 0.0
    click.echo(f"{report.read} records read in {seconds:.1f} s ({rate:.0f}/s): {report.summary()}")
    for rejection in report.rejections[:20]:
        click.echo(f"  rejected {rejection}")
    if report.rejected > 20:
        click.echo(f"  ... and {report.rejected - 20} more rejections (see the log)")


@click.command("init")
@click.option("--no-samples", is_flag=True, help="Create an empty store; load nothing.")
@with_appcontext
def init_command(no_samples: bool) -> None:
    """Create the record store and load the sample records with their inventory.

    Running it again is safe: records and inventory already loaded are matched, not duplicated.

    Example:

        pressmark init
    """
    config = current_app.config
    with store_or_fail(create=True) as store:
        click.echo(f"record store: {config['DATABASE']}")
        if no_samples:
            return
        sample_dir = Path(config["SAMPLE_DIR"])
        files = _marc_files((sample_dir,))
        if not files:
            raise click.ClickException(f"no MARC files in {sample_dir}")
        started = time.monotonic()
        report = load_files(store, files, matching.parse_methods(config["LOAD_MATCH"]))
        echo_report(report, time.monotonic() - started)
        for csv_path in sorted(sample_dir.glob("*.csv")):
            counts = load_inventory(store, csv_path)
            click.echo(f"inventory {csv_path.name}: {counts.summary()}")
    _run_hooks("after_init")


@click.command("load")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--match",
    help="Match methods in order, e.g. 001,035,isbn; 'none' always adds. "
    "Default: the LOAD_MATCH setting.",
)
@click.option(
    "--rules",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Normalization rule file applied to each record before it is stored.",
)
@with_appcontext
def load_command(files: tuple[Path, ...], match: str | None, rules: Path | None) -> None:
    """Load binary MARC (.mrc) or MARCXML files, plain or gzipped, into the store.

    Each record overlays the stored record it matches (see --match) or is added. Bad records are
    skipped and listed with their position; the load goes on.

    Example:

        pressmark load catalogue.mrc updates.xml.gz --match 001,isbn --rules import.rules
    """
    for path in files:
        if not path.exists():
            raise click.ClickException(f"no such file: {path}")
    try:
        methods = matching.parse_methods(match or current_app.config["LOAD_MATCH"])
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--match") from exc
    prepare = None
    if rules is not None:
        try:
            prepare = compile_rules(read_text_file(rules)).apply
        except ValueError as exc:
            raise click.ClickException(f"{rules}: {exc}") from exc
    with store_or_fail() as store:
        started = time.monotonic()
        report = load_files(store, _marc_files(files), methods, prepare)
        echo_report(report, time.monotonic() - started)
    _run_hooks("after_load")


@click.command("inventory")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@with_appcontext
def inventory_command(files: tuple[Path, ...]) -> None:
    """Load holdings, items, portfolios and representations from CSV or MFHD MARC files.

    The CSV format is described in the README ("Inventory files").

    Example:

        pressmark inventory items.csv holdings.mrc
    """
    with store_or_fail() as store:
        for path in files:
            try:
                counts = load_inventory(store, path)
            except (OSError, ValueError) as exc:
                raise click.ClickException(f"{path}: {exc}") from exc
            click.echo(f"{path.name}: {counts.summary()}")
            for problem in counts.problems[:20]:
                click.echo(f"  {problem}")


@click.command("item")
@click.argument("item")
@click.argument("status", type=click.Choice(["available", "loaned", "missing"]))
@with_appcontext
def item_command(item: str, status: str) -> None:
    """Change an item's status (by barcode or item id): a loan, a return, a missing copy.

    Example:

        pressmark item 39001001 loaned
    """
    with store_or_fail() as store:
        try:
            mms_id = store.inventory.set_item_status(item, status)
        except InventoryError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"item {item} is {status} (record {mms_id})")


@click.command("export")
@click.option(
    "--output", "-o", type=click.Path(path_type=Path), help="File to write (default: stdout)."
)
@click.option(
    "--format",
    "format_",
    type=click.Choice(["marcxml", "marc", "published"]),
    default="marcxml",
    show_default=True,
    help="marcxml: stored records; marc: binary ISO 2709; published: OAI marc21 blobs.",
)
@click.option(
    "--include-deleted", is_flag=True, help="Also export deleted records (leader/05 = d)."
)
@with_appcontext
def export_command(output: Path | None, format_: str, include_deleted: bool) -> None:
    """Write every record of the store to one file, in MMS ID order.

    Example:

        pressmark export --format marc -o catalogue.mrc
    """
    from indexer.export import export_records

    with store_or_fail() as store:
        stream = open(output, "wb") if output else sys.stdout.buffer  # noqa: SIM115
        try:
            counts = export_records(store, stream, format_, include_deleted=include_deleted)
        finally:
            if output:
                stream.close()
    click.echo(f"exported {counts['written']} records, skipped {counts['skipped']}", err=True)


@click.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of lines.")
@with_appcontext
def stats_command(as_json: bool) -> None:
    """Show counts of records, deletions, sets, inventory and changes.

    Example:

        pressmark stats
    """
    with store_or_fail() as store:
        stats = store.stats()
    if as_json:
        click.echo(json.dumps(stats, indent=2))
        return
    for key, value in stats.items():
        click.echo(f"{key:<20} {value}")


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
        from app.commands_publish import run_command

        click.get_current_context().invoke(run_command, names=(profile,), full=True, due=False)
        return
    from indexer.republish import republish, selected_ids

    with store_or_fail() as store:
        try:
            ids = selected_ids(store, set_spec)
            with progress_bar(len(ids), "republishing") as advance:
                report = republish(store, set_spec=set_spec, force=force, progress=advance, ids=ids)
        except StoreError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(report.summary())


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Run the development server (use gunicorn in production, see the README).

    Example:

        pressmark serve --port 8080
    """
    try:
        open_store(current_app.config).close()
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    # Flask ignores app.run() under its own CLI, so serve through werkzeug directly
    click.echo(f"serving on http://{host}:{port}/ (development server; use gunicorn in production)")
    run_simple(host, port, current_app._get_current_object(), threaded=True, use_reloader=False)


#: Command modules of the other stages; each defines ``commands`` (a list) and may define hooks.
PLUGIN_MODULES = (
    "app.commands_backup",
    "app.commands_index",
    "app.commands_harvest",
    "app.commands_publish",
    "app.commands_sets",
)


def _plugins() -> list:
    return optional_modules(PLUGIN_MODULES)


def _run_hooks(name: str) -> None:
    for module in _plugins():
        hook = getattr(module, name, None)
        if hook is not None:
            hook()


def init_app(app: Flask) -> None:
    """Adds the commands to ``app.cli`` (so ``flask --app app`` and the test runner have them)."""
    for command in (
        init_command,
        load_command,
        inventory_command,
        item_command,
        export_command,
        stats_command,
        republish_command,
        serve_command,
    ):
        app.cli.add_command(command)
    for module in _plugins():
        for command in module.commands:
            app.cli.add_command(command)


#: The ``pressmark`` script: a FlaskGroup that loads the app's commands.
main = FlaskGroup(
    create_app=create_app,
    add_default_commands=False,
    help="Pressmark: publish a library catalogue over OAI-PMH and SRU, harvest others into it.",
)
