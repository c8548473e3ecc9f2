"""The Whoosh search index: derived from the store, rebuildable, kept current from its change log.

The schema is generated from :mod:`indexer.search.fields` and written with the codec and field types of
:mod:`indexer.search.index_format`. ``rebuild`` writes a new index beside the old one and swaps them;
``update`` applies the store's change log since the last indexed sequence number (kept in
``pressmark-seq`` inside the index). Every write holds an exclusive ``flock`` on the file
``<index>.lock`` beside the index, so one writer runs at a time across threads and processes
(Whoosh allows one). A follower thread per server process polls the change log
(:mod:`indexer.search.follower`).

A searcher sees the index as it was when opened; readers open a new one to see later changes (never
``Searcher.refresh()``; the SRU server keeps open searchers while the store has no newer change, see
:mod:`app.sru.pool`). Searching itself (pages of hits, scoring, MMS IDs) is in
:mod:`indexer.search.searching`.
The index records its :data:`FORMAT` beside the sequence number: an index of another format counts as
none, and the next update rebuilds it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree
from whoosh import index as whoosh_index
from whoosh.fields import COLUMN, ID, NUMERIC, Schema

from indexer.marc.inventory import EMPTY
from indexer.marc.marcxml import SAFE_PARSER
from indexer.search.fields import (
    COMBINED,
    FIELDS,
    INDEX_FIELD,
    KEYWORD,
    LOCAL_PREFIX,
    NUMBER,
    Extracted,
    extract,
    fold,
    whole,
)
from indexer.search.fields import TEXT as TEXT_KIND
from indexer.search.index_format import Codec, Values, Words
from indexer.search.searching import FastBM25F

if TYPE_CHECKING:
    from whoosh.searching import Searcher

    from indexer.store.records import RecordStore

logger = logging.getLogger(__name__)

SEQ_FILE = "pressmark-seq"
FORMAT = "format-3"
"""What the index's fields are: written beside the sequence number; another value means rebuild."""
SEP = "\x1f"
EXACT = "__exact"
#: Kinds of change that alter nothing the index holds (published XML and OAI sets only).
IGNORED_CHANGES = frozenset({"sets", "republish"})
#: Above this many changed records, ``update`` rebuilds instead of updating record by record.
REBUILD_ABOVE = 5000


class SearchIndexError(Exception):
    """The index is missing, locked past the timeout, or unreadable."""


def build_schema() -> Schema:
    """Returns the Whoosh schema of :data:`indexer.search.fields.FIELDS`."""
    words, values = r"\w+", r"[^\x1f]+"
    schema = Schema(
        id=ID(stored=True, unique=True, sortable=True),
        title_sort=COLUMN(),  # sort keys (UTF-8): columns only, never searched
        creator_sort=COLUMN(),
    )
    for field in FIELDS:
        if field.name in INDEX_FIELD:
            continue
        if field.kind == TEXT_KIND:
            if field.name in ("local_field", "other"):
                continue  # local fields get one index per tag; other words feed all_for_ui only
            schema.add(field.name, Words(words))
            schema.add(field.name + EXACT, Values(values))
        elif field.kind == KEYWORD:
            schema.add(field.name, Values(values))
        elif field.kind == NUMBER:
            schema.add(field.name, NUMERIC(numtype=int, bits=32, signed=True, sortable=True))
    for name in COMBINED:
        schema.add(name, Words(words))
    schema.add(LOCAL_PREFIX + "*", Words(words), glob=True)
    return schema


def document(mms_id: str, extracted: Extracted) -> dict:
    """Returns the Whoosh document of a record's extracted values."""
    doc: dict = {"id": mms_id, "title_sort": (extracted.sort_title or "\uffff").encode()}
    doc["creator_sort"] = (extracted.sort_creator or "\uffff").encode()
    words: dict[str, str] = {}
    for field in FIELDS:
        found = extracted.values.get(field.name)
        if not found or field.name in INDEX_FIELD:
            continue
        if field.kind == TEXT_KIND:
            if field.name == "local_field":
                continue
            words[field.name] = text = fold(" \n ".join(found))
            if field.name != "other":
                doc[field.name] = text
                doc[field.name + EXACT] = SEP.join(whole(v) for v in found)
        elif field.kind == KEYWORD:
            doc[field.name] = SEP.join(found)
    for name, fed_by in COMBINED.items():
        combined = " \n ".join(words[f] for f in fed_by if f in words)
        if combined:
            doc[name] = combined
    if extracted.year is not None:
        doc["main_pub_date"] = extracted.year
    for tag, texts in extracted.local.items():
        doc[LOCAL_PREFIX + tag] = fold(" \n ".join(texts))
    return doc


def record_document(store: RecordStore, rec_id: int, mms_id: str, marcxml: bytes) -> dict:
    """Returns the Whoosh document of a stored record, with its current inventory."""
    root = etree.fromstring(marcxml, SAFE_PARSER)
    return document(mms_id, extract(root, mms_id, store.inventory.of_record(rec_id)))


