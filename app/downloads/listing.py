"""The published files of each profile: what its recent runs wrote and whether it is still on disk.

A file is served only when a run of its profile recorded it and it lies, as a regular file and not
a symbolic link, directly in the profile's current output directory (:func:`open_published`);
anything else is :class:`NotPublished`, and a recorded file removed since is :class:`Gone`.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from indexer.publishing.profile import PublishProfile
    from indexer.publishing.profiles import Profiles
    from indexer.publishing.runs import PublishRun

logger = logging.getLogger(__name__)

HISTORY = 100_000
"""Most runs of a profile looked through for the file asked for (newest first)."""

MIMETYPES = {".tar.gz": "application/gzip", ".xml": "application/xml", ".mrc": "application/marc"}
"""File name ending -> media type of the download; anything else is application/octet-stream."""

STATES = {
    "available": "available",
    "gone": "removed from disk",
    "moved": "not in the profile's current output directory",
    "unavailable": "cannot be served (not a regular file, or unreadable)",
}
"""State of a recorded file -> what the page says about it."""


class NotPublished(LookupError):
    """No file of that name may be served for that profile (HTTP 404)."""


class Gone(NotPublished):
    """The file was published, and has been removed from disk since (HTTP 410)."""


@dataclass(frozen=True)
class FileEntry:
    """One file a run recorded, as it is on disk now."""

    name: str
    state: str
    size: int | None = None
    modified: float | None = None


@dataclass(frozen=True)
class RunEntry:
    """One run of a profile with its files."""

    run: PublishRun
    files: list[FileEntry] = field(default_factory=list)


@dataclass(frozen=True)
class ProfileEntry:
    """One profile, why its output directory cannot be read (or None), and its recent runs."""

    profile: PublishProfile
    problem: str | None
    runs: list[RunEntry] = field(default_factory=list)


def mimetype(name: str) -> str:
    """Returns the media type of a published file, by its name."""
    for ending, media_type in MIMETYPES.items():
        if name.endswith(ending):
            return media_type
    return "application/octet-stream"


def _resolved(path: Path) -> Path | None:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symbolic link loop
        return None


def output_directory(profile: PublishProfile) -> Path | None:
    """Returns the profile's output directory with its links resolved, or None when it cannot be.

    A relative directory is taken from the working directory, as the publishing run takes it.
    """
    return _resolved(Path(profile.output))


def directory_problem(profile: PublishProfile) -> str | None:
    """Returns why the profile's output directory cannot be listed, or None when it can."""
    path = Path(profile.output)
    try:
        info = path.stat()
    except FileNotFoundError:
        return f"The output directory {path} does not exist (no run yet, or removed)."
    except OSError as exc:
        return f"The output directory {path} cannot be read: {exc.strerror or exc}."
    if not stat.S_ISDIR(info.st_mode):
        return f"The output directory {path} is not a directory."
    if not os.access(path, os.R_OK | os.X_OK):
        return f"The output directory {path} cannot be read: permission denied."
    return None


def _in_directory(recorded: str, directory: Path | None) -> bool:
    return directory is not None and _resolved(Path(recorded).parent) == directory


def file_entry(recorded: str, directory: Path | None) -> FileEntry:
    """Returns the state on disk of a file a run recorded (its path as the history keeps it)."""
    name = Path(recorded).name
    if not _in_directory(recorded, directory):
        return FileEntry(name, "moved")
    assert directory is not None
    try:
        info = os.lstat(directory / name)
    except FileNotFoundError:
        return FileEntry(name, "gone")
    except OSError:
        return FileEntry(name, "unavailable")
    if not stat.S_ISREG(info.st_mode):
        return FileEntry(name, "unavailable")
    return FileEntry(name, "available", info.st_size, info.st_mtime)


def profile_entry(profiles: Profiles, profile: PublishProfile, limit: int) -> ProfileEntry:
    """Returns a profile with its latest ``limit`` runs and the state of their files."""
    directory = output_directory(profile)
    runs = [
        RunEntry(run, [file_entry(f, directory) for f in run.files])
        for run in profiles.runs(profile.name, limit)
    ]
    return ProfileEntry(profile, directory_problem(profile), runs)


def _recorded(profiles: Profiles, profile: PublishProfile, name: str, directory: Path) -> bool:
    for run in profiles.runs(profile.name, HISTORY):
        for recorded in run.files:
            if Path(recorded).name == name and _in_directory(recorded, directory):
                return True
    return False


def open_published(
    profiles: Profiles, profile: PublishProfile, name: str
) -> tuple[BinaryIO, os.stat_result]:
    """Opens a published file of ``profile`` for reading; returns it and its status.

    The name must be the plain name of a file that a run of the profile recorded in its output
    directory; the file is opened without following a symbolic link and must be a regular file.

    Raises:
        Gone: the file was recorded but is no longer on disk.
        NotPublished: any other name (paths, ``..``, files no run recorded, links, directories).
    """
    if not name or name in (".", "..") or any(c in name for c in "/\\\0"):
        raise NotPublished(name)
    directory = output_directory(profile)
    if directory is None or not _recorded(profiles, profile, name, directory):
        raise NotPublished(name)
    # O_NOFOLLOW: a link put in place of the file is refused; O_NONBLOCK: a FIFO does not hang
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(directory / name, flags)
    except FileNotFoundError as exc:
        raise Gone(name) from exc
    except OSError as exc:
        logger.warning("refused to serve %s of profile %s: %s", name, profile.name, exc)
        raise NotPublished(name) from exc
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        logger.warning("refused to serve %s of profile %s: not a regular file", name, profile.name)
        raise NotPublished(name)
    return os.fdopen(fd, "rb"), info
