"""PO lines of real-time ordering: each order is matched to a record, or a brief record is created.

How the record of a new PO line is found (Alma's "How the bibliographic record is determined"):

1. the ``mms_id`` of the resource metadata, when given (it must be a live record);
2. else the match methods (``isbn``, ``issn``, ``035``, ``001``; ISBN then ISSN by default), in
   order: the first method that finds live records decides;
3. with several matches: Alma prefers the one record that holds only the order's inventory type
   (physical holdings for a print order, portfolios for an electronic one), else the one record with
   mixed inventory, else picks at random. Pressmark applies the same inventory preference, then
   prefers full records to brief ones (encoding level, leader/17, ``3``, ``5`` or ``8``), then the
   lowest MMS ID, so that the choice is repeatable;
4. no match: a brief record is made of the metadata (020/022, 100, 245, 264, leader/17 = ``5``) and
   stored with ``store.put``, which publishes it. Its ISBN is a match key, so a later
   ``pressmark load --match 001,035,isbn`` of the vendor's full records overlays it.

Ref: <https://developers.exlibrisgroup.com/blog/Create-PO-line-API-how-the-bibliographic-record-is-determined/>
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pymarc import Field, Indicators, Record, Subfield

from indexer.store import matching

if TYPE_CHECKING:
    from indexer.store.records import RecordStore

logger = logging.getLogger(__name__)

DDL = """
CREATE TABLE IF NOT EXISTS po_lines (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    mms_id TEXT NOT NULL,
    matched_by TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'ACTIVE',
    inventory_type TEXT NOT NULL,
    metadata TEXT NOT NULL,
    details TEXT NOT NULL,
    created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS po_lines_mms_id ON po_lines (mms_id);
"""

#: The resource metadata a PO line carries (Alma's ``resource_metadata``).
METADATA_KEYS = (
    "title",
    "author",
    "isbn",
    "issn",
    "publisher",
    "publication_place",
    "publication_year",
    "edition",
)
BRIEF_LEVELS = frozenset("358")
BRIEF_LEADER = "00000nam a22000005i 4500"


class OrderError(ValueError):
    """A PO line that cannot be created: no title and no match, unknown MMS ID, bad values."""


@dataclass(frozen=True)
class PoLine:
    """A stored PO line: the record it orders, how it was found, and what the vendor sent."""

    number: str
    mms_id: str
    matched_by: str
    status: str
    inventory_type: str
    metadata: dict[str, str]
    details: dict[str, Any] = field(default_factory=dict)
    created: int = 0


def inventory_type(order_type: str) -> str:
    """Returns ``electronic`` for Alma's electronic order types (``E_BOOK_OT``, ...), else ``physical``."""
    upper = order_type.upper()
    return "electronic" if upper.startswith("E_") or "ELECTRONIC" in upper else "physical"


class Orders:
    """The PO lines of a record store (their own table, on the store's connection)."""

    def __init__(self, store: RecordStore, *, brief_source: str = "po-line") -> None:
        self.store = store
        self.brief_source = brief_source
        for statement in DDL.split(";"):
            if statement.strip():
                store.conn.execute(statement)

    # reading ---------------------------------------------------------------------------------

    def get(self, number: str) -> PoLine | None:
        """Returns the PO line with this number, or None."""
        row = self.store.conn.execute(
            "SELECT number, mms_id, matched_by, status, inventory_type, metadata, details, created"
            " FROM po_lines WHERE number = ?",
            (number,),
        ).fetchone()
        return _line(row) if row else None

    def list(
        self, *, limit: int = 10, offset: int = 0, status: str | None = None
    ) -> tuple[list[PoLine], int]:
        """Returns a page of PO lines, newest first, and how many there are in all."""
        where, args = ("WHERE status = ?", [status]) if status else ("", [])
        total = self.store.conn.execute(f"SELECT COUNT(*) FROM po_lines {where}", args).fetchone()
        rows = self.store.conn.execute(
            "SELECT number, mms_id, matched_by, status, inventory_type, metadata, details, created"
            f" FROM po_lines {where} ORDER BY id DESC LIMIT ? OFFSET ?",
            [*args, limit, offset],
        ).fetchall()
        return [_line(r) for r in rows], total[0]

    # matching ----------------------------------------------------------------------------------

    def match(
        self, metadata: dict[str, str], methods: Sequence[str], inventory: str
    ) -> tuple[str, str] | None:
        """Returns (MMS ID, method) of the live record the metadata matches, or None."""
        for method in methods:
            keys = _keys(metadata, method)
            if not keys:
                continue
            marks = ",".join("?" * len(keys))
            rows = self.store.conn.execute(
                "SELECT DISTINCT r.id, r.mms_id, r.marcxml FROM match_keys k"
                " JOIN records r ON r.id = k.record_id"
                f" WHERE k.method = ? AND k.key IN ({marks}) AND r.deleted = 0 ORDER BY r.id",
                (method, *keys),
            ).fetchall()
            if rows:
                return self._prefer(rows, inventory), method
        return None

    def _prefer(self, rows: list[tuple], inventory: str) -> str:
        if len(rows) == 1:
            return rows[0][1]
        kinds = {rid: self._inventory_kinds(rid) for rid, _, _ in rows}
        only = [r for r in rows if kinds[r[0]] == {inventory}]
        mixed = [r for r in rows if inventory in kinds[r[0]] and len(kinds[r[0]]) > 1]
        if len(only) == 1:
            return only[0][1]
        if not only and len(mixed) == 1:
            return mixed[0][1]
        candidates = only or rows
        full = [r for r in candidates if not _is_brief(r[2])]
        return (full or candidates)[0][1]

    def _inventory_kinds(self, rec_id: int) -> set[str]:
        conn = self.store.conn
        kinds = set()
        if conn.execute("SELECT 1 FROM holdings WHERE record_id = ? LIMIT 1", (rec_id,)).fetchone():
            kinds.add("physical")
        if conn.execute(
            "SELECT 1 FROM portfolios WHERE record_id = ? LIMIT 1", (rec_id,)
        ).fetchone():
            kinds.add("electronic")
        return kinds

    # writing ---------------------------------------------------------------------------------

    def create(
        self,
        metadata: dict[str, str],
        details: dict[str, Any] | None = None,
        *,
        mms_id: str | None = None,
        methods: Sequence[str] = ("isbn", "issn"),
        order_type: str = "PRINTED_BOOK_OT",
    ) -> PoLine:
        """Creates a PO line for the record ``mms_id`` names, or matches, or a new brief record.

        Raises:
            OrderError: an unknown or deleted ``mms_id``; no match and no title to make a record of.
        """
        metadata = {k: str(v).strip() for k, v in metadata.items() if k in METADATA_KEYS and v}
        kind = inventory_type(order_type)
        store = self.store
        with store.batch():
            if mms_id:
                stored = store.get(mms_id)
                if stored is None or stored.deleted:
                    raise OrderError(f"the resource metadata's mms_id {mms_id} is not valid")
                found, matched_by = mms_id, "mms_id"
            else:
                hit = self.match(metadata, methods, kind)
                if hit is not None:
                    found, matched_by = hit
                else:
                    if not metadata.get("title"):
                        raise OrderError("resource_metadata needs a title when no record matches")
                    result = store.put(
                        brief_record(metadata, kind), match=(), source=self.brief_source
                    )
                    found, matched_by = result.identifier, "created"
            line_id = store.conn.execute(
                "SELECT COALESCE(MAX(id), 0) + 1 FROM po_lines"
            ).fetchone()[0]
            line = PoLine(
                f"POL-{line_id}",
                found,
                matched_by,
                "ACTIVE",
                kind,
                metadata,
                details or {},
                int(time.time()),
            )
            store.conn.execute(
                "INSERT INTO po_lines (id, number, mms_id, matched_by, status, inventory_type,"
                " metadata, details, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    line_id,
                    line.number,
                    line.mms_id,
                    line.matched_by,
                    line.status,
                    kind,
                    json.dumps(metadata),
                    json.dumps(line.details),
                    line.created,
                ),
            )
        logger.info("PO line %s orders %s (%s)", line.number, found, matched_by)
        return line


