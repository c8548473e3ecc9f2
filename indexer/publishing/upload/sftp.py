"""SFTP upload sessions over paramiko, with the server's host key checked before logging in.

Host keys come from the profile's known_hosts file (else the user's ``~/.ssh/known_hosts``). An
unknown key is refused with its fingerprint, a changed key always; only a profile that asks for
trust on first use records an unknown key in its known_hosts file (with a warning in the log).
Neither an SSH agent nor the user's default keys are used: only the profile's key file.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import paramiko

from indexer.publishing.upload.target import PART_SUFFIX

if TYPE_CHECKING:
    from indexer.publishing.upload.target import UploadSettings, UploadTarget

logger = logging.getLogger(__name__)


class RefuseUnknownHost(paramiko.MissingHostKeyPolicy):
    """Refuses a host whose key is not known, naming the key's fingerprint."""

    def __init__(self, source: str) -> None:
        self.source = source

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey):
        """Raises for every unknown key.

        Raises:
            paramiko.SSHException: always.
        """
        raise paramiko.SSHException(
            f"unknown host key for {hostname} ({key.get_name()} {key.fingerprint}), not in"
            f" {self.source}: check the fingerprint with the server's administrator, then add"
            " the key to that file"
        )


class TrustFirstUse(paramiko.MissingHostKeyPolicy):
    """Accepts an unknown host key once and appends it to the known_hosts file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey):
        """Records the key (a key that differs from a known one never reaches this policy)."""
        client.get_host_keys().add(hostname, key.get_name(), key)
        new = not self.path.exists()
        # appending keeps the file's other lines (comments, hashed names, markers) as they are
        with self.path.open("a", encoding="ascii") as known:
            known.write(f"{hostname} {key.get_name()} {key.get_base64()}\n")
        if new:
            os.chmod(self.path, 0o600)
        logger.warning(
            "trusting the new host key of %s on first use: %s %s (saved in %s)",
            hostname,
            key.get_name(),
            key.fingerprint,
            self.path,
        )


class SftpSession:
    """A logged-in SFTP connection in the target directory."""

    def __init__(self, target: UploadTarget, settings: UploadSettings, password: str) -> None:
        self.client = paramiko.SSHClient()
        try:
            self._check_host_keys(settings)
            self._connect(target, settings, password)
            timeout = settings.timeout
            self.sftp = self.client.open_sftp()
            channel = self.sftp.get_channel()
            if channel is not None:
                channel.settimeout(timeout)
            self._enter(target.directory)
        except BaseException:
            self.client.close()
            raise

    def _connect(self, target: UploadTarget, settings: UploadSettings, password: str) -> None:
        timeout = settings.timeout
        key = str(Path(settings.key_file).expanduser()) if settings.key_file else None
        try:
            self.client.connect(
                target.host,
                target.port,
                username=target.user,
                password=password or None,
                key_filename=key,
                timeout=timeout,
                banner_timeout=timeout,
                auth_timeout=timeout,
                channel_timeout=timeout,
                allow_agent=False,
                look_for_keys=False,
            )
        except paramiko.SSHException as exc:
            transport = self.client.get_transport()
            if transport is not None and not getattr(transport, "initial_kex_done", True):
                # paramiko stops waiting for the handshake after `timeout`, then fails vaguely
                raise TimeoutError(f"no SSH handshake within {timeout:g} s") from exc
            raise

    def _check_host_keys(self, settings: UploadSettings) -> None:
        if not settings.known_hosts:
            self.client.load_system_host_keys()
            policy: paramiko.MissingHostKeyPolicy = RefuseUnknownHost("~/.ssh/known_hosts")
        else:
            path = Path(settings.known_hosts).expanduser()
            if path.exists():
                self.client.load_system_host_keys(str(path))
            elif not settings.trust_new_host:
                raise FileNotFoundError(f"known_hosts file {path} does not exist")
            policy = (
                TrustFirstUse(path) if settings.trust_new_host else RefuseUnknownHost(str(path))
            )
        self.client.set_missing_host_key_policy(policy)

    def _enter(self, directory: str) -> None:
        if directory.startswith("/"):
            self.sftp.chdir("/")
        for part in (p for p in directory.split("/") if p):
            try:
                if not stat.S_ISDIR(self.sftp.stat(part).st_mode or 0):
                    raise NotADirectoryError(f"{part} on the server is not a directory")
            except FileNotFoundError:
                self.sftp.mkdir(part)
            self.sftp.chdir(part)

    def put(self, path: Path, name: str, beat: Callable[[], None]) -> None:
        """Writes ``name.part`` (paramiko checks its size), then renames it ``name``.

        Raises:
            OSError: the server refused a write or rename, or the sizes differ.
        """
        part = name + PART_SUFFIX
        self.sftp.put(str(path), part, callback=lambda _done, _total: beat(), confirm=True)
        try:
            self.sftp.posix_rename(part, name)  # atomic, replaces an older file of that name
        except OSError:
            # servers without the posix-rename extension refuse to rename over a file
            try:
                self.sftp.remove(name)
            except OSError:
                pass
            self.sftp.rename(part, name)

    def discard(self, name: str) -> None:
        """Removes ``name.part`` if the connection still works."""
        try:
            self.sftp.remove(name + PART_SUFFIX)
        except (OSError, EOFError, paramiko.SSHException):
            pass

    def close(self) -> None:
        """Closes the SFTP channel and the SSH connection."""
        self.client.close()
