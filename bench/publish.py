"""File publishing: a full run of the corpus with normalization rules, then an incremental run.

Usage: python bench/publish.py [COUNT] [RULE_FILE]

Loads the first COUNT records (default: all 20,045) of the shared corpus into a fresh store in a
temporary directory, defines a profile (MARCXML, AVA enrichment, the rule file, tar.gz), and prints
records/s of the full run, then the seconds of an incremental run after 100 changed records.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pymarc import Field, Subfield  # noqa: E402

from indexer.load.records import store_entries  # noqa: E402
from indexer.marc.published import PublishOptions  # noqa: E402
from indexer.marc.reader import read_file  # noqa: E402
from indexer.publishing.profile import PublishProfile  # noqa: E402
from indexer.publishing.profiles import Profiles  # noqa: E402
from indexer.publishing.runner import run_profile  # noqa: E402
from indexer.store.records import RecordStore  # noqa: E402

SHARED = Path(os.environ.get("PRESSMARK_SHARED", ROOT.parent / "shared"))


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10**9
    rule_file = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "tests/rules/typical.rules"
    corpus = SHARED / "corpus/combined.xml.gz"
    with tempfile.TemporaryDirectory() as tmp:
        options = PublishOptions(availability=True, holdings_852=True)
        store = RecordStore(Path(tmp) / "bench.db", create=True, publish=options)
        started = time.perf_counter()
        store_entries(store, islice(read_file(corpus), count), "corpus")
        total = store.stats()["records"]
        print(f"loaded {total} records in {time.perf_counter() - started:.1f} s")
        Profiles(store).save(
            PublishProfile(
                name="bench",
                output=str(Path(tmp) / "out"),
                availability=True,
                holdings_852=True,
                rules=rule_file.read_text(encoding="utf-8"),
            )
        )
        started = time.perf_counter()
        run = run_profile(store, "bench")
        seconds = time.perf_counter() - started
        size = sum(Path(f).stat().st_size for f in run.files)
        print(
            f"full publish with rules: {run.records} records in {seconds:.2f} s"
            f" = {run.records / seconds:.0f} records/s ({size / 1e6:.1f} MB tar.gz)"
        )
        for stored in islice(store.iter_records(), 100):
            record = stored.marc
            record.add_field(Field(tag="500", subfields=[Subfield("a", "bench change")]))
            record.fields = [f for f in record.fields if f.tag != "001"]
            record.add_ordered_field(Field(tag="001", data=stored.identifier))
            store.put(record, match=("001",))
        started = time.perf_counter()
        run = run_profile(store, "bench")
        seconds = time.perf_counter() - started
        print(f"incremental publish after 100 changes: {run.records} records in {seconds:.3f} s")
        store.close()


if __name__ == "__main__":
    main()
