"""Inventory tables of the record store: holdings, items, portfolios, representations.

Every write re-renders the record it belongs to (``RecordStore.touch``): when the published XML changes
(holdings 852, availability AVA/AVE/AVD), the record gets a new datestamp and harvesters receive it.
"""

from __future__ import annotations

import logging
import sqlite3
from contextlib import AbstractContextManager
from typing import Protocol

from pymarc import Record

from indexer.marc.inventory import (
    ITEM_STATUSES,
    Holding,
    Inventory,
    Item,
    Portfolio,
    Representation,
)

logger = logging.getLogger(__name__)


class InventoryError(ValueError):
    """An inventory change that cannot be made: unknown record, holding, item or status."""


class RecordSide(Protocol):
    """What the inventory needs of the store that owns it: :class:`~indexer.store.records.RecordStore`."""

    conn: sqlite3.Connection
    suffix: str

    def batch(self) -> AbstractContextManager: ...

    def make_id(self, prefix: str, number: int) -> str: ...

    def record_id(self, mms_id: str) -> int | None: ...

    def touch(self, rec_id: int, kind: str) -> bool: ...


class InventoryStore:
    """The inventory half of a :class:`~indexer.store.records.RecordStore` (``store.inventory``)."""

    def __init__(self, store: RecordSide) -> None:
        self.store = store

    @property
    def conn(self):
        return self.store.conn

    # reading ---------------------------------------------------------------------------------

    def of_record(self, rec_id: int) -> Inventory:
        """Returns all the inventory of the record with row id ``rec_id``."""
        store = self.store
        items: dict[int, list[Item]] = {}
        for hid, iid, barcode, status, desc in self.conn.execute(
            "SELECT i.holding_id, i.id, i.barcode, i.status, i.description FROM items i"
            " JOIN holdings h ON h.id = i.holding_id WHERE h.record_id = ? ORDER BY i.id",
            (rec_id,),
        ):
            items.setdefault(hid, []).append(Item(store.make_id("23", iid), barcode, status, desc))
        holdings = tuple(
            Holding(store.make_id("22", hid), *rest, items=tuple(items.get(hid, ())))
            for hid, *rest in self.conn.execute(
                "SELECT id, library_code, library_name, location_code, location_name, call_number"
                " FROM holdings WHERE record_id = ? ORDER BY id",
                (rec_id,),
            )
        )
        portfolios = tuple(
            Portfolio(store.make_id("53", pid), url, cid, cname, lib, cov, iface, bool(avail))
            for pid, url, cid, cname, lib, cov, iface, avail in self.conn.execute(
                "SELECT id, url, collection_id, collection_name, library, coverage, interface,"
                " available FROM portfolios WHERE record_id = ? ORDER BY id",
                (rec_id,),
            )
        )
        representations = tuple(
            Representation(store.make_id("12", rid), label, url, lib)
            for rid, label, url, lib in self.conn.execute(
                "SELECT id, label, url, library FROM representations WHERE record_id = ? ORDER BY id",
                (rec_id,),
            )
        )
        return Inventory(holdings, portfolios, representations)

    def of(self, mms_id: str) -> Inventory:
        """Returns the inventory of a record by MMS ID.

        Raises:
            InventoryError: no such record.
        """
        return self.of_record(self._record(mms_id))

    def _record(self, mms_id: str) -> int:
        rec_id = self.store.record_id(mms_id)
        if rec_id is None:
            raise InventoryError(f"no record {mms_id}")
        return rec_id

    def _number(self, prefix: str, ident: str) -> int | None:
        """Returns the row number inside an Alma-style id, or None when it is not one of ours."""
        suffix = self.store.suffix
        if not (ident.startswith(prefix) and ident.endswith(suffix)):
            return None
        middle = ident[len(prefix) : len(ident) - len(suffix)]
        return int(middle) if middle.isdigit() else None

    def item(self, ident: str) -> tuple[str, str, str] | None:
        """Returns (item id, barcode, status) of an item given by barcode or item id, or None."""
        number = self._number("23", ident)
        row = self.conn.execute(
            "SELECT id, barcode, status FROM items WHERE barcode = ? OR id = ? LIMIT 1",
            (ident, number if number is not None else -1),
        ).fetchone()
        return (self.store.make_id("23", row[0]), row[1], row[2]) if row else None

    # writing ---------------------------------------------------------------------------------

    def add_holding(
        self,
        mms_id: str,
        library_code: str,
        library_name: str = "",
        location_code: str = "",
        location_name: str = "",
        call_number: str = "",
        *,
        source: str = "file",
    ) -> str:
        """Adds a holding to a record (or finds the same one); returns its holding id.

        Raises:
            InventoryError: no such record, or no library code.
        """
        if not library_code:
            raise InventoryError("a holding needs a library code")
        with self.store.batch():
            rec_id = self._record(mms_id)
            hid = self._upsert_holding(
                rec_id,
                library_code,
                library_name,
                location_code,
                location_name,
                call_number,
                source,
            )
            self.store.touch(rec_id, "inventory")
        return self.store.make_id("22", hid)

    def _upsert_holding(
        self,
        rec_id: int,
        library_code: str,
        library_name: str,
        location_code: str,
        location_name: str,
        call_number: str,
        source: str,
    ) -> int:
        self.conn.execute(
            "INSERT INTO holdings (record_id, library_code, library_name, location_code,"
            " location_name, call_number, source) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (record_id, library_code, location_code, call_number) DO UPDATE SET"
            " library_name = excluded.library_name, location_name = excluded.location_name",
            (rec_id, library_code, library_name, location_code, location_name, call_number, source),
        )
        return self.conn.execute(
            "SELECT id FROM holdings WHERE record_id = ? AND library_code = ?"
            " AND location_code = ? AND call_number = ?",
            (rec_id, library_code, location_code, call_number),
        ).fetchone()[0]

    def add_item(
        self, holding_id: str, barcode: str, status: str = "available", description: str = ""
    ) -> str:
        """Adds an item to a holding, or updates the item with that barcode; returns its item id.

        Raises:
            InventoryError: unknown holding, empty barcode or unknown status.
        """
        if not barcode:
            raise InventoryError("an item needs a barcode")
        if status not in ITEM_STATUSES:
            raise InventoryError(f"item status must be one of {', '.join(ITEM_STATUSES)}")
        number = self._number("22", holding_id)
        with self.store.batch():
            row = self.conn.execute(
                "SELECT record_id FROM holdings WHERE id = ?", (number if number else -1,)
            ).fetchone()
            if row is None:
                raise InventoryError(f"no holding {holding_id}")
            self.conn.execute(
                "INSERT INTO items (holding_id, barcode, status, description) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (barcode) DO UPDATE SET holding_id = excluded.holding_id,"
                " status = excluded.status, description = excluded.description",
                (number, barcode, status, description),
            )
            iid = self.conn.execute("SELECT id FROM items WHERE barcode = ?", (barcode,)).fetchone()
            self.store.touch(row[0], "inventory")
        return self.store.make_id("23", iid[0])

    def set_item_status(self, ident: str, status: str) -> str:
        """Changes the status of an item (by barcode or item id): loan, return, missing.

        Returns the MMS ID of the record the item belongs to.

        Raises:
            InventoryError: unknown item or status.
        """
        if status not in ITEM_STATUSES:
            raise InventoryError(f"item status must be one of {', '.join(ITEM_STATUSES)}")
        found = self.item(ident)
        if found is None:
            raise InventoryError(f"no item {ident}")
        with self.store.batch():
            number = self._number("23", found[0])
            self.conn.execute("UPDATE items SET status = ? WHERE id = ?", (status, number))
            rec_id, mms_id = self.conn.execute(
                "SELECT r.id, r.mms_id FROM items i JOIN holdings h ON h.id = i.holding_id"
                " JOIN records r ON r.id = h.record_id WHERE i.id = ?",
                (number,),
            ).fetchone()
            self.store.touch(rec_id, "inventory")
        return mms_id

    def add_portfolio(
        self,
        mms_id: str,
        url: str,
        collection_id: str = "",
        collection_name: str = "",
        library: str = "",
        coverage: str = "",
        interface: str = "",
        available: bool = True,
    ) -> str:
        """Adds an electronic portfolio (or updates the one with this URL); returns its id.

        Raises:
            InventoryError: no such record, or no URL.
        """
        if not url:
            raise InventoryError("a portfolio needs a URL")
        with self.store.batch():
            rec_id = self._record(mms_id)
            self.conn.execute(
                "INSERT INTO portfolios (record_id, url, collection_id, collection_name, library,"
                " coverage, interface, available) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (record_id, url) DO UPDATE SET collection_id = excluded.collection_id,"
                " collection_name = excluded.collection_name, library = excluded.library,"
                " coverage = excluded.coverage, interface = excluded.interface,"
                " available = excluded.available",
                (
                    rec_id,
                    url,
                    collection_id,
                    collection_name,
                    library,
                    coverage,
                    interface,
                    int(available),
                ),
            )
            pid = self.conn.execute(
                "SELECT id FROM portfolios WHERE record_id = ? AND url = ?", (rec_id, url)
            ).fetchone()[0]
            self.store.touch(rec_id, "inventory")
        return self.store.make_id("53", pid)

    def add_representation(self, mms_id: str, label: str, url: str, library: str = "") -> str:
        """Adds a digital representation (or updates the one with this URL); returns its id.

        Raises:
            InventoryError: no such record, or no URL.
        """
        if not url:
            raise InventoryError("a representation needs a delivery URL")
        with self.store.batch():
            rec_id = self._record(mms_id)
            self.conn.execute(
                "INSERT INTO representations (record_id, label, url, library) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (record_id, url) DO UPDATE SET label = excluded.label,"
                " library = excluded.library",
                (rec_id, label or url, url, library),
            )
            rid = self.conn.execute(
                "SELECT id FROM representations WHERE record_id = ? AND url = ?", (rec_id, url)
            ).fetchone()[0]
            self.store.touch(rec_id, "inventory")
        return self.store.make_id("12", rid)

    def holdings_from_852(self, rec_id: int, record: Record) -> None:
        """Makes holdings of the record's 852 fields ($b library, $c location, $h $i call number).

        Holdings made from an earlier version's 852 fields, and still without items, are replaced.
        Call inside a batch; the caller re-renders the record.
        """
        self.conn.execute(
            "DELETE FROM holdings WHERE record_id = ? AND source = '852'"
            " AND NOT EXISTS (SELECT 1 FROM items WHERE items.holding_id = holdings.id)",
            (rec_id,),
        )
        for field in record.get_fields("852"):
            library = (field.get("b") or field.get("a") or "").strip()
            if not library:
                continue
            call_number = " ".join(v.strip() for v in field.get_subfields("h", "i") if v.strip())
            location = (field.get("c") or "").strip()
            self.conn.execute(
                "INSERT OR IGNORE INTO holdings (record_id, library_code, location_code,"
                " location_name, call_number, source) VALUES (?, ?, ?, ?, ?, '852')",
                (rec_id, library, location, location, call_number),
            )
