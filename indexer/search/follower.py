"""The index follower: a thread per server process that applies the store's change log to the
search index every ``interval`` seconds (:func:`indexer.search.index.update`), so that a change is
searchable within about a second. Safe with several processes: index writers take a file lock.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

from indexer.search.index import update

if TYPE_CHECKING:
    from indexer.store.records import RecordStore

logger = logging.getLogger(__name__)


class Follower(threading.Thread):
    """Applies the store's change log to the index every ``interval`` seconds, in the background.

    One per process and index; safe with several processes (the writer lock is a ``flock``). The
    thread ends when its owner (the app) is garbage-collected or :meth:`stop` is called.
    """

    def __init__(
        self, owner: object, open_store: Callable[[], RecordStore], index_dir: str, interval: float
    ) -> None:
        super().__init__(name=f"index-follower {index_dir}", daemon=True)
        self.owner = weakref.ref(owner)
        self.open_store = open_store
        self.index_dir = index_dir
        self.interval = interval
        self.stopping = threading.Event()

    def stop(self) -> None:
        """Asks the thread to end after its current pass."""
        self.stopping.set()

    def run(self) -> None:
        store = None
        try:
            while not self.stopping.wait(self.interval) and self.owner() is not None:
                try:
                    if store is None:
                        store = self.open_store()
                    update(store, self.index_dir)
                except Exception:
                    logger.exception("index follower: update failed")
                    if store is not None:
                        store.close()
                        store = None
                    self.stopping.wait(max(self.interval, 1.0) * 5)
        finally:
            if store is not None:
                store.close()


_followers: dict[tuple[int, str], Follower] = {}
_followers_lock = threading.Lock()


def follow(
    owner: object, open_store: Callable[[], RecordStore], index_dir: str, interval: float
) -> Follower | None:
    """Starts (once per process and index) the thread that keeps the index current."""
    if interval <= 0:
        return None
    key = (os.getpid(), str(index_dir))
    with _followers_lock:
        follower = _followers.get(key)
        if follower is not None and follower.is_alive():
            return follower
        follower = Follower(owner, open_store, str(index_dir), interval)
        _followers[key] = follower
        follower.start()
        return follower
