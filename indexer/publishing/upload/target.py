"""Where a publishing run's files go: the upload URL, the profile's upload settings, their errors."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

SCHEMES = ("ftp", "ftps", "sftp")
DEFAULT_PORTS = {"ftp": 21, "ftps": 21, "sftp": 22}
#: Suffix of a file while it is being uploaded.
PART_SUFFIX = ".part"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class UploadError(Exception):
    """An upload that cannot be set up or did not complete; the message never holds a password.

    ``uploaded`` lists the remote URLs of the files that arrived before the failure.
    """

    def __init__(self, message: str, uploaded: list[str] | None = None) -> None:
        super().__init__(message)
        self.uploaded = uploaded or []


class Session(Protocol):
    """An open connection to an upload server, in the target directory."""

    def put(self, path: Path, name: str, beat: Callable[[], None]) -> None:
        """Uploads ``path`` as ``name + PART_SUFFIX``, checks its size, renames it to ``name``."""

    def discard(self, name: str) -> None:
        """Removes ``name + PART_SUFFIX`` if it is there (best effort)."""

    def close(self) -> None:
        """Ends the session."""


@dataclass(frozen=True)
class UploadTarget:
    """Where files go: a parsed upload URL."""

    scheme: str
    user: str
    host: str
    port: int
    path: str

    @property
    def url(self) -> str:
        """The URL to show in messages and history (never with a password)."""
        user = f"{self.user}@" if self.user else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if self.port == DEFAULT_PORTS[self.scheme] else f":{self.port}"
        return f"{self.scheme}://{user}{host}{port}{self.path}"

    @property
    def directory(self) -> str:
        """The remote directory: relative to the login directory unless it starts with ``/``."""
        if self.scheme == "sftp":
            if self.path in ("", "/~", "/~/"):
                return ""
            return self.path[3:] if self.path.startswith("/~/") else self.path
        return self.path[1:]

    def file_url(self, name: str) -> str:
        """The URL of an uploaded file."""
        return f"{self.url.rstrip('/')}/{name}"


def parse_target(url: str) -> UploadTarget:
    """Parses an upload URL.

    Raises:
        UploadError: not an ftp, ftps or sftp URL, no host, a bad port, or a password in it.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UploadError(f"the upload URL is not valid: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise UploadError("the upload URL must start with ftp://, ftps:// or sftp://")
    if parts.password is not None:
        # the message must not repeat the URL: it holds the password
        raise UploadError(
            "the upload URL must not hold a password: name the environment variable that"
            " holds it (--upload-password-env)"
        )
    if not parts.hostname:
        raise UploadError("the upload URL has no host")
    if parts.query or parts.fragment:
        raise UploadError("the upload URL takes no query or fragment")
    path = unquote(parts.path)
    if "\n" in path or "\r" in path or ".." in path.split("/"):
        raise UploadError("the upload directory must not contain '..' or line breaks")
    return UploadTarget(
        scheme,
        unquote(parts.username or ""),
        parts.hostname,
        port or DEFAULT_PORTS[scheme],
        path,
    )


@dataclass(frozen=True)
class UploadSettings:
    """A profile's upload settings (the password itself is never among them)."""

    url: str
    password_env: str = ""
    key_file: str = ""
    known_hosts: str = ""
    trust_new_host: bool = False
    timeout: float = 60.0

    def check(self) -> UploadTarget:
        """Validates the settings and returns the target.

        Raises:
            UploadError: the first problem found.
        """
        target = parse_target(self.url)
        if self.password_env and not _ENV_NAME.match(self.password_env):
            raise UploadError(f"{self.password_env!r} is not an environment variable name")
        if target.scheme != "sftp" and (self.key_file or self.known_hosts or self.trust_new_host):
            raise UploadError("a key, known_hosts file or host trust applies to sftp:// only")
        if target.scheme == "sftp" and not (self.password_env or self.key_file):
            raise UploadError("an SFTP upload needs a password variable or a private key file")
        if target.scheme == "sftp" and not target.user:
            raise UploadError("an SFTP upload URL needs a user: sftp://user@host/dir")
        if target.scheme != "sftp" and target.user and not self.password_env:
            raise UploadError(
                "name the environment variable that holds the FTP password"
                " (or leave the user out for anonymous FTP)"
            )
        if self.trust_new_host and not self.known_hosts:
            raise UploadError("trusting a new host key needs a known_hosts file to remember it")
        if not 0 < self.timeout <= 3600:
            raise UploadError("the upload timeout is between 0 and 3600 seconds")
        return target

    def password(self) -> str:
        """Returns the password from the environment ('' when none is named).

        Raises:
            UploadError: the variable is named but not set.
        """
        if not self.password_env:
            return ""
        value = os.environ.get(self.password_env)
        if value is None:
            raise UploadError(
                f"environment variable {self.password_env} (the upload password) is not set"
            )
        return value
