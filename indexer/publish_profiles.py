"""File publishing profiles, in tables of the record store (runs: ``indexer.publish_runs``).

A profile says what to publish (``all``, ``set:SPEC`` an OAI set, ``cql:QUERY`` an SRU query), in
which format (``marcxml``, ``marc`` binary ISO 2709, ``oai_dc``), with which enrichment (852
holdings, AVA/AVE/AVD availability) and normalization rules, where (a directory), split into files
of at most ``max_file_bytes``, packed as one ``.tar.gz`` or not; when it runs on its own
(``interval`` minutes, see ``indexer.publish_runs``); where its files are uploaded (``upload``, an
``ftp://``, ``ftps://`` or ``sftp://`` URL, see ``indexer.upload``). The rules are compiled and the
upload settings checked when the profile is saved, so a rule file with a syntax error is refused
with its line and column. No password is ever stored: a profile names the environment variable
that holds it.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from indexer.publish_runs import LockedError, PublishRun, RunHistory, add_run_columns
from indexer.rules import RuleSet, compile_rules, rule_text
from indexer.upload import UploadError, UploadSettings

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
    "CREATE INDEX IF NOT EXISTS publish_runs_by_profile ON publish_runs (profile, id)",
)
FORMATS = ("marcxml", "marc", "oai_dc")
#: Longest schedule interval: a year, in minutes.
MAX_INTERVAL = 525_600

__all__ = [
    "FORMATS",
    "LockedError",
    "ProfileError",
    "Profiles",
    "PublishProfile",
    "PublishRun",
    "with_changes",
]


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
    interval: int = 0
    upload: str = ""
    upload_password_env: str = ""
    upload_key: str = ""
    upload_known_hosts: str = ""
    upload_trust_new_host: bool = False
    upload_timeout: float = 60.0
    last_seq: int = 0

    def upload_settings(self) -> UploadSettings | None:
        """Returns the upload settings, or None when the files stay local."""
        if not self.upload:
            return None
        return UploadSettings(
            url=self.upload,
            password_env=self.upload_password_env,
            key_file=self.upload_key,
            known_hosts=self.upload_known_hosts,
            trust_new_host=self.upload_trust_new_host,
            timeout=self.upload_timeout,
        )

    def rule_set(self) -> RuleSet | None:
        """Returns the compiled rules (the ``rules`` text, or the file it names), or None.

        Raises:
            ProfileError: the rule file cannot be read, or the rules do not compile.
        """
        if not self.rules.strip():
            return None
        try:
            text = rule_text(self.rules)
        except OSError as exc:
            raise ProfileError(
                f"cannot read rule file {self.rules}: {exc.strerror or exc}"
            ) from exc
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
        if not isinstance(self.interval, int) or not 0 <= self.interval <= MAX_INTERVAL:
            raise ProfileError(f"the interval is 0 (manual) to {MAX_INTERVAL} minutes")
        settings = self.upload_settings()
        if settings is None:
            extras = (self.upload_password_env, self.upload_key, self.upload_known_hosts)
            if any(extras) or self.upload_trust_new_host:
                raise ProfileError("the upload options need an upload URL")
        else:
            try:
                settings.check()
            except UploadError as exc:
                raise ProfileError(str(exc)) from exc
        self.rule_set()


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


def with_changes(profile: PublishProfile, **changes: Any) -> PublishProfile:
    """Returns a copy of ``profile`` with some settings changed."""
    return replace(profile, **changes)
