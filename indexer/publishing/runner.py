"""Publishing to files: a profile's records, enriched and normalized, split into files, packed.

A **full** run writes every live record of the profile's selection. An **incremental** run (the
default once a run has succeeded) writes the records changed since the last successful run, from the
store's change log: live ones as they are now, deleted ones (and, for an OAI set, those that left
the set) with leader/05 = ``d`` and 001 = the MMS ID, as Alma's publishing does. With a CQL
selection, records that stopped matching the query are not reported (no membership history).

Each record goes through the same rendering as OAI-PMH's ``marc21`` (001 = MMS ID, source 001 in a
035, 852 and AVA/AVE/AVD as the profile asks; the stored blob is reused when the profile's
enrichment is the store's), then through the profile's normalization rules, then into the format:
MARCXML (a ``marc:collection``), binary MARC (records too long for ISO 2709 are skipped and
counted), or ``oai_dc`` (``<records>`` of ``oai_dc:dc``; a deleted record is
``<deleted identifier="MMS ID"/>``). Files are cut before ``max_file_bytes``; with ``compress`` they
are packed into one ``.tar.gz``.

A run holds its profile's lock (``indexer.publishing.runs``) from start to end. With an ``upload`` URL
the files are then sent to the server (``indexer.publishing.upload``); the run succeeds, and the profile moves
on to the changes after it, only when every file has arrived. A failed upload leaves the run
failed, its files in the directory and the profile where it was, so the next run writes the same
changes again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from pymarc import Field, Record

from indexer.marc.dublin_core import record_to_dc
from indexer.marc.inventory import EMPTY
from indexer.marc.marcxml import record_from_xml, record_to_xml
from indexer.marc.published import marc21_xml
from indexer.publishing.files import FileSplitter, pack
from indexer.publishing.profile import ProfileError, PublishProfile
from indexer.publishing.profiles import Profiles
from indexer.publishing.runs import PublishRun
from indexer.publishing.upload import UploadError, upload_files

if TYPE_CHECKING:
    from indexer.rules import RuleSet
    from indexer.store.records import RecordStore

logger = logging.getLogger(__name__)

_PAGE = 500
#: Seconds between two refreshes of a running run's lock heartbeat.
HEARTBEAT_SECONDS = 30.0


def _rows(store: RecordStore, where: str, args: list) -> Iterator[tuple]:
    """Yields (id, mms_id, deleted, marcxml, marc21 blob) in id order, reading pages."""
    last = 0
    while True:
        rows = store.conn.execute(
            "SELECT r.id, r.mms_id, r.deleted, r.marcxml, p.xml FROM records r"
            " LEFT JOIN published p ON p.record_id = r.id AND p.prefix = 'marc21'"
            f" WHERE r.id > ? AND ({where}) ORDER BY r.id LIMIT {_PAGE}",
            [last, *args],
        ).fetchall()
        yield from rows
        if len(rows) < _PAGE:
            return
        last = rows[-1][0]


def _ids_rows(store: RecordStore, mms_ids: list[str]) -> Iterator[tuple]:
    for start in range(0, len(mms_ids), _PAGE):
        chunk = mms_ids[start : start + _PAGE]
        yield from _rows(store, f"r.mms_id IN ({','.join('?' * len(chunk))})", chunk)


class _Selection:
    """Which records a profile publishes; ``removed`` holds the rows of records that left a set."""

    def __init__(
        self, store: RecordStore, profile: PublishProfile, search: Callable[[str], list[str]] | None
    ) -> None:
        self.store = store
        self.kind, _, self.value = profile.selection.partition(":")
        self.matches: set[str] | None = None
        if self.kind == "cql":
            if search is None:
                raise ProfileError("a CQL selection needs the search index")
            self.matches = set(search(self.value))

    def full(self) -> Iterator[tuple]:
        if self.kind == "set":
            return _rows(
                self.store,
                "r.deleted = 0 AND r.id IN (SELECT record_id FROM set_members"
                " WHERE set_spec = ? AND removed = 0)",
                [self.value],
            )
        if self.kind == "cql":
            return _ids_rows(self.store, sorted(self.matches or ()))
        return _rows(self.store, "r.deleted = 0", [])

    def classify(self, row: tuple) -> str | None:
        """Returns ``live``, ``deleted`` or None (not published) for a changed record's row."""
        rec_id, mms_id, deleted = row[0], row[1], row[2]
        if self.kind == "set":
            member = self.store.conn.execute(
                "SELECT removed FROM set_members WHERE set_spec = ? AND record_id = ?",
                (self.value, rec_id),
            ).fetchone()
            if member is None:
                return None
            return "deleted" if deleted or member[0] else "live"
        if deleted:
            return "deleted"
        if self.matches is not None and mms_id not in self.matches:
            return None
        return "live"


