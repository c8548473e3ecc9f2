"""File publishing profiles and their runs, in tables of the record store.

The profile itself is :class:`~indexer.publishing.profile.PublishProfile`; its run history, locks
and schedule are :class:`~indexer.publishing.runs.RunHistory`, which :class:`Profiles` extends.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from indexer.publishing.profile import PublishProfile
from indexer.publishing.runs import RunHistory, add_run_columns

if TYPE_CHECKING:
    from indexer.store.records import RecordStore

DDL = (
    "CREATE TABLE IF NOT EXISTS publish_profiles ("
    " name TEXT PRIMARY KEY, config TEXT NOT NULL, last_seq INTEGER NOT NULL DEFAULT 0,"
    " created INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS publish_runs ("
    " id INTEGER PRIMARY KEY, profile TEXT NOT NULL, mode TEXT NOT NULL,"
    " started INTEGER NOT NULL, finished INTEGER, status TEXT NOT NULL,"
    " records INTEGER NOT NULL DEFAULT 0, deleted INTEGER NOT NULL DEFAULT 0,"
    " skipped INTEGER NOT NULL DEFAULT 0, files TEXT NOT NULL DEFAULT '[]',"
    " from_seq INTEGER NOT NULL DEFAULT 0, to_seq INTEGER NOT NULL DEFAULT 0, message TEXT)",
    "CREATE INDEX IF NOT EXISTS publish_runs_by_profile ON publish_runs (profile, id)",
)


class Profiles(RunHistory):
    """The publishing profiles, their runs, locks and schedule, in a record store."""

    def __init__(self, store: RecordStore) -> None:
        self.store = store
        for statement in DDL:
            store.conn.execute(statement)
        add_run_columns(store)

    def save(self, profile: PublishProfile) -> PublishProfile:
        """Validates and saves a profile (a new one, or a new version keeping its position).

        Raises:
            ProfileError: the profile is not valid (see :meth:`PublishProfile.check`).
        """
        profile.check()
        config = {k: v for k, v in asdict(profile).items() if k not in ("name", "last_seq")}
        with self.store.batch():
            self.store.conn.execute(
                "INSERT INTO publish_profiles (name, config, created) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET config = excluded.config",
                (profile.name, json.dumps(config), int(time.time())),
            )
        return self.get(profile.name)

    def get(self, name: str) -> PublishProfile | None:
        """Returns the profile called ``name``, or None."""
        row = self.store.conn.execute(
            "SELECT config, last_seq FROM publish_profiles WHERE name = ?", (name,)
        ).fetchone()
        if row is None:
            return None
        config: dict[str, Any] = json.loads(row[0])
        known = {f for f in PublishProfile.__dataclass_fields__ if f not in ("name", "last_seq")}
        settings = {k: v for k, v in config.items() if k in known and v is not None}
        return PublishProfile(name=name, last_seq=row[1], **settings)

    def all(self) -> list[PublishProfile]:
        """Returns every profile, by name."""
        names = [r[0] for r in self.store.conn.execute("SELECT name FROM publish_profiles")]
        return [p for p in (self.get(n) for n in sorted(names)) if p is not None]

    def delete(self, name: str) -> bool:
        """Deletes a profile (its history stays); returns whether it existed."""
        with self.store.batch():
            cursor = self.store.conn.execute("DELETE FROM publish_profiles WHERE name = ?", (name,))
        return cursor.rowcount > 0

    def reset(self, name: str) -> None:
        """Makes the next run of the profile a full one."""
        with self.store.batch():
            self.store.conn.execute(
                "UPDATE publish_profiles SET last_seq = 0 WHERE name = ?", (name,)
            )