# locking and the sequence number ----------------------------------------------------------------


@contextmanager
def write_lock(index_dir: str | Path, *, blocking: bool = True) -> Iterator[bool]:
    """Holds the exclusive writer lock of an index; yields False when not blocking and it is taken."""
    path = Path(str(index_dir).rstrip("/") + ".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    # each call opens its own file description: flock then excludes other threads too
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def busy(index_dir: str | Path) -> bool:
    """Returns whether a writer holds the index's lock now (building or updating it)."""
    with write_lock(index_dir, blocking=False) as locked:
        return not locked


def _seq_file(index_dir: str | Path) -> tuple[int, str] | None:
    """Returns (sequence number, mark of that change) of an index of this :data:`FORMAT`."""
    try:
        seq, format_, *mark = (Path(index_dir) / SEQ_FILE).read_text().split()
        return (int(seq), mark[0] if mark else "") if format_ == FORMAT else None
    except (OSError, ValueError):
        return None


def indexed_seq(index_dir: str | Path) -> int | None:
    """Returns the last change-log sequence number applied to the index, or None without an index.

    An index of another :data:`FORMAT` counts as none: the next update rebuilds it.
    """
    found = _seq_file(index_dir)
    return None if found is None else found[0]


def change_mark(store: RecordStore, seq: int) -> str:
    """Returns what identifies change ``seq`` of the store's log: the store's identity (a backup
    copy has its own, see :mod:`indexer.store.backup`), and the change's record, kind and time."""
    row = store.conn.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()
    store_id = row[0] if row else "live"
    row = store.conn.execute(
        "SELECT record_id, kind, at FROM changes WHERE seq = ?", (seq,)
    ).fetchone()
    return f"{store_id}:none" if row is None else f"{store_id}:{row[0]}:{row[1]}:{row[2]}"


def _follows(store: RecordStore, found: tuple[int, str]) -> bool:
    """Returns whether an index at (sequence number, mark) was built from this store's change log.

    The index keeps the mark of the last change it applied. A store restored from a backup has
    another identity, and a store copied back by hand lacks that change or has another under its
    number: its index is then rebuilt.
    """
    return found[1] == change_mark(store, found[0])


def _write_seq(index_dir: Path, seq: int, mark: str) -> None:
    tmp = index_dir / (SEQ_FILE + ".tmp")
    tmp.write_text(f"{seq} {FORMAT} {mark}\n")
    os.replace(tmp, index_dir / SEQ_FILE)


def exists(index_dir: str | Path) -> bool:
    """Returns whether a built index is at ``index_dir``."""
    return indexed_seq(index_dir) is not None and whoosh_index.exists_in(str(index_dir))


# building and updating --------------------------------------------------------------------------


@dataclass
class BuildReport:
    """What a rebuild did."""

    records: int
    seconds: float
    seq: int


def rebuild(
    store: RecordStore, index_dir: str | Path, progress: Callable[[int], None] | None = None
) -> BuildReport:
    """Builds a new index of every live record beside the old one, then swaps them in.

    Changes made during the build are applied by the next :func:`update`.
    """
    index_dir = Path(index_dir)
    started = time.monotonic()
    with write_lock(index_dir):
        seq = store.last_change()
        mark = change_mark(store, seq)
        building = index_dir.with_name(index_dir.name + ".building")
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(parents=True)
        ix = whoosh_index.create_in(str(building), build_schema())
        live = store.conn.execute("SELECT COUNT(*) FROM records WHERE deleted = 0").fetchone()[0]
        # a second process doubles the rate on a big store; on a small one, starting it costs more
        procs = 2 if live > 2000 and (os.cpu_count() or 1) > 1 else 1
        # 512 MB per writer process: the postings of a 20,000-record catalogue stay in memory
        # (measured on the corpus with 2 writers: 128 MB 26 s, 256 MB 21 s, 512 MB 17 s)
        writer = ix.writer(
            limitmb=512, procs=procs, multisegment=True, compound=False, codec=Codec()
        )
        count = 0
        try:
            for _rec_id, mms_id, xml, inventory in _live_records(store):
                root = etree.fromstring(xml, SAFE_PARSER)
                writer.add_document(**document(mms_id, extract(root, mms_id, inventory)))
                count += 1
                if progress and count % 500 == 0:
                    progress(500)
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        if progress:
            progress(count % 500)
        _write_seq(building, seq, mark)
        old = index_dir.with_name(index_dir.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if index_dir.exists():
            os.replace(index_dir, old)
        os.replace(building, index_dir)
        shutil.rmtree(old, ignore_errors=True)
    seconds = time.monotonic() - started
    logger.info("indexed %d records in %.1f s", count, seconds)
    return BuildReport(count, seconds, seq)


def _live_records(store: RecordStore):
    """Yields (row id, MMS ID, MARCXML, inventory) of every live record, in pages."""
    with_inventory = {
        row[0]
        for row in store.conn.execute(
            "SELECT record_id FROM holdings UNION SELECT record_id FROM portfolios"
        )
    }
    last = 0
    while True:
        rows = store.conn.execute(
            "SELECT id, mms_id, marcxml FROM records WHERE id > ? AND deleted = 0"
            " ORDER BY id LIMIT 1000",
            (last,),
        ).fetchall()
        if not rows:
            return
        for rec_id, mms_id, xml in rows:
            inventory = store.inventory.of_record(rec_id) if rec_id in with_inventory else EMPTY
            yield rec_id, mms_id, xml, inventory
        last = rows[-1][0]


def update(
    store: RecordStore, index_dir: str | Path, *, blocking: bool = False, wait: float = 0.0
) -> int | None:
    """Applies the store's changes since the indexed sequence number; returns records re-indexed.

    Builds the index when there is none. When another writer holds the lock and ``blocking`` is
    False, waits up to ``wait`` seconds for it to bring the index up to date or to let go, then
    returns None.
    """
    index_dir = Path(index_dir)
    found = _seq_file(index_dir)
    target = store.last_change()
    if found is not None and found[0] == target and _follows(store, found):
        return 0
    deadline = time.monotonic() + wait
    while True:
        with write_lock(index_dir, blocking=blocking) as locked:
            if locked:
                found = _seq_file(index_dir)  # another writer may have moved it meanwhile
                if found is not None and not _follows(store, found):
                    logger.warning(
                        "index: change %d is not the store's (a restored store?): rebuilding",
                        found[0],
                    )
                elif found is not None and whoosh_index.exists_in(str(index_dir)):
                    applied = _apply_changes(store, index_dir, found[0])
                    if applied is not None:
                        return applied
                break
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.01)
        if (indexed_seq(index_dir) or 0) >= target:
            return 0  # the other writer did it
    # no index yet, one of another change log, or so many changes that a fresh build is faster
    # (rebuild takes the lock itself)
    return rebuild(store, index_dir).records


def _apply_changes(store: RecordStore, index_dir: Path, seq: int) -> int | None:
    """Re-indexes the records changed after ``seq``; None when a rebuild would be faster."""
    changed: dict[str, None] = {}
    last = seq
    while True:
        rows = store.changes_since(last, 5000)
        if not rows:
            break
        for row_seq, mms_id, kind in rows:
            if kind not in IGNORED_CHANGES:
                changed[mms_id] = None
            last = row_seq
    if last == seq:
        return 0
    if len(changed) > REBUILD_ABOVE:
        return None
    if changed:
        ix = whoosh_index.open_dir(str(index_dir))
        writer = ix.writer(timeout=10.0, compound=False, codec=Codec())
        try:
            for mms_id in changed:
                row = store.conn.execute(
                    "SELECT id, deleted, marcxml FROM records WHERE mms_id = ?", (mms_id,)
                ).fetchone()
                if row is None or row[1]:
                    writer.delete_by_term("id", mms_id)
                else:
                    writer.update_document(**record_document(store, row[0], mms_id, row[2]))
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
    _write_seq(index_dir, last, change_mark(store, last))
    logger.debug("index: %d records updated up to change %d", len(changed), last)
    return len(changed)


# reading ---------------------------------------------------------------------------------------

WEIGHTING = FastBM25F()
"""Relevance of hits: BM25F (see :mod:`indexer.search.searching`)."""

_indexes: dict[str, whoosh_index.Index] = {}
_indexes_lock = threading.Lock()


def open_searcher(index_dir: str | Path) -> Searcher:
    """Returns a new searcher over the latest committed state of the index.

    Raises:
        SearchIndexError: there is no index at ``index_dir``.
    """
    key = str(index_dir)
    ix = _indexes.get(key)
    if ix is None:
        if not exists(key):
            raise SearchIndexError(f"no search index at {key}")
        with _indexes_lock:
            ix = _indexes.setdefault(key, whoosh_index.open_dir(key))
    try:
        return ix.searcher(weighting=WEIGHTING)
    except (OSError, whoosh_index.EmptyIndexError) as exc:
        # the index was rebuilt and swapped under us: open it again
        with _indexes_lock:
            _indexes.pop(key, None)
        if not exists(key):
            raise SearchIndexError(f"no search index at {key}") from exc
        ix = whoosh_index.open_dir(key)
        with _indexes_lock:
            _indexes[key] = ix
        return ix.searcher(weighting=WEIGHTING)


def local_tags(searcher: Searcher) -> list[str]:
    """Returns the 9XX tags that have a local-field index (tags where data exists)."""
    names = searcher.reader().indexed_field_names()
    return sorted(n[len(LOCAL_PREFIX) :] for n in names if n.startswith(LOCAL_PREFIX))