def _deleted_record(marcxml: bytes, mms_id: str) -> Record:
    record = record_from_xml(marcxml)
    leader = str(record.leader)
    record.leader = leader[:5] + "d" + leader[6:]
    record.fields = [Field(tag="001", data=mms_id)] + [f for f in record.fields if f.tag != "001"]
    return record


class _Renderer:
    """Turns a row into the bytes of the profile's format."""

    def __init__(self, store: RecordStore, profile: PublishProfile, rules: RuleSet | None) -> None:
        self.store, self.profile, self.rules = store, profile, rules
        self.options = replace(
            store.publish_options,
            holdings_852=profile.holdings_852,
            availability=profile.availability,
            rules=None,
        )
        own = store.publish_options
        # the stored blob carries the OAI-PMH rules when there are some: a profile must not inherit them
        self.reuse = (
            (own.holdings_852, own.availability) == (profile.holdings_852, profile.availability)
            and "marc21" in own.prefixes
            and getattr(own, "rules", None) is None
        )

    def published(self, row: tuple) -> bytes:
        rec_id, mms_id, _, marcxml, blob = row
        if self.reuse and blob is not None:
            return blob
        source = record_from_xml(marcxml)
        wants = self.options.holdings_852 or self.options.availability
        inventory = self.store.inventory.of_record(rec_id) if wants else EMPTY
        return marc21_xml(source, mms_id, inventory, self.options)

    def render(self, row: tuple, state: str) -> bytes | None:
        """Returns the record's bytes, or None when it cannot be written in the format."""
        mms_id = row[1]
        if state == "deleted":
            if self.profile.format == "oai_dc":
                return f'<deleted identifier="{mms_id}"/>'.encode()
            record = _deleted_record(row[3], mms_id)
        else:
            blob = self.published(row)
            if self.rules is None and self.profile.format == "marcxml":
                return blob
            record = record_from_xml(blob)
            if self.rules is not None:
                record = self.rules.apply(record)
        if self.profile.format == "oai_dc":
            return record_to_dc(record)
        if self.profile.format == "marc":
            data = record.as_marc()
            return data if len(data) <= 99999 else None
        return record_to_xml(record)


class _Heartbeat:
    """Refreshes a run's lock heartbeat, at most every ``HEARTBEAT_SECONDS``."""

    def __init__(self, profiles: Profiles, run_id: int) -> None:
        self.profiles, self.run_id = profiles, run_id
        self.last = time.monotonic()

    def __call__(self) -> None:
        now = time.monotonic()
        if now - self.last >= HEARTBEAT_SECONDS:
            self.last = now
            self.profiles.beat(self.run_id)


def _stem(directory: Path, name: str, mode: str, run_id: int) -> str:
    stamp = time.strftime("%Y%m%d_%H%M%S", time.gmtime())
    stem = f"{name}_{stamp}_{mode}"
    if any(directory.glob(f"{stem}[_.]*")):
        stem = f"{name}_{stamp}-{run_id}_{mode}"  # a run in the same second: keep its files
    return stem


