"""Generate the two derived files of sample_records/: deletions and the inventory CSV.

Both are derived from the real records in the folder, deterministically, so that running this again
gives the same files:

- ``12_deletions_of_06.xml``: two records of ``06_marcxml_852_856_880.xml`` with leader/05 = ``d``,
  so that ``pressmark init`` leaves two tombstones (deleted records) in the store;
- ``inventory.csv``: holdings with items for one record in three, electronic portfolios from the
  856 $u of records that have one, and a few digital representations.
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from indexer.marc.marcxml import MARC_NS, record_to_xml  # noqa: E402
from indexer.marc.reader import read_file  # noqa: E402
from indexer.store.matching import control_number  # noqa: E402

SAMPLES = Path(__file__).resolve().parent.parent / "sample_records"
LIBRARIES = [("MAIN", "Main Library"), ("LAW", "Law Library"), ("MUSIC", "Music Library")]
LOCATIONS = [("STACKS", "Stacks"), ("REF", "Reference"), ("RES", "Reserve desk")]
STATUSES = ["available"] * 6 + ["loaned"] * 3 + ["missing"]


def main() -> None:
    rng = random.Random(2026)
    source = SAMPLES / "06_marcxml_852_856_880.xml"
    records = [e.record for e in read_file(source) if e.record is not None]
    with open(SAMPLES / "12_deletions_of_06.xml", "wb") as out:
        out.write(
            f'<?xml version="1.0" encoding="UTF-8"?>\n<marc:collection xmlns:marc="{MARC_NS}">\n'.encode()
        )
        for record in records[-2:]:
            record.leader = record.leader[:5] + "d" + record.leader[6:]
            out.write(record_to_xml(record) + b"\n")
        out.write(b"</marc:collection>\n")

    rows = []
    barcode = 39000000
    for path in sorted(SAMPLES.iterdir()):
        if path.suffix not in (".mrc", ".xml") or path.name.startswith(("10_", "11_", "12_")):
            continue
        for n, entry in enumerate(read_file(path)):
            record = entry.record
            ref = control_number(record) if record is not None else None
            if ref is None or record.leader[5] == "d":
                continue
            if n % 3 == 0:
                library = rng.choice(LIBRARIES)
                location = rng.choice(LOCATIONS)
                call = record.get("050") or record.get("090") or record.get("082")
                call_number = " ".join(call.get_subfields("a", "b")) if call else f"XX {n:04d}"
                for _ in range(rng.randint(1, 3)):
                    barcode += 1
                    rows.append(
                        {
                            "kind": "item",
                            "record": ref,
                            "library_code": library[0],
                            "library_name": library[1],
                            "location_code": location[0],
                            "location_name": location[1],
                            "call_number": call_number,
                            "barcode": str(barcode),
                            "status": rng.choice(STATUSES),
                        }
                    )
            for f856 in record.get_fields("856")[:1]:
                url = f856.get("u")
                if url:
                    rows.append(
                        {
                            "kind": "portfolio",
                            "record": ref,
                            "url": url,
                            "collection_id": "61000000010101",
                            "collection_name": "Open access",
                            "library": "MAIN",
                            "coverage": "Available from 1990",
                            "interface": "Publisher website",
                            "available": "yes" if n % 5 else "no",
                        }
                    )
            if n % 17 == 5:
                rows.append(
                    {
                        "kind": "representation",
                        "record": ref,
                        "label": f"Digitized copy of {ref}",
                        "url": f"https://repository.example.org/delivery/{n}",
                        "library": "MAIN",
                    }
                )
    columns = [
        "kind",
        "record",
        "library_code",
        "library_name",
        "location_code",
        "location_name",
        "call_number",
        "barcode",
        "status",
        "description",
        "url",
        "collection_id",
        "collection_name",
        "library",
        "coverage",
        "interface",
        "available",
        "label",
    ]
    with open(SAMPLES / "inventory.csv", "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, columns)
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