def _line(row: tuple) -> PoLine:
    number, mms_id, matched_by, status, kind, metadata, details, created = row
    return PoLine(
        number, mms_id, matched_by, status, kind, json.loads(metadata), json.loads(details), created
    )


def _keys(metadata: dict[str, str], method: str) -> list[str]:
    """Returns the match keys of the metadata for one method (as ``indexer.store.matching`` makes them)."""
    values = [
        v
        for v in metadata.get({"isbn": "isbn", "issn": "issn"}.get(method, ""), "")
        .replace(";", ",")
        .split(",")
        if v.strip()
    ]
    if method == "isbn":
        return [k for k in (matching.normalize_isbn(v) for v in values) if k]
    if method == "issn":
        return [k for k in (matching.normalize_issn(v) for v in values) if k]
    return []


def _is_brief(marcxml: bytes) -> bool:
    """Returns whether a stored record is brief: encoding level (leader/17) 3, 5 or 8."""
    start = marcxml.find(b"leader>")
    leader = marcxml[start + 7 : start + 31].decode("utf-8", "replace") if start >= 0 else ""
    return len(leader) == 24 and leader[17] in BRIEF_LEVELS


def brief_record(metadata: dict[str, str], kind: str = "physical") -> Record:
    """Returns the brief MARC record made of a PO line's resource metadata."""
    serial = bool(metadata.get("issn")) and not metadata.get("isbn")
    leader = BRIEF_LEADER[:7] + ("s" if serial else "m") + BRIEF_LEADER[8:]
    record = Record(leader=leader, force_utf8=True)
    year = (metadata.get("publication_year") or "")[:4]
    date1 = year if year.isdigit() else "uuuu"
    form = "o" if kind == "electronic" else " "
    # 008: date entered, s + date 1, place xx, form of item (23), language und, source d
    data = f"{time.strftime('%y%m%d')}s{date1}    xx " + " " * 5 + form + " " * 11 + "und d"
    record.add_field(Field(tag="008", data=data))
    blank = Indicators(" ", " ")

    def add(tag: str, ind: Indicators, pairs: list[tuple[str, str]]) -> None:
        subfields = [Subfield(code, value) for code, value in pairs if value]
        if subfields:
            record.add_field(Field(tag=tag, indicators=ind, subfields=subfields))

    for isbn in (metadata.get("isbn") or "").replace(";", ",").split(","):
        add("020", blank, [("a", isbn.strip())])
    for issn in (metadata.get("issn") or "").replace(";", ",").split(","):
        add("022", blank, [("a", issn.strip())])
    add("100", Indicators("1", " "), [("a", metadata.get("author", ""))])
    add(
        "245",
        Indicators("1" if metadata.get("author") else "0", "0"),
        [("a", metadata.get("title", ""))],
    )
    add("250", blank, [("a", metadata.get("edition", ""))])
    add(
        "264",
        Indicators(" ", "1"),
        [
            ("a", metadata.get("publication_place", "")),
            ("b", metadata.get("publisher", "")),
            ("c", metadata.get("publication_year", "")),
        ],
    )
    return record
