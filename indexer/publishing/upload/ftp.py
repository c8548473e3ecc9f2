"""FTP and FTPS upload sessions over ``ftplib`` (passive mode, binary, timeouts on every socket).

FTPS is explicit TLS (``AUTH TLS``, then ``PROT P`` for the data connections) with the server's
certificate checked against the system's CA store; a server that does not speak TLS is refused
before the password is sent. Data connections resume the control connection's TLS session.
"""

from __future__ import annotations

import ftplib
import logging
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from indexer.publishing.upload.target import PART_SUFFIX

if TYPE_CHECKING:
    from indexer.publishing.upload.target import UploadTarget

logger = logging.getLogger(__name__)

_BLOCK = 64 * 1024


class _FtpTls(ftplib.FTP_TLS):
    """``FTP_TLS`` whose data connections resume the control connection's TLS session.

    Servers such as vsftpd (``require_ssl_reuse``, on by default) refuse a data connection that
    starts a TLS session of its own, and ``ftplib`` never resumes one. ``resumed`` counts the data
    connections that did, of ``opened``.
    """

    opened = resumed = 0

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(
                conn, server_hostname=self.host, session=self.sock.session
            )
            self.opened += 1
            self.resumed += conn.session_reused
        return conn, size


class FtpSession:
    """A logged-in FTP connection in the target directory."""

    def __init__(self, target: UploadTarget, password: str, timeout: float) -> None:
        if target.scheme == "ftps":
            self.ftp: ftplib.FTP = _FtpTls(context=ssl.create_default_context(), timeout=timeout)
        else:
            self.ftp = ftplib.FTP(timeout=timeout)
        try:
            self.ftp.connect(target.host, target.port, timeout=timeout)
            user = target.user or "anonymous"
            # FTP_TLS.login() secures the control connection before it sends the password
            self.ftp.login(user, password if target.user else password or "anonymous@")
            if isinstance(self.ftp, ftplib.FTP_TLS):
                self.ftp.prot_p()
            self._enter(target.directory)
        except BaseException:
            self.ftp.close()
            raise

    def _enter(self, directory: str) -> None:
        if directory.startswith("/"):
            self.ftp.cwd("/")
        for part in (p for p in directory.split("/") if p):
            try:
                self.ftp.cwd(part)
            except ftplib.error_perm:
                self.ftp.mkd(part)
                self.ftp.cwd(part)

    def put(self, path: Path, name: str, beat: Callable[[], None]) -> None:
        """Stores ``name.part``, checks its size (when the server tells it), renames it ``name``.

        Raises:
            OSError: the server holds a different number of bytes than were sent.
            ftplib.Error: the server refused a command.
        """
        part = name + PART_SUFFIX
        with path.open("rb") as data:
            self.ftp.storbinary(f"STOR {part}", data, _BLOCK, callback=lambda _block: beat())
        size = path.stat().st_size
        try:
            remote = self.ftp.size(part)
        except ftplib.error_perm:
            remote = None  # a server without SIZE
        if remote is not None and remote != size:
            raise OSError(f"{part} has {remote} bytes on the server instead of {size}")
        try:
            self.ftp.rename(part, name)
        except ftplib.error_perm:
            # servers that refuse to rename over an existing file
            try:
                self.ftp.delete(name)
            except ftplib.error_perm:
                pass
            self.ftp.rename(part, name)

    def discard(self, name: str) -> None:
        """Deletes ``name.part`` if the connection still works."""
        try:
            self.ftp.delete(name + PART_SUFFIX)
        except (OSError, EOFError, ftplib.Error):
            pass

    def close(self) -> None:
        """Says goodbye, or just closes the connection when the server no longer answers."""
        if isinstance(self.ftp, _FtpTls) and self.ftp.opened:
            logger.debug(
                "FTPS: %d of %d data connections resumed the TLS session",
                self.ftp.resumed,
                self.ftp.opened,
            )
        try:
            self.ftp.quit()
        except (OSError, EOFError, ftplib.Error):
            self.ftp.close()
