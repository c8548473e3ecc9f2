"""Benchmark: the SRU server over the 20,045-record corpus, under gunicorn with thread workers.

Loads ``combined.xml.gz`` into a temporary store, gives a share of the 852 holdings items (so that
availability searches have hits), builds the search index (records/s), serves the app with gunicorn
(gthread workers) on 127.0.0.1, and runs a battery of realistic CQL queries (at least 40, built from
the corpus' own words, names, years and ISBNs) with 1 and then 8 concurrent clients: p50/p99 latency
and queries/s. Targets: index 1,000 records/s; p50 < 20 ms, p99 < 100 ms, >= 200 q/s with 8 clients.

Usage: python bench/sru.py [--corpus PATH] [--workers N] [--threads N] [--rounds N]
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.resources import open_store  # noqa: E402
from indexer import index  # noqa: E402
from indexer.load import load_file  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "combined.xml.gz"
STOP = {"the", "and", "of", "a", "an", "in", "on", "to", "for", "with", "by", "de", "la", "le"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def add_items(store, share: int = 4) -> int:
    """Gives one holding in ``share`` two items, one of them on loan now and then."""
    rng = random.Random(7)
    holdings = store.conn.execute("SELECT id FROM holdings ORDER BY id").fetchall()
    added = 0
    with store.batch():
        for (hid,) in holdings[::share]:
            holding_id = store.make_id("22", hid)
            for n in range(2):
                status = "loaned" if n and rng.random() < 0.5 else "available"
                store.inventory.add_item(holding_id, f"B{hid:07d}{n}", status)
                added += 1
    return added


def battery(store, size: int = 48) -> list[str]:
    """Returns realistic CQL queries built from the corpus' own data."""
    rng = random.Random(42)
    titles: Counter = Counter()
    names: Counter = Counter()
    subjects: Counter = Counter()
    isbns: list[str] = []
    phrases: list[str] = []
    for n, stored in enumerate(store.iter_records()):
        if n % 4:
            continue
        record = stored.marc
        for field in record.get_fields("245"):
            words = [w for w in re.findall(r"\w+", (field.get("a") or "").lower()) if len(w) > 2]
            titles.update(w for w in words if w not in STOP and not w.isdigit())
            if len(words) >= 2 and len(phrases) < 200:
                phrases.append(" ".join(words[:2]))
        for field in record.get_fields("100"):
            surname = (field.get("a") or "").split(",")[0].strip()
            if surname.isalpha():
                names[surname.lower()] += 1
        for field in record.get_fields("650"):
            topic = re.findall(r"\w+", (field.get("a") or "").lower())
            if topic:
                subjects[topic[0]] += 1
        for field in record.get_fields("020"):
            value = re.match(r"[0-9Xx-]{10,17}", (field.get("a") or "").strip())
            if value and len(isbns) < 50:
                isbns.append(value.group())
    top_titles = [w for w, _ in titles.most_common(60)]
    top_names = [w for w, _ in names.most_common(30)]
    top_subjects = [w for w, _ in subjects.most_common(30)]
    libraries = [
        r[0] for r in store.conn.execute("SELECT DISTINCT library_code FROM holdings LIMIT 5")
    ]
    queries = [
        "cql.allRecords = 1",
        'dc.title = "history"',
        "alma.all_for_ui = music",
        "dc.date > 2000",
        'dc.date within "1950 1960"',
        "alma.title = hist*",
        "alma.availability = available",
        "alma.title = war sortBy dc.date/sort.descending",
        "alma.creator = smith sortBy alma.title",
        "dc.subject = history not dc.date < 1900",
        'alma.title any "war peace"',
        'alma.title all "history england"',
        "alma.subjects = poetry and dc.language = eng",
    ]
    queries += [f'alma.available_library = "{lib}"' for lib in libraries[:2]]
    while len(queries) < size:
        kind = rng.randrange(7)
        if kind == 0:
            queries.append(f"alma.title = {rng.choice(top_titles)}")
        elif kind == 1:
            queries.append(f"alma.creator = {rng.choice(top_names)}")
        elif kind == 2:
            queries.append(f"dc.subject = {rng.choice(top_subjects)}")
        elif kind == 3 and isbns:
            queries.append(f"alma.isbn = {rng.choice(isbns)}")
        elif kind == 4 and phrases:
            queries.append(f'dc.title = "{rng.choice(phrases)}"')
        elif kind == 5:
            queries.append(f"{rng.choice(top_titles)} and dc.date > {rng.randrange(1950, 2010)}")
        else:
            queries.append(
                f"alma.title = {rng.choice(top_titles)} or alma.creator = {rng.choice(top_names)}"
            )
    return queries


