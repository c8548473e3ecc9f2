"""Who holds a run lock, and whether that holder is still alive: shared by harvest and publish runs.

A lock row (harvest_locks, or a running publish_runs row) names its holder: host, process id and an
owner token unique to one run. The holder refreshes the row's heartbeat as it works. A holder is
taken as dead when its heartbeat is older than :data:`LOCK_STALE_SECONDS` (whatever its host), when
its process is gone (same host), or when it names this very process but no run of this process holds
that token (the run ended without releasing the lock); a dead holder's lock may be taken over, so a
run killed with SIGKILL never blocks its profile for good.
"""

from __future__ import annotations

import os
import socket
import threading
import time

#: A holder whose heartbeat is this old is dead, whoever it is (seconds).
LOCK_STALE_SECONDS = 900

# owner tokens of the runs alive in this process
_live_owners: set[str] = set()
_live_lock = threading.Lock()


def owner_token() -> str:
    """Returns a new owner token: host, process, thread and time."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{time.time_ns()}"


def hold_owner(owner: str) -> None:
    """Counts ``owner`` alive in this process (its run has taken the lock)."""
    with _live_lock:
        _live_owners.add(owner)


def drop_owner(owner: str) -> None:
    """Counts ``owner`` no longer alive in this process (its run has ended)."""
    with _live_lock:
        _live_owners.discard(owner)


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # no cheap check; the heartbeat age decides
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # e.g. another user's process
    return True


def stale_reason(
    host: str | None,
    pid: int | None,
    owner: str | None,
    heartbeat: float,
    now: float | None = None,
) -> str | None:
    """Returns why a lock's holder is taken as dead, or None when it may be alive."""
    now = time.time() if now is None else now
    if now - heartbeat >= LOCK_STALE_SECONDS:
        return f"no sign of life for {int(now - heartbeat)} s"
    if host != socket.gethostname() or pid is None:
        return None
    if pid == os.getpid():
        with _live_lock:
            if owner not in _live_owners:
                return "its run ended without being recorded"
        return None
    if not _pid_alive(pid):
        return f"process {pid} is gone"
    return None
