"""Run history, checkpoints and run locks (one run per profile at a time), in the store's database.

A lock row names its holder (host, process, owner token) and is refreshed at every checkpoint; a
lock whose holder is dead (:mod:`indexer.store.run_locks`: its process is gone, or it has not been
refreshed for ``LOCK_STALE_SECONDS``) is taken over, so a run killed with SIGKILL never blocks its
profile for good.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from typing import TYPE_CHECKING, Any

from indexer.store.run_locks import drop_owner, hold_owner, owner_token, stale_reason

if TYPE_CHECKING:
    from indexer.store.records import RecordStore


class LockedError(Exception):
    """Another run of the profile is in progress."""


class RunHistory:
    """Runs and locks over a store's connection (the tables come from ``profiles.DDL``)."""

    store: RecordStore
    conn: sqlite3.Connection

    def create_run(self, profile: str, mode: str, from_date: str | None) -> int:
        """Starts a run row (status ``running``) and returns its id."""
        with self.store.batch():
            cursor = self.conn.execute(
                "INSERT INTO harvest_runs (profile, mode, status, from_date, started)"
                " VALUES (?, ?, 'running', ?, ?)",
                (profile, mode, from_date, time.time()),
            )
        return int(cursor.lastrowid or 0)

    def run(self, run_id: int) -> dict[str, Any] | None:
        """Returns a run as a dict (counts, rejections and errors decoded), or None."""
        self.conn.row_factory = sqlite3.Row
        try:
            row = self.conn.execute("SELECT * FROM harvest_runs WHERE id = ?", (run_id,)).fetchone()
        finally:
            self.conn.row_factory = None
        if row is None:
            return None
        run = dict(row)
        for key in ("counts", "rejections", "errors"):
            run[key] = json.loads(run[key])
        return run

    def runs(self, profile: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Returns the latest runs, newest first (of one profile, or of all)."""
        where, args = ("WHERE profile = ?", [profile]) if profile else ("", [])
        ids = self.conn.execute(
            f"SELECT id FROM harvest_runs {where} ORDER BY id DESC LIMIT ?", (*args, limit)
        ).fetchall()
        return [run for (rid,) in ids if (run := self.run(rid)) is not None]

    def unfinished_run(self, profile: str) -> dict[str, Any] | None:
        """Returns the latest run if it stopped before its end with a checkpoint to resume from."""
        row = self.conn.execute(
            "SELECT id, status, token FROM harvest_runs WHERE profile = ? ORDER BY id DESC LIMIT 1",
            (profile,),
        ).fetchone()
        if row and row[1] in ("running", "failed") and row[2]:
            return self.run(row[0])
        return None

    def last_success(self, profile: str) -> dict[str, Any] | None:
        """Returns the latest run that completed its list, or None."""
        row = self.conn.execute(
            "SELECT id FROM harvest_runs WHERE profile = ? AND status = 'done'"
            " AND response_date IS NOT NULL ORDER BY id DESC LIMIT 1",
            (profile,),
        ).fetchone()
        return self.run(row[0]) if row else None

    def checkpoint(self, run_id: int, **values: Any) -> None:
        """Writes the progress of a run; call inside the batch that stored the page."""
        for key in ("counts", "rejections", "errors"):
            if key in values:
                values[key] = json.dumps(values[key])
        columns = ", ".join(f"{key} = ?" for key in values)
        self.conn.execute(
            f"UPDATE harvest_runs SET {columns} WHERE id = ?", (*values.values(), run_id)
        )
        self.conn.execute(
            "UPDATE harvest_locks SET heartbeat = ? WHERE run_id = ?", (time.time(), run_id)
        )

    def finish(self, run_id: int, **values: Any) -> None:
        """Writes the final state of a run in its own transaction."""
        with self.store.batch():
            self.checkpoint(run_id, **values)

    # locks ----------------------------------------------------------------------------------------

    def acquire(self, profile: str) -> str:
        """Takes the profile's run lock and returns its owner token; a stale lock is taken over.

        A lock is stale when its process is gone (same host), when this process holds no such
        owner, or when it has not been refreshed for ``LOCK_STALE_SECONDS``.

        Raises:
            LockedError: another live run holds the lock.
        """
        owner = owner_token()
        with self.store.batch():
            row = self.conn.execute(
                "SELECT owner, host, pid, heartbeat, run_id FROM harvest_locks WHERE profile = ?",
                (profile,),
            ).fetchone()
            if row and stale_reason(row[1], row[2], row[0], row[3]) is None:
                raise LockedError(
                    f"profile {profile!r} is being harvested (run {row[4]}, process {row[2]})"
                )
            if row:
                self.conn.execute(
                    "UPDATE harvest_runs SET status = 'failed' WHERE id = ? AND status = 'running'",
                    (row[4],),
                )
            self.conn.execute(
                "INSERT OR REPLACE INTO harvest_locks"
                " (profile, run_id, owner, host, pid, heartbeat) VALUES (?, NULL, ?, ?, ?, ?)",
                (profile, owner, socket.gethostname(), os.getpid(), time.time()),
            )
        hold_owner(owner)
        return owner

    def attach(self, profile: str, owner: str, run_id: int) -> None:
        """Records which run holds the lock."""
        with self.store.batch():
            self.conn.execute(
                "UPDATE harvest_locks SET run_id = ?, heartbeat = ?"
                " WHERE profile = ? AND owner = ?",
                (run_id, time.time(), profile, owner),
            )

    def release(self, profile: str, owner: str) -> None:
        """Gives the lock back (only if this owner still holds it)."""
        drop_owner(owner)
        with self.store.batch():
            self.conn.execute(
                "DELETE FROM harvest_locks WHERE profile = ? AND owner = ?", (profile, owner)
            )

    def locked(self, profile: str) -> bool:
        """Returns whether a live run holds the profile's lock."""
        row = self.conn.execute(
            "SELECT owner, host, pid, heartbeat FROM harvest_locks WHERE profile = ?", (profile,)
        ).fetchone()
        return bool(row) and stale_reason(row[1], row[2], row[0], row[3]) is None
