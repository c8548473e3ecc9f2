"""The OAI-PMH side of the record store: datestamp-ordered lists and sets.

:class:`SetsAndLists` is a base of :class:`indexer.store.records.RecordStore`; it needs the store's ``conn``,
``batch()`` and ``touch()``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ListedRecord:
    """One row of a datestamp-ordered list: a header and, when asked for, the published XML."""

    id: int
    identifier: str
    datestamp: int
    deleted: bool
    sets: tuple[str, ...]
    xml: bytes | None


class SetsAndLists:
    """Lists of records by (datestamp, id) for OAI-PMH, and the sets with their members."""

    conn: sqlite3.Connection

    def list_records(
        self,
        *,
        from_: int | None = None,
        until: int | None = None,
        set_spec: str | None = None,
        after: tuple[int, int] | None = None,
        limit: int = 100,
        prefix: str | None = None,
    ) -> list[ListedRecord]:
        """Returns records ordered by (datestamp, id), after the keyset position ``after``.

        In a set, a record removed from the set is listed as deleted. With ``prefix``, each live
        record carries its published XML for that prefix (None where it has none).
        """
        where, args = self._list_filter(from_, until)
        if after is not None:
            # a row value keeps SQLite on one index range; the OR form sorted the whole rest
            where.append("(r.datestamp, r.id) > (?, ?)")
            args += [after[0], after[1]]
        deleted = "(r.deleted OR m.removed)" if set_spec else "r.deleted"
        join = " JOIN set_members m ON m.record_id = r.id AND m.set_spec = ?" if set_spec else ""
        xml = "NULL"
        if prefix:
            xml = "(SELECT xml FROM published p WHERE p.record_id = r.id AND p.prefix = ?)"
        sql = (
            f"SELECT r.id, r.mms_id, r.datestamp, {deleted}, {xml} FROM records r{join}"
            f" WHERE {' AND '.join(where) or '1'} ORDER BY r.datestamp, r.id LIMIT ?"
        )
        params = ([prefix] if prefix else []) + ([set_spec] if set_spec else []) + args + [limit]
        rows = self.conn.execute(sql, params).fetchall()
        sets = self.sets_of([r[0] for r in rows])
        return [
            ListedRecord(rid, mms, stamp, bool(dele), sets[rid], None if dele else blob)
            for rid, mms, stamp, dele, blob in rows
        ]

    def count_records(
        self, *, from_: int | None = None, until: int | None = None, set_spec: str | None = None
    ) -> int:
        """Returns how many records :meth:`list_records` would list in all."""
        where, args = self._list_filter(from_, until)
        join = " JOIN set_members m ON m.record_id = r.id AND m.set_spec = ?" if set_spec else ""
        params = ([set_spec] if set_spec else []) + args
        sql = f"SELECT COUNT(*) FROM records r{join} WHERE {' AND '.join(where) or '1'}"
        return self.conn.execute(sql, params).fetchone()[0]

    @staticmethod
    def _list_filter(from_: int | None, until: int | None) -> tuple[list[str], list]:
        where: list[str] = []
        args: list = []
        if from_ is not None:
            where.append("r.datestamp >= ?")
            args.append(from_)
        if until is not None:
            where.append("r.datestamp <= ?")
            args.append(until)
        return where, args

    def earliest_datestamp(self) -> int | None:
        """Returns the smallest datestamp in the store (tombstones included), or None when empty."""
        return self.conn.execute("SELECT MIN(datestamp) FROM records").fetchone()[0]

    # sets ----------------------------------------------------------------------------------------

    def sets_of(self, rec_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        """Returns the set specs each record currently belongs to."""
        found: dict[int, list[str]] = {rid: [] for rid in rec_ids}
        for start in range(0, len(rec_ids), 500):
            chunk = list(rec_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for rid, spec in self.conn.execute(
                f"SELECT record_id, set_spec FROM set_members WHERE removed = 0"
                f" AND record_id IN ({marks}) ORDER BY set_spec",
                chunk,
            ):
                found[rid].append(spec)
        return {rid: tuple(specs) for rid, specs in found.items()}

    def define_set(
        self, spec: str, name: str, description: str = "", query: str | None = None
    ) -> None:
        """Creates or redefines a set (its members are given by :meth:`set_members`)."""
        with self.batch():
            self.conn.execute(
                "INSERT INTO sets (spec, name, description, query) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (spec) DO UPDATE SET name = excluded.name,"
                " description = excluded.description, query = excluded.query",
                (spec, name, description, query),
            )

    def list_sets(self) -> list[tuple[str, str, str, str | None]]:
        """Returns (spec, name, description, query) of every set, by spec."""
        return self.conn.execute(
            "SELECT spec, name, description, query FROM sets ORDER BY spec"
        ).fetchall()

    def set_members(self, spec: str, mms_ids: Sequence[str]) -> tuple[int, int]:
        """Makes ``mms_ids`` the members of set ``spec``; returns (added, removed).

        A record that leaves the set keeps a removal tombstone, so the set's harvest reports it
        deleted; both joining and leaving bump the record's datestamp.

        Raises:
            KeyError: the set is not defined.
        """
        with self.batch():
            if not self.conn.execute("SELECT 1 FROM sets WHERE spec = ?", (spec,)).fetchone():
                raise KeyError(spec)
            wanted = set()
            for start in range(0, len(mms_ids), 500):
                chunk = list(mms_ids[start : start + 500])
                marks = ",".join("?" * len(chunk))
                wanted.update(
                    r[0]
                    for r in self.conn.execute(
                        f"SELECT id FROM records WHERE mms_id IN ({marks})", chunk
                    )
                )
            current = {
                r[0]
                for r in self.conn.execute(
                    "SELECT record_id FROM set_members WHERE set_spec = ? AND removed = 0", (spec,)
                )
            }
            added, removed = wanted - current, current - wanted
            self.conn.executemany(
                "INSERT INTO set_members (set_spec, record_id, removed) VALUES (?, ?, 0)"
                " ON CONFLICT DO UPDATE SET removed = 0",
                [(spec, rid) for rid in added],
            )
            self.conn.executemany(
                "UPDATE set_members SET removed = 1 WHERE set_spec = ? AND record_id = ?",
                [(spec, rid) for rid in removed],
            )
            for rid in sorted(added | removed):
                self.touch(rid, "sets")
        return len(added), len(removed)
