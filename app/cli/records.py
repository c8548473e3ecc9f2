"""Commands on the catalogue's records: init, load, inventory, item, export, stats, serve."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from pymarc import Record
from werkzeug.serving import run_simple

from app.cli.common import progress_bar, read_text_file, store_or_fail
from app.cli.index import bring_index_up_to_date
from app.cli.sets import sync_sets
from app.resources import open_store
from indexer.load.inventory import load_inventory
from indexer.load.records import LoadReport, load_file
from indexer.marc.reader import count_records
from indexer.rules import compile_rules
from indexer.store import matching
from indexer.store.export import export_records
from indexer.store.inventory import InventoryError
from indexer.store.records import RecordStore
from indexer.store.schema import StoreError

MARC_SUFFIXES = {".mrc", ".marc", ".dat", ".xml", ".mrx", ".gz"}


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
    after_records_change()


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
    after_records_change()


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


def after_records_change() -> None:
    """Brings the search index up to date, then the configured and query sets (after init, load)."""
    bring_index_up_to_date()
    sync_sets()


#: The commands of this module, in the order ``pressmark --help`` lists them.
commands = [
    init_command,
    load_command,
    inventory_command,
    item_command,
    export_command,
    stats_command,
    serve_command,
]
