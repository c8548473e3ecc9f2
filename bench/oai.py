"""Benchmark: a full OAI-PMH ListRecords harvest of the shared corpus over HTTP on 127.0.0.1.

Loads combined.xml.gz (20,045 records, ``--match none``, 852 and AVA publishing on) into a temporary
store, serves the app with gunicorn (one worker, threads), harvests every page of ListRecords
(marc21) with a plain HTTP client that only counts records and follows tokens, and prints:

- records/s of the harvest, without and with gzip;
- records/s of the raw SQLite read of the same stored blobs (the limit), and the ratio;
- the latency from a record change to its appearance in an incremental harvest.

    python bench/oai.py [--corpus PATH] [--page-size 100] [--threads 4]
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "combined.xml.gz"
TOKEN = re.compile(rb"<resumptionToken[^>]*>([^<]+)</resumptionToken>")
RESPONSE_DATE = re.compile(rb"<responseDate>([^<]+)</responseDate>")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def open_store(db: Path, *, create: bool = False):
    """Opens the store with the default publishing settings (as the served app has them)."""
    from app import config
    from app.resources import publish_options
    from indexer.store.records import RecordStore

    return RecordStore(db, create=create, publish=publish_options(vars(config)))


def load(db: Path, corpus: Path) -> int:
    from indexer.load.records import load_file

    store = open_store(db, create=True)
    started = time.perf_counter()
    report = load_file(store, corpus, match=())
    seconds = time.perf_counter() - started
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    print(f"loaded {report.read} records in {seconds:.1f} s ({report.read / seconds:.0f}/s)")
    return report.read


def serve(db: Path, port: int, threads: int, page_size: int, wsgi: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "PRESSMARK_DATABASE": str(db),
        "PRESSMARK_INDEX_DIR": str(db.parent / "index"),
        "PRESSMARK_OAI_PAGE_SIZE": str(page_size),
        "PRESSMARK_LOG_LEVEL": "WARNING",
    }
    command = [
        sys.executable, "-m", "gunicorn", "-w", "1", "--threads", str(threads),
        "-b", f"127.0.0.1:{port}", "--log-level", "warning", wsgi,
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    for _ in range(200):
        try:
            requests.get(f"http://127.0.0.1:{port}/oai?verb=Identify", timeout=1)
            return server
        except requests.ConnectionError:
            time.sleep(0.05)
    server.kill()
    raise SystemExit("the server did not start")


def harvest(url: str, encoding: str, **params: str) -> tuple[int, float, str]:
    """Harvests every page; returns (records, seconds, first responseDate)."""
    session = requests.Session()
    session.headers["Accept-Encoding"] = encoding
    query = {"verb": "ListRecords", "metadataPrefix": "marc21", **params}
    records, first = 0, ""
    started = time.perf_counter()
    while True:
        body = session.get(url, params=query, timeout=60).content
        if not first:
            first = RESPONSE_DATE.search(body).group(1).decode()
        records += body.count(b"<record>")
        token = TOKEN.search(body)
        if token is None:
            return records, time.perf_counter() - started, first
        query = {"verb": "ListRecords", "resumptionToken": token.group(1).decode()}


def raw_read(db: Path) -> tuple[int, float]:
    """Reads every stored marc21 blob in harvest order, as ListRecords does; (rows, seconds)."""
    conn = sqlite3.connect(db)
    started = time.perf_counter()
    count = size = 0
    for (blob,) in conn.execute(
        "SELECT p.xml FROM records r JOIN published p ON p.record_id = r.id"
        " AND p.prefix = 'marc21' ORDER BY r.datestamp, r.id"
    ):
        count += 1
        size += len(blob)
    seconds = time.perf_counter() - started
    conn.close()
    return count, seconds


def change_latency(db: Path, url: str) -> float:
    """Seconds from a committed change to its identifier in an incremental harvest."""
    from app.xml import format_datestamp

    store = open_store(db)
    mms_id = store.conn.execute("SELECT mms_id FROM records WHERE deleted = 0 LIMIT 1").fetchone()[
        0
    ]
    store.delete(mms_id)
    changed = time.time()
    store.close()
    since = format_datestamp(changed)
    wanted = f":{mms_id}</identifier>".encode()
    while True:
        body = requests.get(
            url, params={"verb": "ListIdentifiers", "metadataPrefix": "marc21", "from": since}
        ).content
        if wanted in body:
            return time.time() - changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--wsgi", default="app:create_app()", help="gunicorn's APP_MODULE")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "pressmark.db"
        load(db, args.corpus)
        port = free_port()
        url = f"http://127.0.0.1:{port}/oai"
        server = serve(db, port, args.threads, args.page_size, args.wsgi)
        try:
            rows, raw_seconds = raw_read(db)
            raw_rate = rows / raw_seconds
            print(
                f"raw SQLite read of the blobs: {rows} in {raw_seconds:.2f} s ({raw_rate:,.0f}/s)"
            )
            for encoding in ("identity", "gzip"):
                harvest(url, encoding)  # warm the page cache and the worker
                count, seconds, _ = harvest(url, encoding)
                rate = count / seconds
                print(
                    f"ListRecords harvest ({encoding}, {args.page_size}/page): {count} records"
                    f" in {seconds:.2f} s = {rate:,.0f} records/s"
                    f" ({rate / raw_rate:.0%} of the raw read)"
                )
            latency = change_latency(db, url)
            print(f"change -> incremental harvest latency: {latency * 1000:.0f} ms")
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