def run(base: str, queries: list[str], clients: int, rounds: int) -> tuple[list[float], float, int]:
    """Sends every query ``rounds`` times from ``clients`` threads; returns latencies, seconds, hits."""
    jobs = [q for _ in range(rounds) for q in queries]
    lock = threading.Lock()
    latencies: list[float] = []
    diagnostics = 0

    def worker(share: list[str]) -> None:
        nonlocal diagnostics
        for query in share:
            url = f"{base}?" + urllib.parse.urlencode(
                {
                    "version": "1.2",
                    "operation": "searchRetrieve",
                    "query": query,
                    "maximumRecords": "10",
                }
            )
            started = time.perf_counter()
            with urllib.request.urlopen(url, timeout=30) as response:
                body = response.read()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                diagnostics += b"diagnostic/1/" in body

    shares = [jobs[i::clients] for i in range(clients)]
    threads = [threading.Thread(target=worker, args=(s,)) for s in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - started, diagnostics


def report(label: str, latencies: list[float], seconds: float) -> None:
    cuts = statistics.quantiles(latencies, n=100)
    print(
        f"{label:<12} {len(latencies):5d} queries  p50 {cuts[49] * 1000:6.1f} ms"
        f"  p99 {cuts[98] * 1000:6.1f} ms  {len(latencies) / seconds:6.0f} queries/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        db, index_dir = Path(tmp) / "pressmark.db", Path(tmp) / "index"
        config = create_app({"DATABASE": str(db), "INDEX_DIR": str(index_dir)}).config
        store = open_store(config, create=True)
        started = time.perf_counter()
        load = load_file(store, args.corpus, match=())
        print(f"loaded {load.summary()} in {time.perf_counter() - started:.1f} s")
        print(f"added {add_items(store)} items to a quarter of the holdings")
        built = index.rebuild(store, index_dir)
        print(
            f"index: {built.records} records in {built.seconds:.1f} s "
            f"({built.records / built.seconds:.0f} records/s)"
        )
        queries = battery(store)
        store.close()
        port = free_port()
        env = dict(
            os.environ,
            PRESSMARK_DATABASE=str(db),
            PRESSMARK_INDEX_DIR=str(index_dir),
            PRESSMARK_LOG_LEVEL="WARNING",
        )
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--worker-class",
                "gthread",
                "--workers",
                str(args.workers),
                "--threads",
                str(args.threads),
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "app:create_app()",
            ],
            cwd=ROOT,
            env=env,
        )
        base = f"http://127.0.0.1:{port}/sru"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(base, timeout=2).read()
                    break
                except OSError:
                    time.sleep(0.2)
            print(
                f"battery: {len(queries)} queries; gunicorn {args.workers} workers x "
                f"{args.threads} threads"
            )
            run(base, queries, 4, 1)  # warm-up: every worker opens the index
            for clients in (1, 8):
                latencies, seconds, diagnostics = run(base, queries, clients, args.rounds)
                report(f"{clients} client{'s' if clients > 1 else ''}", latencies, seconds)
                if diagnostics:
                    print(f"  ({diagnostics} responses carried a diagnostic)")
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
