"""Import profiles, run history, checkpoints and run locks, in the record store's SQLite database.

The tables live beside the records so that a page's records and the checkpoint that follows them
(resumption token, counts) commit in one transaction: a run killed at any point resumes from the
last committed page, neither losing nor repeating a record.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from harvester.merge import DEFAULT_LOCAL_FIELDS, MERGE_POLICIES, tag_pattern
from harvester.normalize import RulesError, load_rules
from harvester.runs import LockedError, RunHistory
from indexer.store import matching
from indexer.store.records import RecordStore

__all__ = ["DDL", "LockedError", "Profile", "ProfileError", "Profiles"]

DDL = """
CREATE TABLE IF NOT EXISTS harvest_profiles (
    name TEXT PRIMARY KEY,
    settings TEXT NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS harvest_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    profile TEXT NOT NULL,
    mode TEXT NOT NULL,
    status TEXT NOT NULL,
    from_date TEXT,
    response_date TEXT,
    token TEXT,
    pages INTEGER NOT NULL DEFAULT 0,
    cursor INTEGER,
    complete_list_size INTEGER,
    counts TEXT NOT NULL DEFAULT '{}',
    rejections TEXT NOT NULL DEFAULT '[]',
    errors TEXT NOT NULL DEFAULT '[]',
    started REAL NOT NULL,
    finished REAL,
    seconds REAL NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS harvest_runs_by_profile ON harvest_runs (profile, id);
CREATE TABLE IF NOT EXISTS harvest_locks (
    profile TEXT PRIMARY KEY,
    run_id INTEGER,
    owner TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    heartbeat REAL NOT NULL
);
"""

DELETED_POLICIES = ("delete", "suppress", "ignore")
#: Rejections kept per run; the count goes on past it.
MAX_REJECTIONS = 1000


class ProfileError(ValueError):
    """A profile setting is invalid, or the profile does not exist."""


@dataclass
class Profile:
    """An import profile: where to harvest from and what to do with what comes."""

    name: str
    base_url: str
    metadata_prefix: str = "marc21"
    set_spec: str | None = None
    interval: int | None = None
    match: list[str] = field(default_factory=lambda: ["oai"])
    merge: str = "overlay"
    local_fields: list[str] = field(default_factory=lambda: list(DEFAULT_LOCAL_FIELDS))
    deleted: str = "delete"
    rules: str | None = None

    def validate(self) -> Profile:
        """Checks every setting and returns the profile.

        Raises:
            ProfileError: which setting is wrong and why.
        """
        _check_types(self)
        if not self.name or not all(c.isalnum() or c in "-_." for c in self.name):
            raise ProfileError("name: letters, digits, '-', '_' and '.' only")
        if not self.base_url.startswith(("http://", "https://")):
            raise ProfileError("base_url: an http:// or https:// URL is required")
        if not self.metadata_prefix:
            raise ProfileError("metadata_prefix is required (marc21, MARCXML, oai_dc, ...)")
        if self.interval is not None and (not isinstance(self.interval, int) or self.interval < 1):
            raise ProfileError("interval: a whole number of minutes, at least 1")
        try:
            self.match = list(matching.parse_methods(self.match))
            tag_pattern(self.local_fields)
        except ValueError as exc:
            raise ProfileError(str(exc)) from exc
        if self.merge not in MERGE_POLICIES:
            raise ProfileError(f"merge: one of {', '.join(MERGE_POLICIES)}")
        if self.deleted not in DELETED_POLICIES:
            raise ProfileError(f"deleted: one of {', '.join(DELETED_POLICIES)}")
        if self.rules:
            try:
                load_rules(self.rules)
            except RulesError as exc:
                raise ProfileError(f"rules: {exc}") from exc
        return self

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Profile:
        """Returns a validated profile from a dict (unknown keys are an error).

        Raises:
            ProfileError: unknown or invalid settings.
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ProfileError(f"unknown setting {unknown[0]!r}; known: {', '.join(sorted(known))}")
        if "name" not in data or "base_url" not in data:
            raise ProfileError("name and base_url are required")
        try:
            profile = cls(**data)
        except TypeError as exc:
            raise ProfileError(str(exc)) from exc
        return profile.validate()

    def to_dict(self) -> dict[str, Any]:
        """Returns the settings as a JSON-ready dict."""
        return asdict(self)


class Profiles(RunHistory):
    """Profiles, runs and locks over a store's connection."""

    def __init__(self, store: RecordStore) -> None:
        self.store = store
        self.conn: sqlite3.Connection = store.conn
        if not self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'harvest_locks'"
        ).fetchone():
            self.conn.executescript(DDL)

    # profiles -------------------------------------------------------------------------------------

    def save(self, profile: Profile, *, create: bool = False) -> Profile:
        """Creates or replaces a profile.

        Raises:
            ProfileError: invalid settings, or ``create`` and the name is taken.
        """
        profile.validate()
        now = int(time.time())
        with self.store.batch():
            exists = self.conn.execute(
                "SELECT 1 FROM harvest_profiles WHERE name = ?", (profile.name,)
            ).fetchone()
            if exists and create:
                raise ProfileError(f"profile {profile.name!r} exists already")
            settings = json.dumps({k: v for k, v in profile.to_dict().items() if k != "name"})
            self.conn.execute(
                "INSERT INTO harvest_profiles (name, settings, created, updated)"
                " VALUES (?, ?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET settings = excluded.settings,"
                " updated = excluded.updated",
                (profile.name, settings, now, now),
            )
        return profile

    def update(self, name: str, changes: dict[str, Any]) -> Profile:
        """Changes some settings of a profile.

        Raises:
            ProfileError: no such profile, or invalid settings.
        """
        if "name" in changes and changes["name"] != name:
            raise ProfileError("a profile cannot be renamed")
        data = self.get(name).to_dict() | changes
        return self.save(Profile.from_dict(data))

    def get(self, name: str) -> Profile:
        """Returns a profile.

        Raises:
            ProfileError: no such profile.
        """
        row = self.conn.execute(
            "SELECT settings FROM harvest_profiles WHERE name = ?", (name,)
        ).fetchone()
        if row is None:
            raise ProfileError(f"no profile named {name!r}")
        return Profile(name=name, **json.loads(row[0]))

    def names(self) -> list[str]:
        """Returns the profile names, sorted."""
        return [r[0] for r in self.conn.execute("SELECT name FROM harvest_profiles ORDER BY name")]

    def all(self) -> list[Profile]:
        """Returns every profile, by name."""
        return [self.get(name) for name in self.names()]

    def remove(self, name: str) -> None:
        """Removes a profile (its run history stays).

        Raises:
            ProfileError: no such profile.
        """
        with self.store.batch():
            if not self.conn.execute(
                "DELETE FROM harvest_profiles WHERE name = ?", (name,)
            ).rowcount:
                raise ProfileError(f"no profile named {name!r}")


_TYPES: dict[str, tuple[type, ...]] = {
    "name": (str,),
    "base_url": (str,),
    "metadata_prefix": (str,),
    "set_spec": (str, type(None)),
    "interval": (int, type(None)),
    "match": (list, str),
    "merge": (str,),
    "local_fields": (list,),
    "deleted": (str,),
    "rules": (str, type(None)),
}


def _check_types(profile: Profile) -> None:
    for name, types in _TYPES.items():
        value = getattr(profile, name)
        if not isinstance(value, types) or isinstance(value, bool):
            wanted = " or ".join("null" if t is type(None) else t.__name__ for t in types)
            raise ProfileError(f"{name}: expected {wanted}, got {type(value).__name__}")
        if isinstance(value, list) and not all(isinstance(v, str) for v in value):
            raise ProfileError(f"{name}: expected a list of strings")
