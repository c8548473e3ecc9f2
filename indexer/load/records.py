"""Load MARC files into the record store, with a report of what happened to every record."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pymarc import Record

from indexer.load.inventory import HOLDINGS_TYPES, attach_holdings_record
from indexer.marc.reader import Entry, read_file
from indexer.store import matching
from indexer.store.inventory import InventoryError
from indexer.store.records import RecordStore

logger = logging.getLogger(__name__)

#: Records written per transaction: short enough that a datestamp is never older than a second or so
#: when its transaction commits, long enough to amortize the commit.
BATCH_SIZE = 250
#: Rejections kept in a report; the count goes on past it.
MAX_REPORTED = 1000


@dataclass
class Rejection:
    """A record that was not loaded: where it was and why."""

    source: str
    position: int
    offset: int
    reason: str

    def __str__(self) -> str:
        unit = "line" if self.source.lower().endswith((".xml", ".xml.gz", ".mrx")) else "byte"
        return f"{self.source}: record {self.position} ({unit} {self.offset}): {self.reason}"


@dataclass
class LoadReport:
    """Counts of a load: new, updated, unchanged, deleted, ignored (deletions of unknown records),
    rejected, and holdings (MFHD records attached as inventory)."""

    counts: Counter = field(default_factory=Counter)
    rejections: list[Rejection] = field(default_factory=list)
    warnings: int = 0

    @property
    def rejected(self) -> int:
        return self.counts["rejected"]

    @property
    def read(self) -> int:
        return sum(self.counts.values())

    def reject(self, rejection: Rejection) -> None:
        self.counts["rejected"] += 1
        logger.warning("rejected %s", rejection)
        if len(self.rejections) < MAX_REPORTED:
            self.rejections.append(rejection)

    def summary(self) -> str:
        """Returns the counts as one line: ``3 new, 1 updated, ...``."""
        parts = ["new", "updated", "unchanged", "deleted", "ignored", "rejected"]
        line = ", ".join(f"{self.counts[p]} {p}" for p in parts)
        if self.counts["holdings"]:
            line += f"; {self.counts['holdings']} holdings records attached to their bibs"
        return line


def store_entries(
    store: RecordStore,
    entries: Iterable[Entry],
    source: str,
    *,
    match: Sequence[str] = matching.DEFAULT_METHODS,
    report: LoadReport | None = None,
    progress: Callable[[int], None] | None = None,
    prepare: Callable[[Record], Record] | None = None,
) -> LoadReport:
    """Writes the records of ``entries`` to the store in batches; counts rejections and outcomes."""
    report = report or LoadReport()
    pending: list[Entry] = []

    def _attach(entry: Entry, record: Record) -> None:
        # a holdings record (MFHD) among the bibs: inventory of the bib its 004 names
        try:
            attach_holdings_record(store, record)
        except InventoryError as exc:
            report.reject(
                Rejection(source, entry.position, entry.offset, f"holdings record: {exc}")
            )
        else:
            report.counts["holdings"] += 1

    def flush() -> None:
        with store.batch():
            for entry in pending:
                assert entry.record is not None
                record = prepare(entry.record) if prepare else entry.record
                if record.leader[6] in HOLDINGS_TYPES:
                    _attach(entry, record)
                    continue
                result = store.put(record, match=match, source=source)
                report.counts[result.status] += 1
        if progress:
            progress(len(pending))
        pending.clear()

    for entry in entries:
        if entry.record is None:
            report.reject(
                Rejection(source, entry.position, entry.offset, entry.error or "unreadable")
            )
            if progress:
                progress(1)
            continue
        if entry.warnings:
            report.warnings += 1
            logger.debug("%s record %d: %s", source, entry.position, "; ".join(entry.warnings))
        pending.append(entry)
        if len(pending) >= BATCH_SIZE:
            flush()
    if pending:
        flush()
    return report


def load_file(
    store: RecordStore,
    path: str | Path,
    *,
    match: Sequence[str] = matching.DEFAULT_METHODS,
    report: LoadReport | None = None,
    progress: Callable[[int], None] | None = None,
    prepare: Callable[[Record], Record] | None = None,
) -> LoadReport:
    """Loads one binary MARC or MARCXML file (gzipped or not) into the store.

    ``prepare`` changes each record before it is stored (normalization rules on import).

    Raises:
        OSError: the file cannot be opened or read.
        StoreError: the store is locked or cannot be written.
    """
    path = Path(path)
    report = store_entries(
        store,
        read_file(path),
        path.name,
        match=match,
        report=report,
        progress=progress,
        prepare=prepare,
    )
    logger.info("loaded %s: %s", path, report.summary())
    return report
