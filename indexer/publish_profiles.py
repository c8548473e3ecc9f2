"""File publishing profiles and their run history, in two tables of the record store.

A profile says what to publish (``all``, ``set:SPEC`` an OAI set, ``cql:QUERY`` an SRU query), in
which format (``marcxml``, ``marc`` binary ISO 2709, ``oai_dc``), with which enrichment (852
holdings, AVA/AVE/AVD availability) and normalization rules, where (a directory), split into files
of at most ``max_file_bytes``, packed as one ``.tar.gz`` or not. The rules are compiled when the
profile is saved, so a rule file with a syntax error is refused with its line and column.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from indexer.rules import RuleSet, compile_rules

if TYPE_CHECKING:
    from indexer.store import RecordStore

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
)
FORMATS = ("marcxml", "marc", "oai_dc")


class ProfileError(ValueError):
    """A profile that cannot be saved or run: bad name, set, format, rules or directory."""


@dataclass(frozen=True)
class PublishProfile:
    """What a file publishing run writes, and where."""

    name: str
    output: str
    selection: str = "all"
    format: str = "marcxml"
    holdings_852: bool = False
    availability: bool = False
    rules: str = ""
    max_file_bytes: int = 50_000_000
    compress: bool = True
    last_seq: int = 0

    def rule_set(self) -> RuleSet | None:
        """Returns the compiled rules (the ``rules`` text, or the file it names), or None.

        Raises:
            ProfileError: the rule file cannot be read, or the rules do not compile.
        """
        if not self.rules.strip():
            return None
        text = self.rules
        if "\n" not in text and not text.lstrip().lower().startswith("rule"):
            try:
                text = Path(text).read_text(encoding="utf-8")
            except OSError as exc:
                raise ProfileError(f"cannot read rule file {self.rules}: {exc}") from exc
        try:
            return compile_rules(text)
        except ValueError as exc:
            raise ProfileError(f"rules of profile {self.name}: {exc}") from exc

    def check(self) -> None:
        """Validates the profile, rules included.

        Raises:
            ProfileError: the first problem found.
        """
        if not self.name or not all(c.isalnum() or c in "-_." for c in self.name):
            raise ProfileError("a profile name is letters, digits, '-', '_' or '.'")
        if self.format not in FORMATS:
            raise ProfileError(f"format must be one of {', '.join(FORMATS)}")
        kind, _, value = self.selection.partition(":")
        if self.selection != "all" and (kind not in ("set", "cql") or not value.strip()):
            raise ProfileError("the selection is 'all', 'set:SPEC' or 'cql:QUERY'")
        if self.max_file_bytes < 1000:
            raise ProfileError("max_file_bytes must be at least 1000")
        if not self.output:
            raise ProfileError("the profile needs an output directory")
        self.rule_set()


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


class Profiles:
    """The publishing profiles and runs of a record store."""

    def __init__(self, store: RecordStore) -> None:
        self.store = store
        for statement in DDL:
            store.conn.execute(statement)

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
        return PublishProfile(
            name=name, last_seq=row[1], **{k: v for k, v in config.items() if k in known}
        )

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

    def start_run(self, profile: PublishProfile, mode: str, to_seq: int) -> int:
        """Records the start of a run; returns its id."""
        with self.store.batch():
            cursor = self.store.conn.execute(
                "INSERT INTO publish_runs (profile, mode, started, status, from_seq, to_seq)"
                " VALUES (?, ?, ?, 'running', ?, ?)",
                (profile.name, mode, int(time.time()), profile.last_seq, to_seq),
            )
        return int(cursor.lastrowid)

    def finish_run(self, run: PublishRun) -> None:
        """Records the end of a run; a successful one moves the profile to ``run.to_seq``."""
        with self.store.batch():
            self.store.conn.execute(
                "UPDATE publish_runs SET finished = ?, status = ?, records = ?, deleted = ?,"
                " skipped = ?, files = ?, message = ? WHERE id = ?",
                (
                    int(time.time()),
                    run.status,
                    run.records,
                    run.deleted,
                    run.skipped,
                    json.dumps(run.files),
                    run.message,
                    run.id,
                ),
            )
            if run.status == "done":
                self.store.conn.execute(
                    "UPDATE publish_profiles SET last_seq = ? WHERE name = ?",
                    (run.to_seq, run.profile),
                )

    def runs(self, name: str | None = None, limit: int = 20) -> list[PublishRun]:
        """Returns the latest runs (of one profile, or of all), newest first."""
        where, args = ("WHERE profile = ?", [name]) if name else ("", [])
        rows = self.store.conn.execute(
            "SELECT id, profile, mode, started, finished, status, records, deleted, skipped,"
            f" files, from_seq, to_seq, message FROM publish_runs {where}"
            " ORDER BY id DESC LIMIT ?",
            [*args, limit],
        ).fetchall()
        return [
            PublishRun(*r[:9], files=json.loads(r[9]), from_seq=r[10], to_seq=r[11], message=r[12])
            for r in rows
        ]


def with_changes(profile: PublishProfile, **changes: Any) -> PublishProfile:
    """Returns a copy of ``profile`` with some settings changed."""
    return replace(profile, **changes)
