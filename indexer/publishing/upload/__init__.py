"""Uploading a publishing run's files to an FTP, FTPS or SFTP server.

The target is a URL without a password: ``ftp://user@host[:port]/dir``, ``ftps://...`` (explicit
TLS, certificate checked) or ``sftp://user@host[:port]/dir``. The password comes from the
environment variable the profile names, never from the database; SFTP may log in with a private
key instead, and checks the server's host key against a known_hosts file (unknown keys are refused
unless the profile trusts a new host on first use).

Each file is written as ``NAME.part``, its size checked, then renamed to ``NAME``, so a consumer
that ignores ``*.part`` never reads half a file. Every connection and every socket operation has a
timeout. Errors become :class:`UploadError` naming the file, the server and the cause, with the
password masked.

Remote directories: for FTP the URL path is relative to the login directory (RFC 1738; start it
with ``%2F`` for an absolute path); for SFTP it is absolute, and ``sftp://host/~/dir`` is relative
to the login directory. Missing directories are created.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from indexer.publishing.upload.target import (
    PART_SUFFIX,
    Session,
    UploadError,
    UploadSettings,
    UploadTarget,
)

logger = logging.getLogger(__name__)

__all__ = ["PART_SUFFIX", "UploadError", "UploadSettings", "UploadTarget", "upload_files"]


def _open(target: UploadTarget, settings: UploadSettings, password: str) -> Session:
    if target.scheme == "sftp":
        from indexer.publishing.upload.sftp import (
            SftpSession,  # paramiko is loaded only when needed
        )

        return SftpSession(target, settings, password)
    from indexer.publishing.upload.ftp import FtpSession

    return FtpSession(target, password, settings.timeout)


def _describe(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:g} s"
    text = str(exc).strip() or "no details"
    return f"{type(exc).__name__}: {text}"


def upload_files(
    settings: UploadSettings, files: list[Path], beat: Callable[[], None] | None = None
) -> list[str]:
    """Uploads files in one session; returns their remote URLs.

    ``beat`` is called as data goes out (the caller's sign of life for its run lock).

    Raises:
        UploadError: bad settings, missing password, or a file that did not arrive; the files
            uploaded before the failure are in ``uploaded``.
    """
    target = settings.check()
    password = settings.password()
    uploaded: list[str] = []
    if not files:
        return uploaded
    current, step = files[0].name, "connect"
    session: Session | None = None
    try:
        session = _open(target, settings, password)
        for path in files:
            current, step = path.name, "transfer"
            started = time.monotonic()
            session.put(path, path.name, beat or (lambda: None))
            uploaded.append(target.file_url(path.name))
            logger.info(
                "uploaded %s to %s (%d bytes in %.1f s)",
                path.name,
                target.url,
                path.stat().st_size,
                time.monotonic() - started,
            )
    except Exception as exc:  # network libraries raise many kinds; each becomes one clear message
        if session is not None and step == "transfer":
            session.discard(current)
        message = f"upload of {current} to {target.url} failed ({step}): "
        message += _describe(exc, settings.timeout)
        if password:
            message = message.replace(password, "***")
        logger.error("%s", message)
        raise UploadError(message, uploaded) from None
    finally:
        if session is not None:
            session.close()
    return uploaded
