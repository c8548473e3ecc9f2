"""Run history, run locks and schedule of the file publishing profiles, in the store's database.

A run's row is its lock: while a row of the profile has status ``running`` and its holder lives,
another run of the profile is refused. The row names its holder (host, process, owner token) and
its heartbeat is refreshed as the run goes; a row whose holder is dead (:mod:`indexer.store.run_locks`:
its process is gone, or its heartbeat is older than ``LOCK_STALE_SECONDS``) is marked failed and the
new run goes ahead, so a run killed with SIGKILL never blocks its profile for good.

A profile with an ``interval`` (minutes) is due when that long has passed since its last run
started; a profile whose last run failed (or was killed) is due at once.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from indexer.store.run_locks import drop_owner, hold_owner, owner_token, stale_reason
from indexer.store.schema import StoreError

if TYPE_CHECKING:
    from indexer.publishing.profile import PublishProfile
    from indexer.store.records import RecordStore

#: Columns added to ``publish_runs`` after its first version (name, declaration).
RUN_COLUMNS = (
    ("host", "TEXT"),
    ("pid", "INTEGER"),
    ("owner", "TEXT"),
    ("heartbeat", "INTEGER"),
    ("uploads", "TEXT NOT NULL DEFAULT '[]'"),
)
_SELECT = (
    "SELECT id, profile, mode, started, finished, status, records, deleted, skipped,"
    " files, from_seq, to_seq, message, uploads FROM publish_runs"
)


class LockedError(Exception):
    """Another run of the profile is in progress."""


@dataclass(frozen=True)
class PublishRun:
    """One run of a profile, as the history keeps it."""

    id: int
    profile: str
    mode: str
    started: int
    finished: int | None
    status: str
    records: int = 0
    deleted: int = 0
    skipped: int = 0
    files: list[str] = field(default_factory=list)
    from_seq: int = 0
    to_seq: int = 0
    message: str | None = None
    uploads: list[str] = field(default_factory=list)


def add_run_columns(store: RecordStore) -> None:
    """Adds the lock and upload columns to a ``publish_runs`` table made before them."""
    conn = store.conn
    have = {row[1] for row in conn.execute("PRAGMA table_info(publish_runs)")}
    if all(name in have for name, _ in RUN_COLUMNS):
        return
    with store.batch():
        # read again inside the write lock: another process may have added them meanwhile
        have = {row[1] for row in conn.execute("PRAGMA table_info(publish_runs)")}
        for name, declaration in RUN_COLUMNS:
            if name not in have:
                conn.execute(f"ALTER TABLE publish_runs ADD COLUMN {name} {declaration}")


class RunHistory:
    """Runs, locks and the schedule over a store's connection (tables from ``publish_profiles``)."""

    store: RecordStore

    def _running_rows(self, name: str) -> list[tuple]:
        return self.store.conn.execute(
            "SELECT id, host, pid, owner, COALESCE(heartbeat, started) FROM publish_runs"
            " WHERE profile = ? AND status = 'running'",
            (name,),
        ).fetchall()

    def start_run(self, profile: PublishProfile, mode: str, to_seq: int) -> int:
        """Takes the profile's run lock and records the start of a run; returns its id.

        A stale running row (see :func:`stale_reason`) is marked failed and taken over.

        Raises:
            LockedError: a live run of the profile holds the lock.
        """
        host, pid = socket.gethostname(), os.getpid()
        owner = owner_token()
        now = int(time.time())
        with self.store.batch():
            for run_id, run_host, run_pid, run_owner, beat in self._running_rows(profile.name):
                reason = stale_reason(run_host, run_pid, run_owner, beat, now)
                if reason is None:
                    raise LockedError(
                        f"profile {profile.name!r} is already running"
                        f" (run {run_id}, process {run_pid} on {run_host})"
                    )
                self.store.conn.execute(
                    "UPDATE publish_runs SET status = 'failed', finished = ?, message = ?"
                    " WHERE id = ?",
                    (now, f"interrupted: {reason}", run_id),
                )
            cursor = self.store.conn.execute(
                "INSERT INTO publish_runs (profile, mode, started, status, from_seq, to_seq,"
                " host, pid, owner, heartbeat) VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?)",
                (profile.name, mode, now, profile.last_seq, to_seq, host, pid, owner, now),
            )
        hold_owner(owner)
        return int(cursor.lastrowid or 0)

    def beat(self, run_id: int) -> None:
        """Refreshes a run's heartbeat; a busy database only skips this beat."""
        try:
            with self.store.batch():
                self.store.conn.execute(
                    "UPDATE publish_runs SET heartbeat = ? WHERE id = ?",
                    (int(time.time()), run_id),
                )
        except (StoreError, sqlite3.OperationalError):
            pass

    def finish_run(self, run: PublishRun) -> None:
        """Records the end of a run and frees its lock; a successful one moves the profile on."""
        conn = self.store.conn
        with self.store.batch():
            owner = conn.execute(
                "SELECT owner FROM publish_runs WHERE id = ?", (run.id,)
            ).fetchone()
            conn.execute(
                "UPDATE publish_runs SET finished = ?, status = ?, records = ?, deleted = ?,"
                " skipped = ?, files = ?, message = ?, uploads = ? WHERE id = ?",
                (
                    int(time.time()),
                    run.status,
                    run.records,
                    run.deleted,
                    run.skipped,
                    json.dumps(run.files),
                    run.message,
                    json.dumps(run.uploads),
                    run.id,
                ),
            )
            if run.status == "done":
                conn.execute(
                    "UPDATE publish_profiles SET last_seq = ? WHERE name = ?",
                    (run.to_seq, run.profile),
                )
        if owner and owner[0]:
            drop_owner(owner[0])

    def runs(self, name: str | None = None, limit: int = 20) -> list[PublishRun]:
        """Returns the latest runs (of one profile, or of all), newest first."""
        where, args = ("WHERE profile = ?", [name]) if name else ("", [])
        rows = self.store.conn.execute(
            f"{_SELECT} {where} ORDER BY id DESC LIMIT ?", [*args, limit]
        ).fetchall()
        return [
            PublishRun(
                *r[:9],
                files=json.loads(r[9]),
                from_seq=r[10],
                to_seq=r[11],
                message=r[12],
                uploads=json.loads(r[13] or "[]"),
            )
            for r in rows
        ]

    def next_due(self, profile: PublishProfile) -> int | None:
        """Returns when the profile is due next (Unix time; the past means now), None if manual."""
        if not profile.interval:
            return None
        last = self.runs(profile.name, 1)
        if not last:
            return 0
        run = last[0]
        if run.status == "failed":
            return run.started
        if run.status == "running":
            now = time.time()
            if any(stale_reason(*row[1:], now) for row in self._running_rows(profile.name)):
                return run.started  # killed: due at once, like a failed run
        return run.started + profile.interval * 60

    def due(self, profiles: list[PublishProfile], now: float | None = None) -> list[PublishProfile]:
        """Returns the profiles among ``profiles`` whose next run is due by ``now``."""
        now = time.time() if now is None else now
        return [p for p in profiles if (when := self.next_due(p)) is not None and when <= now]
