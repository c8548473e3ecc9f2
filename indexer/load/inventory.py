"""Load inventory files: CSV (holdings, items, portfolios, representations) or MFHD MARC holdings.

CSV: a header row, then one row per item, holding, portfolio or representation. Columns:

- ``kind``: ``item`` (the default when ``barcode`` is filled), ``holding``, ``portfolio`` or
  ``representation``;
- ``record``: the bibliographic record, by MMS ID, control number (001, or ``(003)001``), 035 $a or ISBN;
- holdings and items: ``library_code``, ``library_name``, ``location_code``, ``location_name``,
  ``call_number``; items add ``barcode``, ``status`` (available, loaned, missing), ``description``;
- portfolios: ``url``, ``collection_id``, ``collection_name``, ``library``, ``coverage``, ``interface``,
  ``available`` (yes/no);
- representations: ``label``, ``url``, ``library``.

MFHD: holdings records (leader/06 u, v, x, y) whose 004 names the bibliographic record's 001; each 852
becomes a holding, each 876-878 $p an item of it. Loading a file twice changes nothing the second time.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path

from pymarc import Record

from indexer.marc.reader import open_binary, read_file, sniff_format
from indexer.store.inventory import InventoryError
from indexer.store.matching import normalize_isbn
from indexer.store.records import RecordStore

logger = logging.getLogger(__name__)

KINDS = ("item", "holding", "portfolio", "representation")
#: Leader/06 of MARC holdings records (MFHD).
HOLDINGS_TYPES = "uvxy"
_TRUE = {"", "1", "y", "yes", "true", "available"}


@dataclass
class InventoryCounts:
    """What an inventory load did, and the rows it could not use."""

    holdings: int = 0
    items: int = 0
    portfolios: int = 0
    representations: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.holdings} holdings, {self.items} items, {self.portfolios} portfolios, "
            f"{self.representations} representations, {len(self.problems)} rejected"
        )


def resolve_record(store: RecordStore, ref: str) -> str | None:
    """Returns the MMS ID that ``ref`` names (MMS ID, 001, 035 $a or ISBN), or None."""
    ref = ref.strip()
    if not ref:
        return None
    if store.record_id(ref) is not None:
        return ref
    candidates = [("001", ref), ("ctl", ref), ("035", ref)]
    isbn = normalize_isbn(ref)
    if isbn:
        candidates.append(("isbn", isbn))
    for method, key in candidates:
        row = store.conn.execute(
            "SELECT r.mms_id FROM match_keys k JOIN records r ON r.id = k.record_id"
            " WHERE k.method = ? AND k.key = ? ORDER BY r.id LIMIT 1",
            (method, key),
        ).fetchone()
        if row:
            return row[0]
    return None


def load_inventory(store: RecordStore, path: str | Path) -> InventoryCounts:
    """Loads a CSV or MFHD inventory file (chosen by its content).

    Raises:
        OSError: the file cannot be read.
        ValueError: a CSV file without the columns it needs.
    """
    path = Path(path)
    with open_binary(path) as fh:
        head = fh.read(64)
    if path.suffix.lower() == ".csv" or (head[:1] != b"<" and b"," in head and b"\x1e" not in head):
        return load_csv(store, path)
    if sniff_format(path) in ("xml", "iso2709"):
        return load_mfhd(store, path)
    raise ValueError("not a CSV or MARC holdings file")


def load_csv(store: RecordStore, path: Path) -> InventoryCounts:
    counts = InventoryCounts()
    with open_binary(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
        reader = csv.DictReader(text)
        if not reader.fieldnames or "record" not in reader.fieldnames:
            raise ValueError("a CSV inventory file needs a header row with a 'record' column")
        with store.batch():
            for line, row in enumerate(reader, start=2):
                row = {k: (v or "").strip() for k, v in row.items() if k}
                try:
                    _csv_row(store, row, counts)
                except InventoryError as exc:
                    counts.problems.append(f"line {line}: {exc}")
    for problem in counts.problems:
        logger.warning("%s %s", path.name, problem)
    return counts


def _csv_row(store: RecordStore, row: dict[str, str], counts: InventoryCounts) -> None:
    kind = row.get("kind") or ("item" if row.get("barcode") else "holding")
    if kind not in KINDS:
        raise InventoryError(f"unknown kind {kind!r} (one of {', '.join(KINDS)})")
    mms_id = resolve_record(store, row.get("record", ""))
    if mms_id is None:
        raise InventoryError(f"no record matches {row.get('record')!r}")
    inv = store.inventory
    if kind in ("item", "holding"):
        holding = inv.add_holding(
            mms_id,
            row.get("library_code", ""),
            row.get("library_name", ""),
            row.get("location_code", ""),
            row.get("location_name", ""),
            row.get("call_number", ""),
        )
        counts.holdings += kind == "holding"
        if kind == "item":
            inv.add_item(
                holding,
                row.get("barcode", ""),
                row.get("status") or "available",
                row.get("description", ""),
            )
            counts.items += 1
    elif kind == "portfolio":
        inv.add_portfolio(
            mms_id,
            row.get("url", ""),
            row.get("collection_id", ""),
            row.get("collection_name", ""),
            row.get("library", ""),
            row.get("coverage", ""),
            row.get("interface", ""),
            row.get("available", "").lower() in _TRUE,
        )
        counts.portfolios += 1
    else:
        inv.add_representation(
            mms_id, row.get("label", ""), row.get("url", ""), row.get("library", "")
        )
        counts.representations += 1


def attach_holdings_record(store: RecordStore, record: Record) -> tuple[int, int]:
    """Turns one MFHD holdings record into holdings and items of the bib its 004 names.

    Returns (holdings, items) added or found again. Call inside a batch.

    Raises:
        InventoryError: not a holdings record, or no bibliographic record matches its 004.
    """
    if record.leader[6] not in HOLDINGS_TYPES:
        raise InventoryError(f"not a holdings record (leader/06 {record.leader[6]!r})")
    f004 = record.get("004")
    mms_id = resolve_record(store, f004.data) if f004 is not None and f004.data else None
    if mms_id is None:
        raise InventoryError("004 matches no bibliographic record")
    holdings = items = 0
    for f852 in record.get_fields("852"):
        library = (f852.get("b") or f852.get("a") or "").strip()
        if not library:
            continue
        location = (f852.get("c") or "").strip()
        call = " ".join(v.strip() for v in f852.get_subfields("h", "i") if v.strip())
        holding = store.inventory.add_holding(mms_id, library, "", location, location, call)
        holdings += 1
        for item_field in record.get_fields("876", "877", "878"):
            for barcode in item_field.get_subfields("p"):
                store.inventory.add_item(holding, barcode.strip())
                items += 1
    if not holdings:
        raise InventoryError("no 852 with a $b library")
    return holdings, items


def load_mfhd(store: RecordStore, path: Path) -> InventoryCounts:
    counts = InventoryCounts()
    with store.batch():
        for entry in read_file(path):
            where = f"record {entry.position}"
            if entry.record is None:
                counts.problems.append(f"{where}: {entry.error}")
                continue
            try:
                holdings, items = attach_holdings_record(store, entry.record)
            except InventoryError as exc:
                counts.problems.append(f"{where}: {exc}")
                continue
            counts.holdings += holdings
            counts.items += items
    for problem in counts.problems:
        logger.warning("%s %s", path.name, problem)
    return counts