def _write(
    store: RecordStore,
    profile: PublishProfile,
    rules: RuleSet | None,
    search: Callable[[str], list[str]] | None,
    splitter: FileSplitter,
    counts: dict[str, int],
    progress: Callable[[int], None],
    to_seq: int,
    full: bool,
) -> list[Path]:
    """Writes the run's records (counting them in ``counts``); returns the files, packed or not."""
    selection = _Selection(store, profile, search)
    renderer = _Renderer(store, profile, rules)
    if full:
        targets: Iterator[tuple[tuple, str]] = ((row, "live") for row in selection.full())
    else:
        targets = _changed(store, selection, profile.last_seq, to_seq)
    pending = 0
    for row, state in targets:
        data = renderer.render(row, state)
        if data is None:
            counts["skipped"] += 1
        else:
            splitter.write(data)
            counts[state] += 1
        pending += 1
        if pending == _PAGE:
            progress(pending)
            pending = 0
    if pending:
        progress(pending)
    splitter.close()
    files = splitter.files
    if profile.compress and files:
        files = pack(splitter.directory, splitter.stem, files)
    return files


def run_profile(
    store: RecordStore,
    name: str,
    *,
    full: bool = False,
    search: Callable[[str], list[str]] | None = None,
    progress: Callable[[int], None] | None = None,
) -> PublishRun:
    """Runs a profile: full on its first run or when asked, else incremental; then uploads.

    ``search`` turns a CQL query into MMS IDs (for ``cql:`` selections); ``progress`` is called
    with the number of records handled since its last call. Returns the run as the history keeps it.
    Every failure is recorded in the history before it is raised.

    Raises:
        ProfileError: unknown profile, rules that do not compile, unwritable directory.
        LockedError: another run of the profile is in progress.
        UploadError: a file did not reach the upload server; the files stay in the directory.
    """
    profiles = Profiles(store)
    profile = profiles.get(name)
    if profile is None:
        raise ProfileError(f"no publishing profile {name!r}")
    rules = profile.rule_set()
    upload = profile.upload_settings()
    directory = Path(profile.output)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ProfileError(f"cannot create {directory}: {exc.strerror or exc}") from exc
    to_seq = store.last_change()
    mode = "full" if full or profile.last_seq == 0 else "incremental"
    run_id = profiles.start_run(profile, mode, to_seq)
    run = PublishRun(
        run_id,
        name,
        mode,
        int(time.time()),
        None,
        "running",
        from_seq=profile.last_seq,
        to_seq=to_seq,
    )
    beat = _Heartbeat(profiles, run_id)
    stem = _stem(directory, name, mode, run_id)
    splitter = FileSplitter(directory, stem, profile.format, profile.max_file_bytes)
    counts = {"live": 0, "deleted": 0, "skipped": 0}

    def advance(handled: int) -> None:
        beat()
        if progress:
            progress(handled)

    try:
        files = _write(
            store, profile, rules, search, splitter, counts, advance, to_seq, mode == "full"
        )
        run = replace(run, files=[str(p) for p in files])
        if upload is not None and files:
            run = replace(run, uploads=upload_files(upload, files, beat))
        run = replace(run, status="done")
    except BaseException as exc:  # record every failure, even an interrupt, then pass it on
        splitter.close()
        run = replace(
            run,
            status="failed",
            message=str(exc) or type(exc).__name__,
            uploads=exc.uploaded if isinstance(exc, UploadError) else run.uploads,
        )
        raise
    finally:
        run = replace(
            run, records=counts["live"], deleted=counts["deleted"], skipped=counts["skipped"]
        )
        profiles.finish_run(run)
    logger.info(
        "published %s (%s): %d records, %d deleted, %d skipped, %d files uploaded",
        name,
        mode,
        run.records,
        run.deleted,
        run.skipped,
        len(run.uploads),
    )
    return run


def _changed(
    store: RecordStore, selection: _Selection, since: int, until: int
) -> Iterator[tuple[tuple, str]]:
    """Yields (row, state) of each record changed in (since, until], once, in id order."""
    ids: list[str] = []
    seq = since
    while seq < until:
        batch = store.changes_since(seq, 5000)
        batch = [c for c in batch if c[0] <= until]
        if not batch:
            break
        ids += [mms_id for _, mms_id, _ in batch]
        seq = batch[-1][0]
    for row in _ids_rows(store, sorted(dict.fromkeys(ids))):
        state = selection.classify(row)
        if state is not None:
            yield row, state
