"""The SQLite schema of the record store, and how a database file is opened.

Datestamps are integer seconds since the epoch, UTC. Rows are never removed from ``records``: a deleted
record keeps its row as a tombstone (OAI-PMH ``deletedRecord`` = persistent).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA_VERSION = 1

DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY,
    mms_id TEXT NOT NULL UNIQUE,
    datestamp INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    marcxml BLOB NOT NULL,
    digest TEXT NOT NULL,
    source TEXT,
    created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS records_by_datestamp ON records (datestamp, id);
CREATE INDEX IF NOT EXISTS records_by_digest ON records (digest);

CREATE TABLE IF NOT EXISTS published (
    record_id INTEGER NOT NULL,
    prefix TEXT NOT NULL,
    xml BLOB NOT NULL,
    PRIMARY KEY (record_id, prefix)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS match_keys (
    method TEXT NOT NULL,
    key TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    PRIMARY KEY (method, key, record_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS match_keys_by_record ON match_keys (record_id);

CREATE TABLE IF NOT EXISTS sets (
    spec TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    query TEXT
);
CREATE TABLE IF NOT EXISTS set_members (
    set_spec TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    removed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (set_spec, record_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS set_members_by_record ON set_members (record_id);

CREATE TABLE IF NOT EXISTS holdings (
    id INTEGER PRIMARY KEY,
    record_id INTEGER NOT NULL,
    library_code TEXT NOT NULL,
    library_name TEXT NOT NULL DEFAULT '',
    location_code TEXT NOT NULL DEFAULT '',
    location_name TEXT NOT NULL DEFAULT '',
    call_number TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT 'file',
    UNIQUE (record_id, library_code, location_code, call_number)
);
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY,
    holding_id INTEGER NOT NULL,
    barcode TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('available', 'loaned', 'missing')),
    description TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS items_by_holding ON items (holding_id);
CREATE TABLE IF NOT EXISTS portfolios (
    id INTEGER PRIMARY KEY,
    record_id INTEGER NOT NULL,
    collection_id TEXT NOT NULL DEFAULT '',
    collection_name TEXT NOT NULL DEFAULT '',
    library TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL,
    coverage TEXT NOT NULL DEFAULT '',
    interface TEXT NOT NULL DEFAULT '',
    available INTEGER NOT NULL DEFAULT 1,
    UNIQUE (record_id, url)
);
CREATE TABLE IF NOT EXISTS representations (
    id INTEGER PRIMARY KEY,
    record_id INTEGER NOT NULL,
    label TEXT NOT NULL,
    url TEXT NOT NULL,
    library TEXT NOT NULL DEFAULT '',
    UNIQUE (record_id, url)
);

CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    at INTEGER NOT NULL
);
"""


class StoreError(Exception):
    """The database cannot be used: missing, locked, corrupt, or not a Pressmark store."""


def connect(path: str | Path, *, create: bool = False, timeout: float = 10.0) -> sqlite3.Connection:
    """Opens the store's SQLite database in WAL mode and checks that it is one of ours.

    Raises:
        StoreError: the file does not exist (and ``create`` is false), is locked, corrupt or foreign.
    """
    path = Path(path)
    if not create and not path.exists():
        raise StoreError(f"no record store at {path}: run `pressmark init` first")
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal":
            raise StoreError(f"{path}: cannot switch to WAL mode (got {mode})")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = OFF")
        if create:
            conn.executescript(DDL)
            conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
        version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc):
            raise StoreError(f"{path} is locked by another process: {exc}") from exc
        if "no such table" in str(exc):
            raise StoreError(f"{path} is not a Pressmark record store") from exc
        raise StoreError(f"{path}: {exc}") from exc
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is corrupt or not an SQLite database: {exc}") from exc
    if version is None or int(version[0]) != SCHEMA_VERSION:
        conn.close()
        raise StoreError(f"{path}: unsupported schema version {version}")
    return conn
