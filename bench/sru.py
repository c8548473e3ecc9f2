"""Benchmark: the SRU server over the 20,045-record corpus, under gunicorn with thread workers.

Loads ``combined.xml.gz`` into a store, gives a share of the 852 holdings items (so that availability
searches have hits), builds the search index (records/s), serves the app with gunicorn (gthread
workers) on 127.0.0.1, and runs a battery of 48 realistic searchRetrieve requests (built from the
corpus' own words, names, years and ISBNs: titles, creators, subjects, ISBNs, dates, booleans,
phrases, truncation, sorting; mostly marcxml, some dc and mods, pages of 0 to 50 records, a few
second pages and SRU 2.0, see :func:`battery`) with 1 and then 8 concurrent clients: p50/p99
latency, queries/s, and the CPU time per query of the server (all gunicorn processes) and of the
clients. Targets: index 1,000 records/s; with 8 clients p50 < 20 ms, p99 < 100 ms, >= 200 queries/s.

Each client is a process that sends its requests one after the other with ``http.client``, each on
a new connection (as many clients coming and going do: gunicorn's workers then share the load; a
keep-alive connection stays with the worker that accepted it), so that the measured latency is the
server's rather than the load generator's. ``--client keep-alive`` keeps one connection per client;
``--client urllib`` sends from threads of one process instead (the client of the first
measurements).
``--data DIR`` keeps the store and index in DIR and reuses them on the next run.

Usage: python bench/sru.py [--corpus PATH] [--data DIR] [--workers N] [--threads N] [--rounds N]
    [--client http|keep-alive|urllib] [--clients 1,8]
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import multiprocessing
import os
import random
import re
import resource
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
from indexer.load.records import load_file  # noqa: E402
from indexer.search import index  # noqa: E402
from indexer.search.queries import search_ids  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "combined.xml.gz"
STOP = {"the", "and", "of", "a", "an", "in", "on", "to", "for", "with", "by", "de", "la", "le"}
TICK = os.sysconf("SC_CLK_TCK")


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


def queries(store, size: int = 48) -> list[str]:
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
    found = [
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
    found += [f'alma.available_library = "{lib}"' for lib in libraries[:2]]
    while len(found) < size:
        kind = rng.randrange(7)
        if kind == 0:
            found.append(f"alma.title = {rng.choice(top_titles)}")
        elif kind == 1:
            found.append(f"alma.creator = {rng.choice(top_names)}")
        elif kind == 2:
            found.append(f"dc.subject = {rng.choice(top_subjects)}")
        elif kind == 3 and isbns:
            found.append(f"alma.isbn = {rng.choice(isbns)}")
        elif kind == 4 and phrases:
            found.append(f'dc.title = "{rng.choice(phrases)}"')
        elif kind == 5:
            found.append(f"{rng.choice(top_titles)} and dc.date > {rng.randrange(1950, 2010)}")
        else:
            found.append(
                f"alma.title = {rng.choice(top_titles)} or alma.creator = {rng.choice(top_names)}"
            )
    return found


def battery(store, index_dir: Path, size: int = 48) -> list[str]:
    """Returns the request paths: each query with a page size, record schema and version as clients
    mix them. Of 48: 32 pages of 10 records and 4 each of 0, 1, 20 and 50; 7 dc, 4 mods, the rest
    marcxml; 3 in SRU 2.0; second pages of queries with more than 20 hits."""
    paths = []
    for n, query in enumerate(queries(store, size)):
        params = {"version": "2.0" if n % 16 == 9 else "1.2", "operation": "searchRetrieve"}
        params["query"] = query
        params["maximumRecords"] = {0: "0", 1: "1", 2: "20", 3: "50"}.get(n % 12, "10")
        if n % 7 == 5:
            params["recordSchema"] = "dc"
        elif n % 11 == 7:
            params["recordSchema"] = "mods"
        if n % 6 == 1 and len(search_ids(index_dir, query)) > 20:
            params["startRecord"] = "11"
        paths.append("/sru?" + urllib.parse.urlencode(params))
    return paths


def _http_client(port: int, paths: list[str], start_at: float, keep_alive: bool, out) -> None:
    """One client process: sends its paths one after the other; reports latencies."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {} if keep_alive else {"Connection": "close"}
    latencies, diagnostics = [], 0
    time.sleep(max(0.0, start_at - time.monotonic()))
    begun = time.monotonic()
    for path in paths:
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                conn.request("GET", path, headers=headers)
                body = conn.getresponse().read()
                break
            except (ConnectionError, http.client.HTTPException):
                conn.close()  # the server closed an idle connection: open a new one once
                if attempt == 2:
                    raise
        latencies.append(time.perf_counter() - started)
        diagnostics += b"diagnostic/1/" in body
    out.put((latencies, diagnostics, begun, time.monotonic()))
    conn.close()


