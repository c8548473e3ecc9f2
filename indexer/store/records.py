"""RecordStore: the catalogue's source of truth (SQLite, WAL mode).

Every write runs in a transaction that holds SQLite's write lock (``BEGIN IMMEDIATE``): a process killed
in the middle of a load leaves each record either as it was or as it became. ``batch()`` groups many
writes in one transaction; outside a batch each write is its own.

Each change that alters what is published gives the record a new datestamp, strictly greater than the
old one (``max(now, old + 1)``), and appends a row to the change log (``changes``), whose sequence
numbers let the index and publishing follow the store incrementally.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pymarc import Record

from indexer.marc.inventory import EMPTY
from indexer.marc.marcxml import record_from_xml, record_to_xml
from indexer.marc.published import PublishOptions, render
from indexer.store import matching
from indexer.store.inventory import InventoryStore
from indexer.store.lists import ListedRecord, SetsAndLists
from indexer.store.schema import StoreError, connect

logger = logging.getLogger(__name__)

__all__ = ["ListedRecord", "PutResult", "RecordStore", "StoreError", "StoredRecord"]


@dataclass(frozen=True)
class StoredRecord:
    """A record as the store holds it: what OAI-PMH adds around the MARC."""

    identifier: str
    datestamp: datetime
    sets: tuple[str, ...]
    deleted: bool
    marc: Record


@dataclass(frozen=True)
class PutResult:
    """What a put did: ``new``, ``updated``, ``unchanged``, ``deleted`` or ``ignored``."""

    status: str
    identifier: str | None


def _mark_unicode(record: Record) -> None:
    """Sets leader/09 to ``a``: the store holds Unicode whatever the source encoding was."""
    if len(str(record.leader)) == 24 and record.leader[9] != "a":
        record.leader = record.leader[:9] + "a" + record.leader[10:]


def to_datetime(seconds: int) -> datetime:
    """Returns a store datestamp (epoch seconds) as an aware UTC datetime."""
    return datetime.fromtimestamp(seconds, UTC)


class RecordStore(SetsAndLists):
    """Records, sets, inventory and the change log in one SQLite file."""

    def __init__(
        self,
        path: str | Path,
        *,
        create: bool = False,
        publish: PublishOptions | None = None,
        institution_suffix: str = "0101",
        timeout: float = 10.0,
    ) -> None:
        self.path = Path(path)
        self.conn = connect(self.path, create=create, timeout=timeout)
        self.publish_options = publish or PublishOptions()
        self._depth = 0
        self._stamped = set()
        if create:
            self.conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('institution_suffix', ?)",
                (institution_suffix,),
            )
        row = self.conn.execute(
            "SELECT value FROM meta WHERE key = 'institution_suffix'"
        ).fetchone()
        self.suffix = row[0] if row else institution_suffix
        self.inventory = InventoryStore(self)

    def close(self) -> None:
        """Closes the database connection."""
        self.conn.close()

    def __enter__(self) -> RecordStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # transactions ----------------------------------------------------------------------------------

    @contextmanager
    def batch(self) -> Iterator[RecordStore]:
        """Runs the writes inside the block in one transaction (nested blocks join the outer one).

        Raises:
            StoreError: the database stays locked by another writer past the busy timeout.
        """
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(f"{self.path} is locked by another writer: {exc}") from exc
        self._depth = 1
        self._stamped: set[int] = set()
        try:
            yield self
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            if self._stamped:
                # stamp at commit: a harvester sees these rows only from now on, so no datestamp
                # may be older than the commit (a batch can run across a second boundary)
                now = int(time.time())
                ids = sorted(self._stamped)
                for start in range(0, len(ids), 500):
                    chunk = ids[start : start + 500]
                    self.conn.execute(
                        f"UPDATE records SET datestamp = {now} WHERE datestamp < {now}"
                        f" AND id IN ({','.join('?' * len(chunk))})",
                        chunk,
                    )
            self.conn.execute("COMMIT")
        finally:
            self._depth = 0

    def make_id(self, prefix: str, number: int) -> str:
        """Returns an Alma-style identifier: ``prefix``, the row number, the institution suffix."""
        return f"{prefix}{number}{self.suffix}"

    def _next_datestamp(self, rec_id: int, old: int | None) -> int:
        """Returns the record's new datestamp: ``max(now, old + 1)``, once per transaction.

        Changes made in one transaction become visible together, so a record changed several times
        in it (a record with many items in an inventory file) needs one new datestamp, not several
        that would run ahead of the clock.
        """
        if old is not None and rec_id in self._stamped:
            return old
        self._stamped.add(rec_id)
        now = int(time.time())
        return now if old is None else max(now, old + 1)

    def log_change(self, record_id: int, kind: str) -> None:
        """Appends a change of ``record_id`` to the change log (call inside a batch)."""
        self.conn.execute(
            "INSERT INTO changes (record_id, kind, at) VALUES (?, ?, ?)",
            (record_id, kind, int(time.time())),
        )

    # records -------------------------------------------------------------------------------------

    def put(
        self,
        record: Record,
        *,
        match: Sequence[str] = matching.DEFAULT_METHODS,
        source: str | None = None,
        oai_identifier: str | None = None,
        same_content: bool = True,
    ) -> PutResult:
        """Stores ``record``: overlays the first stored record it matches, else adds it.

        With ``same_content`` (and any match method), a record identical to a stored one matches it
        even with no key in common, so that loading a file again changes nothing.
        A record with leader/05 = ``d`` deletes the record it matches (``ignored`` when none does).
        Leader/09 is set to ``a``: the store holds Unicode whatever the source encoding was.
        """
        _mark_unicode(record)
        is_delete = record.leader[5] == "d"
        xml = record_to_xml(record)
        digest = hashlib.sha1(xml).hexdigest()
        keys = matching.match_keys(record, matching.METHODS, oai_identifier)
        with self.batch():
            existing = self._find_match(record, keys, match, digest, same_content)
            if existing is None:
                if is_delete:
                    return PutResult("ignored", None)
                return PutResult("new", self._insert(record, xml, digest, keys, source))
            rec_id, mms_id, old_stamp, old_deleted, old_digest = existing
            if is_delete:
                if old_deleted:
                    return PutResult("unchanged", mms_id)
                self._mark_deleted(rec_id, old_stamp, xml, digest)
                return PutResult("deleted", mms_id)
            if digest == old_digest and not old_deleted:
                return PutResult("unchanged", mms_id)
            self.conn.execute(
                "UPDATE records SET marcxml = ?, digest = ?, deleted = 0, datestamp = ?,"
                " source = COALESCE(?, source) WHERE id = ?",
                (xml, digest, self._next_datestamp(rec_id, old_stamp), source, rec_id),
            )
            self._save_keys(rec_id, keys)
            self.inventory.holdings_from_852(rec_id, record)
            self._render(rec_id, mms_id, record)
            self.log_change(rec_id, "update")
            return PutResult("updated", mms_id)

    def find(
        self,
        record: Record,
        *,
        match: Sequence[str] = matching.DEFAULT_METHODS,
        oai_identifier: str | None = None,
        same_content: bool = True,
    ) -> str | None:
        """Returns the MMS ID of the stored record that ``record`` would overlay, or None."""
        _mark_unicode(record)
        keys = matching.match_keys(record, matching.METHODS, oai_identifier)
        digest = hashlib.sha1(record_to_xml(record)).hexdigest()
        row = self._find_match(record, keys, match, digest, same_content)
        return row[1] if row else None

    def _find_match(
        self,
        record: Record,
        keys: list[tuple[str, str]],
        methods: Sequence[str],
        digest: str,
        same_content: bool,
    ) -> tuple | None:
        select = "SELECT id, mms_id, datestamp, deleted, digest FROM records"
        for method in methods:
            if method == "001":
                f001 = record.get("001")
                if f001 is not None and f001.data:
                    row = self.conn.execute(
                        f"{select} WHERE mms_id = ?", (f001.data.strip(),)
                    ).fetchone()
                    if row:
                        return row
            wanted = [key for m, key in keys if m == method]
            if not wanted:
                continue
            marks = ",".join("?" * len(wanted))
            row = self.conn.execute(
                f"{select} WHERE id = (SELECT MIN(record_id) FROM match_keys"
                f" WHERE method = ? AND key IN ({marks}))",
                (method, *wanted),
            ).fetchone()
            if row:
                return row
        if methods and same_content:
            # the same record loaded again, even one with no key at all, is the same record
            return self.conn.execute(
                f"{select} WHERE digest = ? ORDER BY id LIMIT 1", (digest,)
            ).fetchone()
        return None

    def _insert(
        self,
        record: Record,
        xml: bytes,
        digest: str,
        keys: list[tuple[str, str]],
        source: str | None,
    ) -> str:
        rec_id = self.conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM records").fetchone()[0]
        mms_id = self.make_id("99", rec_id)
        now = self._next_datestamp(rec_id, None)
        self.conn.execute(
            "INSERT INTO records (id, mms_id, datestamp, deleted, marcxml, digest, source, created)"
            " VALUES (?, ?, ?, 0, ?, ?, ?, ?)",
            (rec_id, mms_id, now, xml, digest, source, now),
        )
        self._save_keys(rec_id, keys)
        self.inventory.holdings_from_852(rec_id, record)
        self._render(rec_id, mms_id, record)
        self.log_change(rec_id, "new")
        return mms_id

    def _save_keys(self, rec_id: int, keys: list[tuple[str, str]]) -> None:
        self.conn.execute("DELETE FROM match_keys WHERE record_id = ?", (rec_id,))
        self.conn.executemany(
            "INSERT OR IGNORE INTO match_keys (method, key, record_id) VALUES (?, ?, ?)",
            [(m, k, rec_id) for m, k in keys],
        )

    def _mark_deleted(self, rec_id: int, old_stamp: int, xml: bytes, digest: str) -> None:
        self.conn.execute(
            "UPDATE records SET deleted = 1, datestamp = ?, marcxml = ?, digest = ? WHERE id = ?",
            (self._next_datestamp(rec_id, old_stamp), xml, digest, rec_id),
        )
        self.conn.execute("DELETE FROM published WHERE record_id = ?", (rec_id,))
        self.log_change(rec_id, "delete")

    def _render(self, rec_id: int, mms_id: str, record: Record | None = None) -> bool:
        """Re-renders the published XML of a live record; returns whether any blob changed."""
        if record is None:
            record = record_from_xml(
                self.conn.execute("SELECT marcxml FROM records WHERE id = ?", (rec_id,)).fetchone()[
                    0
                ]
            )
        inventory = self.inventory.of_record(rec_id) if self._has_inventory(rec_id) else EMPTY
        blobs = render(record, mms_id, inventory, self.publish_options)
        old = dict(
            self.conn.execute("SELECT prefix, xml FROM published WHERE record_id = ?", (rec_id,))
        )
        if old == blobs:
            return False
        self.conn.execute("DELETE FROM published WHERE record_id = ?", (rec_id,))
        self.conn.executemany(
            "INSERT INTO published (record_id, prefix, xml) VALUES (?, ?, ?)",
            [(rec_id, prefix, xml) for prefix, xml in blobs.items()],
        )
        return True

    def _has_inventory(self, rec_id: int) -> bool:
        return bool(
            self.conn.execute(
                "SELECT 1 FROM holdings WHERE record_id = ?1 UNION ALL"
                " SELECT 1 FROM portfolios WHERE record_id = ?1 UNION ALL"
                " SELECT 1 FROM representations WHERE record_id = ?1 LIMIT 1",
                (rec_id,),
            ).fetchone()
        )

    def touch(self, rec_id: int, kind: str) -> bool:
        """Re-renders a record after a change around it (inventory, sets); bumps it if published changed.

        Returns whether the datestamp was bumped. Call inside a batch.
        """
        row = self.conn.execute(
            "SELECT mms_id, datestamp, deleted FROM records WHERE id = ?", (rec_id,)
        ).fetchone()
        if row is None:
            return False
        mms_id, stamp, deleted = row
        changed = kind == "sets" or (not deleted and self._render(rec_id, mms_id))
        if changed:
            self.conn.execute(
                "UPDATE records SET datestamp = ? WHERE id = ?",
                (self._next_datestamp(rec_id, stamp), rec_id),
            )
        self.log_change(rec_id, kind)
        return changed

    def delete(self, mms_id: str) -> bool:
        """Deletes a record, keeping its tombstone; returns False when it was absent or deleted."""
        with self.batch():
            row = self.conn.execute(
                "SELECT id, datestamp, deleted, marcxml, digest FROM records WHERE mms_id = ?",
                (mms_id,),
            ).fetchone()
            if row is None or row[2]:
                return False
            self._mark_deleted(row[0], row[1], row[3], row[4])
            return True

    def record_id(self, mms_id: str) -> int | None:
        """Returns the internal row id of an MMS ID, or None."""
        row = self.conn.execute("SELECT id FROM records WHERE mms_id = ?", (mms_id,)).fetchone()
        return row[0] if row else None

    def get(self, mms_id: str) -> StoredRecord | None:
        """Returns the stored record with this MMS ID (tombstones included), or None."""
        row = self.conn.execute(
            "SELECT id, datestamp, deleted, marcxml FROM records WHERE mms_id = ?", (mms_id,)
        ).fetchone()
        if row is None:
            return None
        rec_id, stamp, deleted, xml = row
        return StoredRecord(
            mms_id,
            to_datetime(stamp),
            self.sets_of([rec_id])[rec_id],
            bool(deleted),
            record_from_xml(xml),
        )

    def published(self, mms_id: str, prefix: str) -> bytes | None:
        """Returns the stored published XML of a live record for ``prefix``, or None."""
        row = self.conn.execute(
            "SELECT p.xml FROM published p JOIN records r ON r.id = p.record_id"
            " WHERE r.mms_id = ? AND p.prefix = ?",
            (mms_id, prefix),
        ).fetchone()
        return row[0] if row else None

    def iter_records(self, *, include_deleted: bool = False) -> Iterator[StoredRecord]:
        """Yields every record in id order, reading in pages so that memory stays flat."""
        last = 0
        while True:
            rows = self.conn.execute(
                "SELECT id, mms_id, datestamp, deleted, marcxml FROM records"
                " WHERE id > ? AND (? OR deleted = 0) ORDER BY id LIMIT 500",
                (last, include_deleted),
            ).fetchall()
            if not rows:
                return
            sets = self.sets_of([r[0] for r in rows])
            for rec_id, mms_id, stamp, deleted, xml in rows:
                yield StoredRecord(
                    mms_id, to_datetime(stamp), sets[rec_id], bool(deleted), record_from_xml(xml)
                )
            last = rows[-1][0]

    def rerender(self, rec_id: int, kind: str, *, force: bool = False) -> bool:
        """Re-renders a live record; bumps it (and logs ``kind``) when its XML changed or ``force``.

        Returns whether the datestamp was bumped. Call inside a batch; see
        :mod:`indexer.publishing.republish`.
        """
        row = self.conn.execute(
            "SELECT mms_id, datestamp FROM records WHERE id = ? AND deleted = 0", (rec_id,)
        ).fetchone()
        if row is None:
            return False
        changed = self._render(rec_id, row[0])
        if not (changed or force):
            return False
        self.conn.execute(
            "UPDATE records SET datestamp = ? WHERE id = ?",
            (self._next_datestamp(rec_id, row[1]), rec_id),
        )
        self.log_change(rec_id, kind)
        return True

    # change log ----------------------------------------------------------------------------------

    def last_change(self) -> int:
        """Returns the sequence number of the latest change (0 when none)."""
        return self.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0]

    def changes_since(self, seq: int, limit: int = 1000) -> list[tuple[int, str, str]]:
        """Returns (seq, mms_id, kind) of the changes after ``seq``, oldest first."""
        return self.conn.execute(
            "SELECT c.seq, r.mms_id, c.kind FROM changes c JOIN records r ON r.id = c.record_id"
            " WHERE c.seq > ? ORDER BY c.seq LIMIT ?",
            (seq, limit),
        ).fetchall()

    # statistics ----------------------------------------------------------------------------------

    def stats(self) -> dict[str, int | str | None]:
        """Returns counts of records, deletions, sets, inventory and changes."""
        one = lambda sql: self.conn.execute(sql).fetchone()[0]  # noqa: E731
        earliest = self.earliest_datestamp()
        latest = one("SELECT MAX(datestamp) FROM records")
        return {
            "records": one("SELECT COUNT(*) FROM records WHERE deleted = 0"),
            "deleted": one("SELECT COUNT(*) FROM records WHERE deleted = 1"),
            "sets": one("SELECT COUNT(*) FROM sets"),
            "holdings": one("SELECT COUNT(*) FROM holdings"),
            "items": one("SELECT COUNT(*) FROM items"),
            "portfolios": one("SELECT COUNT(*) FROM portfolios"),
            "representations": one("SELECT COUNT(*) FROM representations"),
            "changes": self.last_change(),
            "earliest_datestamp": to_datetime(earliest).isoformat() if earliest else None,
            "latest_datestamp": to_datetime(latest).isoformat() if latest else None,
        }
