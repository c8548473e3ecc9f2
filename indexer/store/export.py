"""Write the store's records to one file: MARCXML collection, binary MARC, or published blobs."""

from __future__ import annotations

import logging
from typing import BinaryIO

from indexer.marc.marcxml import MARC_NS, record_to_xml
from indexer.store.records import RecordStore

logger = logging.getLogger(__name__)


def export_records(
    store: RecordStore, out: BinaryIO, format_: str, *, include_deleted: bool = False
) -> dict[str, int]:
    """Writes every record (deleted ones with leader/05 = ``d`` when asked) to ``out``.

    ``format_`` is ``marcxml`` (the stored records), ``marc`` (ISO 2709; records too long for it are
    skipped and logged) or ``published`` (the stored marc21 publishing blobs). Returns counts.
    """
    counts = {"written": 0, "skipped": 0}
    if format_ != "marc":
        out.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write(f'<marc:collection xmlns:marc="{MARC_NS}">\n'.encode())
    for stored in store.iter_records(include_deleted=include_deleted):
        record = stored.marc
        if stored.deleted:
            record.leader = record.leader[:5] + "d" + record.leader[6:]
        if format_ == "marc":
            data = record.as_marc()
            if len(data) > 99999:
                logger.warning(
                    "record %s is %d bytes, too long for ISO 2709: skipped",
                    stored.identifier,
                    len(data),
                )
                counts["skipped"] += 1
                continue
        elif format_ == "published" and not stored.deleted:
            data = store.published(stored.identifier, "marc21") or record_to_xml(record)
        else:
            data = record_to_xml(record)
        out.write(data)
        if format_ != "marc":
            out.write(b"\n")
        counts["written"] += 1
    if format_ != "marc":
        out.write(b"</marc:collection>\n")
    return counts