def _urllib_clients(port: int, jobs: list[str], clients: int) -> tuple[list[float], int]:
    """Threads of this process, each request on a new connection."""
    lock = threading.Lock()
    latencies: list[float] = []
    diagnostics = 0

    def worker(share: list[str]) -> None:
        nonlocal diagnostics
        for path in share:
            started = time.perf_counter()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
                body = response.read()
            with lock:
                latencies.append(time.perf_counter() - started)
                diagnostics += b"diagnostic/1/" in body

    threads = [threading.Thread(target=worker, args=(jobs[i::clients],)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, diagnostics


def run(port: int, paths: list[str], clients: int, rounds: int, kind: str):
    """Sends every path ``rounds`` times from ``clients`` clients; returns latencies, seconds,
    diagnostics and the CPU seconds of the clients."""
    jobs = [p for _ in range(rounds) for p in paths]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    if kind == "urllib":
        cpu = time.process_time()
        latencies, diagnostics = _urllib_clients(port, jobs, clients)
        return latencies, time.monotonic() - started, diagnostics, time.process_time() - cpu
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    start_at = time.monotonic() + 0.3
    procs = [
        context.Process(
            target=_http_client, args=(port, jobs[i::clients], start_at, kind == "keep-alive", out)
        )
        for i in range(clients)
    ]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=600) for _ in procs]
    for proc in procs:
        proc.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    latencies = [x for r in results for x in r[0]]
    seconds = max(r[3] for r in results) - min(r[2] for r in results)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return latencies, seconds, sum(r[1] for r in results), cpu


def cpu_seconds(pid: int) -> float:
    """Returns the CPU time of a process and its children, from /proc (0 where unreadable)."""
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / TICK
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return total
    return total + sum(cpu_seconds(int(child)) for child in children)


def prepare(args, db: Path, index_dir: Path) -> list[str]:
    """Loads the corpus and builds the index (unless ``--data`` already has them); returns paths."""
    saved = db.parent / "battery.json"
    if db.exists() and index.exists(index_dir) and saved.exists():
        print(f"reusing the store and index in {db.parent}")
        return json.loads(saved.read_text())
    for stale in (db, index_dir):
        if stale.exists():
            raise SystemExit(f"{stale} exists from an unfinished run: remove it first")
    config = create_app(
        {"DATABASE": str(db), "INDEX_DIR": str(index_dir), "LOG_LEVEL": "WARNING"}
    ).config
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
    paths = battery(store, index_dir)
    store.close()
    saved.write_text(json.dumps(paths, indent=1))
    return paths


def report(label: str, latencies: list[float], seconds: float, server: float, client: float):
    cuts = statistics.quantiles(latencies, n=100)
    n = len(latencies)
    print(
        f"{label:<10} {n:5d} queries  p50 {cuts[49] * 1000:6.1f} ms  p99 {cuts[98] * 1000:6.1f} ms"
        f"  {n / seconds:5.0f} queries/s  CPU/query: server {server / n * 1000:.2f} ms,"
        f" clients {client / n * 1000:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--data", type=Path, help="keep the store and index here, and reuse them")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--client", choices=("http", "keep-alive", "urllib"), default="http")
    parser.add_argument("--clients", default="1,8", help="comma-separated client counts")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("indexer.load.records").setLevel(
        logging.ERROR
    )  # one line per rejected record
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.data or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        db, index_dir = folder / "pressmark.db", folder / "index"
        paths = prepare(args, db, index_dir)
        port = free_port()
        env = dict(
            os.environ,
            PRESSMARK_DATABASE=str(db),
            PRESSMARK_INDEX_DIR=str(index_dir),
            PRESSMARK_LOG_LEVEL="WARNING",
        )
        command = [sys.executable, "-m", "gunicorn", "--worker-class", "gthread"]
        command += ["--workers", str(args.workers), "--threads", str(args.threads)]
        command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning", "app:create_app()"]
        server = subprocess.Popen(command, cwd=ROOT, env=env)
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/sru", timeout=2).read()
                    break
                except OSError:
                    time.sleep(0.2)
            print(
                f"battery: {len(paths)} requests; gunicorn {args.workers} workers x "
                f"{args.threads} threads; {args.client} clients"
            )
            run(port, paths, 8, 1, args.client)  # warm-up: every worker opens the index
            for clients in (int(c) for c in args.clients.split(",")):
                server_cpu = cpu_seconds(server.pid)
                latencies, seconds, diagnostics, client_cpu = run(
                    port, paths, clients, args.rounds, args.client
                )
                server_cpu = cpu_seconds(server.pid) - server_cpu
                label = f"{clients} client{'s' if clients > 1 else ''}"
                report(label, latencies, seconds, server_cpu, client_cpu)
                if diagnostics:
                    print(f"  ({diagnostics} responses carried a diagnostic)")
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
