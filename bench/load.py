"""Benchmark: load the shared corpus (combined.xml.gz, 20,045 records) into an empty store.

Prints records/s and the loader's peak memory (maximum resident set size of the child process that
loads, with 852 and AVA/AVE/AVD publishing enabled). ``--repeat N`` loads a file holding the corpus
N times over (all records new, ``--match none``), to show that memory does not grow with the file.

    python bench/load.py [--repeat 3] [--corpus PATH]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "combined.xml.gz"

CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from indexer.load.records import load_file
from indexer.store.records import RecordStore
from indexer.marc.published import PublishOptions
store = RecordStore(sys.argv[2], create=True,
                    publish=PublishOptions(holdings_852=True, availability=True))
match = () if sys.argv[4] == "none" else tuple(sys.argv[4].split(","))
started = time.perf_counter()
report = load_file(store, sys.argv[3], match=match)
seconds = time.perf_counter() - started
# VmHWM belongs to this process image alone (ru_maxrss would count the parent's pages before exec)
status = open("/proc/self/status").read()
peak_mb = int(status.split("VmHWM:")[1].split()[0]) / 1024
print(json.dumps({"read": report.read, "counts": dict(report.counts), "seconds": seconds,
                  "peak_mb": peak_mb}))
"""


def repeated(corpus: Path, times: int, target: Path) -> Path:
    """Writes a gzipped MARCXML collection holding the corpus ``times`` times over."""
    with gzip.open(corpus, "rb") as fh:
        data = fh.read()
    start = re.search(rb"<(\w+:)?record[\s>]", data).start()  # header: declaration + collection
    end = data.rindex(b"</")  # the closing collection tag
    with gzip.open(target, "wb", compresslevel=1) as out:
        out.write(data[:start])
        for _ in range(times):
            out.write(data[start:end])
        out.write(data[end:])
    return target


def run(corpus: Path, match: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                CHILD,
                str(ROOT),
                str(Path(tmp) / "bench.db"),
                str(corpus),
                match,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--match", default="001,035")
    args = parser.parse_args()
    corpus, match = args.corpus, args.match
    with tempfile.TemporaryDirectory() as tmp:
        if args.repeat > 1:
            corpus = repeated(args.corpus, args.repeat, Path(tmp) / "repeated.xml.gz")
            match = "none"
        result = run(corpus, match)
    rate = result["read"] / result["seconds"]
    print(f"records read: {result['read']}  outcomes: {result['counts']}")
    print(
        f"load: {result['seconds']:.1f} s, {rate:,.0f} records/s, "
        f"peak memory {result['peak_mb']:.0f} MB (match: {match})"
    )


if __name__ == "__main__":
    main()
