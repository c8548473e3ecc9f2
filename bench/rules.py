"""Cost of normalization rules per record: apply a typical rule file to corpus records.

Usage: python bench/rules.py [RULE_FILE] [COUNT]

Prints records/s of ``RuleSet.apply`` alone and of apply + MARCXML serialization (what publishing
does per record), over the first COUNT records (default 5,000) of the shared corpus.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.marc.marcxml import record_to_xml  # noqa: E402
from indexer.marc.reader import read_file  # noqa: E402
from indexer.rules import compile_rules  # noqa: E402

SHARED = Path(os.environ.get("PRESSMARK_SHARED", ROOT.parent / "shared"))


def main() -> None:
    rule_file = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests/rules/typical.rules"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    corpus = SHARED / "corpus/combined.xml.gz"
    records = []
    for entry in read_file(corpus):
        if entry.record is not None:
            records.append(entry.record)
        if len(records) >= count:
            break
    started = time.perf_counter()
    rules = compile_rules(rule_file.read_text(encoding="utf-8"))
    compiled = time.perf_counter() - started
    print(f"{len(rules)} rules compiled in {compiled * 1000:.2f} ms; {len(records)} records")

    changed = 0
    started = time.perf_counter()
    for record in records:
        out = rules.apply(record)
        changed += out.fields != record.fields or str(out.leader) != str(record.leader)
    apply_s = time.perf_counter() - started
    print(
        f"apply:              {len(records) / apply_s:9.0f} records/s"
        f" ({apply_s / len(records) * 1e6:.1f} us/record, {changed} records changed)"
    )

    started = time.perf_counter()
    for record in records:
        record_to_xml(record)
    plain_s = time.perf_counter() - started
    started = time.perf_counter()
    for record in records:
        record_to_xml(rules.apply(record))
    both_s = time.perf_counter() - started
    print(f"serialize only:     {len(records) / plain_s:9.0f} records/s")
    print(f"apply + serialize:  {len(records) / both_s:9.0f} records/s")


if __name__ == "__main__":
    main()
