"""A file publishing profile: what a run writes, in which format and enrichment, where it goes.

A profile says what to publish (``all``, ``set:SPEC`` an OAI set, ``cql:QUERY`` an SRU query), in
which format (``marcxml``, ``marc`` binary ISO 2709, ``oai_dc``), with which enrichment (852
holdings, AVA/AVE/AVD availability) and normalization rules, where (a directory), split into files
of at most ``max_file_bytes``, packed as one ``.tar.gz`` or not; when it runs on its own
(``interval`` minutes, see :mod:`indexer.publishing.runs`); where its files are uploaded
(``upload``, an ``ftp://``, ``ftps://`` or ``sftp://`` URL, see :mod:`indexer.publishing.upload`).
:meth:`PublishProfile.check` compiles the rules and checks the upload settings, so a rule file with
a syntax error is refused with its line and column. No password is ever stored: a profile names
the environment variable that holds it.
"""

from __future__ import annotations

from dataclasses import dataclass

from indexer.publishing.upload.target import UploadError, UploadSettings
from indexer.rules import RuleSet, compile_rules, rule_text

FORMATS = ("marcxml", "marc", "oai_dc")
#: Longest schedule interval: a year, in minutes.
MAX_INTERVAL = 525_600


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
