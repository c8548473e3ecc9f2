"""Backups of the record store: a consistent copy of the SQLite database while the service runs.

SQLite's online backup copies the database as one read transaction, so the copy is the store as it
was at one moment, whatever other processes write meanwhile (in WAL mode writers do not wait for it).
The copy is written beside the target as ``NAME.part``, checked with ``PRAGMA integrity_check``,
given a store identity of its own, switched out of WAL mode (one self-contained file), and only then
renamed to the target: a backup that fails leaves no file that looks finished. The search index is
not backed up: it derives from the store, and the index of another store identity (a restored
backup) is rebuilt by :func:`indexer.search.index.update`.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from indexer.store.schema import StoreError

if TYPE_CHECKING:
    from indexer.store.records import RecordStore

logger = logging.getLogger(__name__)

PART_SUFFIX = ".part"


@dataclass(frozen=True)
class BackupReport:
    """What a backup wrote."""

    path: Path
    records: int
    bytes: int
    seconds: float

    def summary(self) -> str:
        """Returns one line for staff."""
        return (
            f"backed up {self.records} records to {self.path} "
            f"({self.bytes / 1_000_000:.1f} MB in {self.seconds:.1f} s)"
        )


def backup(store: RecordStore, target: str | Path, *, replace: bool = False) -> BackupReport:
    """Writes a consistent copy of the store's database to ``target``.

    Raises:
        StoreError: ``target`` exists (and ``replace`` is false), cannot be written, or the copy
            fails its integrity check.
    """
    target = Path(target)
    if target.exists() and not replace:
        raise StoreError(f"{target} exists: give a new file name, or replace it")
    part = target.with_name(target.name + PART_SUFFIX)
    started = time.monotonic()
    try:
        part.unlink(missing_ok=True)
        copy = sqlite3.connect(part, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"cannot write {part}: {exc}") from exc
    finished = False
    try:
        store.conn.backup(copy)  # all pages in one step: one read transaction, one snapshot
        check = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise StoreError(f"the copy in {part} fails its integrity check: {check}")
        # a store restored from this copy is not the live store: the search index tells them apart
        copy.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('store_id', ?)", (uuid.uuid4().hex,)
        )
        copy.execute("PRAGMA journal_mode = DELETE")
        records = copy.execute("SELECT COUNT(*) FROM records WHERE deleted = 0").fetchone()[0]
        copy.close()
        with open(part, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(part, target)
        finished = True
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"backup to {target} failed: {exc}") from exc
    finally:
        copy.close()
        if not finished:
            part.unlink(missing_ok=True)
    report = BackupReport(target, records, target.stat().st_size, time.monotonic() - started)
    logger.info("%s", report.summary())
    return report
