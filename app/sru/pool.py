"""Per-process pools of what an SRU request reads with: record store connections and index searchers.

Opening an SQLite connection (with its pragmas) or a Whoosh searcher (the index's table of contents
read, its schema unpickled) costs more than a typical search, so each request takes one of each from
a pool and gives it back at teardown; one request uses a store or searcher at a time.

A pooled searcher is reused only while the store has no change after the sequence number that the
index had reached when the searcher was opened: the index derives from the store's change log, so
nothing newer can be in it. When the store is ahead, the request brings the index up to date as before
(or waits up to half a second for another writer to) and opens a new searcher; searchers are never
refreshed in place. When there is no index, the request builds it, or waits up to
:data:`BUILD_WAIT` seconds for the writer that is building it (the index follower, after an upgrade
that changed the index format): a request never waits on a build for good. (A rebuild of the index
with no change of the store leaves the pooled searchers on the old index's files, of the same
content, until the next change.) Pools are kept per process (a fork starts empty ones) and per file,
the last :data:`MAX_POOLS` of them; idle resources beyond :data:`MAX_IDLE` are closed, and so are
those of a request that failed unexpectedly.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.resources import open_store
from indexer.search import index

if TYPE_CHECKING:
    from indexer.store.records import RecordStore

logger = logging.getLogger(__name__)

MAX_IDLE = 16
"""Idle stores or searchers kept per pool (about the threads of a worker)."""
MAX_POOLS = 8
"""Pools kept per process (one store pool and one searcher pool per app in production)."""
BUILD_WAIT = 10.0
"""Seconds a request without an index waits for another writer to finish building it."""


@dataclass
class Opened:
    """A searcher and what was known when it was opened."""

    searcher: Any  # a Whoosh searcher (app code names no engine: indexer.search.index opens it)
    seq: int  # the index's sequence number, read before the searcher was opened
    local_tags: list[str] = field(default_factory=list)


class _Pool:
    """Idle resources of one kind for one file; closed ones are dropped."""

    def __init__(self, key: tuple) -> None:
        self.key = key
        self.lock = threading.Lock()
        self.idle: list = []
        self.closed = False

    def pop(self):
        with self.lock:
            return self.idle.pop() if self.idle else None

    def close(self) -> None:
        with self.lock:
            idle, self.idle, self.closed = self.idle, [], True
        for resource in idle:
            self._close(resource)

    def _close(self, resource) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class StorePool(_Pool):
    """Open record stores over one database file."""

    def take(self, config) -> RecordStore:
        """Returns an idle store, or a newly opened one.

        Raises:
            StoreError: the store cannot be opened.
        """
        # SRU only reads: the publishing rules (a file to compile) play no part
        return self.pop() or open_store({**config, "PUBLISH_RULES": None})

    def give(self, store: RecordStore, *, failed: bool = False) -> None:
        """Takes a store back after a request; closes it when the pool is full or closed, or when
        the request failed with it (the next one opens a new one)."""
        with self.lock:
            keep = not (failed or self.closed) and len(self.idle) < MAX_IDLE
            if keep:
                self.idle.append(store)
        if not keep:
            store.close()

    def _close(self, resource: RecordStore) -> None:
        resource.close()


class SearcherPool(_Pool):
    """Open searchers over one index folder, all of the newest sequence number seen."""

    def __init__(self, key: tuple) -> None:
        super().__init__(key)
        self.index_dir = key[-1]
        self.newest = -1

    def take(self, store: RecordStore) -> Opened:
        """Returns a searcher that has every change of the store, when the index can have it.

        Raises:
            OSError, index.SearchIndexError: there is no index and it cannot be built.
        """
        target = store.last_change()
        entry = self.pop()
        if entry is not None and entry.seq >= target:
            return entry
        # the store is ahead: catch up, or give another writer (the follower thread, another
        # process) a moment to; the response then shows the latest change
        wait = 0.5 if index.exists(self.index_dir) else BUILD_WAIT
        index.update(store, self.index_dir, wait=wait)
        seq = index.indexed_seq(self.index_dir)
        if entry is not None and (seq is None or seq <= entry.seq):
            return entry  # the index did not move: search what it has
        if entry is not None:
            entry.searcher.close()
        searcher = index.open_searcher(self.index_dir)
        return Opened(searcher, -1 if seq is None else seq, index.local_tags(searcher))

    def give(self, entry: Opened, *, failed: bool = False) -> None:
        """Takes a searcher back after a request; closes those older than the newest one seen, and
        one whose request failed."""
        stale = []
        with self.lock:
            if entry.seq > self.newest and not failed:
                self.newest = entry.seq
                stale = [e for e in self.idle if e.seq < entry.seq]
                self.idle = [e for e in self.idle if e.seq >= entry.seq]
            if failed or self.closed or entry.seq < self.newest or len(self.idle) >= MAX_IDLE:
                stale.append(entry)
            else:
                self.idle.append(entry)
        for old in stale:
            self._close(old)

    def _close(self, resource: Opened) -> None:
        try:
            resource.searcher.close()
        except Exception:  # a searcher over a swapped-out index may fail to close: drop it
            logger.debug("closing a pooled searcher failed", exc_info=True)


_pools: OrderedDict[tuple, _Pool] = OrderedDict()
_pools_lock = threading.Lock()


def _pool(kind: type[_Pool], path: str) -> Any:
    pid = os.getpid()
    key = (kind.__name__, pid, path)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is not None:
            _pools.move_to_end(key)
            return pool
        for inherited in [k for k in _pools if k[1] != pid]:
            del _pools[inherited]  # a forked child leaves its parent's connections alone
        pool = _pools[key] = kind(key)
        evicted = []
        while len(_pools) > MAX_POOLS:
            evicted.append(_pools.popitem(last=False)[1])
    for old in evicted:
        old.close()
    return pool


def stores(config) -> StorePool:
    """Returns this process's pool of stores over the configured database."""
    return _pool(StorePool, str(config["DATABASE"]))


def searchers(config) -> SearcherPool:
    """Returns this process's pool of searchers over the configured index."""
    return _pool(SearcherPool, str(config["INDEX_DIR"]))


@atexit.register
def close_all() -> None:
    """Closes every pool of this process (at exit, so no open file is left to the collector)."""
    with _pools_lock:
        pools = [p for key, p in _pools.items() if key[1] == os.getpid()]
        _pools.clear()
    for pool in pools:
        pool.close()
