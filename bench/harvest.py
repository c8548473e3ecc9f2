"""Benchmark: harvest the shared corpus from one Pressmark over HTTP into a second, empty one.

Loads ``combined.xml.gz`` (20,045 records) into a temporary store, serves it with gunicorn (one
worker) on 127.0.0.1, then runs a full harvest into an empty store and prints records/s end to end
(HTTP, strict parsing, matching, storing and rendering the published XML). Target: 1,500 records/s.

Usage: python bench/harvest.py [--corpus PATH] [--workers N] [--page-size N]
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harvester.client import ClientOptions  # noqa: E402
from harvester.harvest import harvest  # noqa: E402
from harvester.profiles import Profile  # noqa: E402
from indexer.load.records import load_file  # noqa: E402
from indexer.store.records import RecordStore  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "combined.xml.gz"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                response.read()
                return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers of the source")
    parser.add_argument("--page-size", type=int, default=None, help="source OAI_PAGE_SIZE")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # per-record rejections of the load are not the point
    work = Path(tempfile.mkdtemp(prefix="pressmark-bench-harvest-"))

    source_db = work / "source.db"
    source = RecordStore(source_db, create=True)
    started = time.perf_counter()
    loaded = load_file(source, args.corpus, match=())
    load_seconds = time.perf_counter() - started
    records = source.stats()["records"]
    source.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    source.close()
    print(f"source: {loaded.summary()} in {load_seconds:.1f} s ({records} live records)")

    port = free_port()
    env = {
        **os.environ,
        "PRESSMARK_DATABASE": str(source_db),
        "PRESSMARK_INDEX_DIR": str(work / "index"),
        "PRESSMARK_LOG_LEVEL": "WARNING",
    }
    if args.page_size:
        env["PRESSMARK_OAI_PAGE_SIZE"] = str(args.page_size)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "-w", str(args.workers), "-b", f"127.0.0.1:{port}"]
        + ["--log-level", "warning", "app:create_app()"],
        cwd=ROOT,
        env=env,
    )
    try:
        base_url = f"http://127.0.0.1:{port}/oai"
        wait_until_up(f"{base_url}?verb=Identify", server)
        target = RecordStore(work / "target.db", create=True)
        profile = Profile(name="bench", base_url=base_url)
        started = time.perf_counter()
        report = harvest(target, profile, options=ClientOptions(timeout=60))
        seconds = time.perf_counter() - started
        stored = target.stats()["records"]
        target.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"harvest: {report.summary()}")
    for error in report.errors:
        print(f"  error: {error}")
    print(
        f"end to end: {report.records} records in {seconds:.1f} s ="
        f" {report.records / seconds:,.0f} records/s over {report.pages} pages"
        f" ({stored} stored of {records}; target >= 1,500 records/s)"
    )


if __name__ == "__main__":
    main()
