"""``pressmark backup``: a consistent copy of the live store, and an index that follows a restore."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

from pymarc import Field, Leader, Record, Subfield

from app import create_app
from app.resources import open_store
from indexer.search import index
from indexer.search.queries import search_ids
from indexer.store.backup import backup


def _record(title: str) -> Record:
    record = Record(leader=Leader("00000nam a2200000 a 4500"))
    record.add_field(Field(tag="245", indicators=["0", "0"], subfields=[Subfield("a", title)]))
    return record


def _contents(path: Path) -> tuple[list, list]:
    conn = sqlite3.connect(path)
    try:
        records = conn.execute(
            "SELECT mms_id, deleted, marcxml FROM records ORDER BY id"
        ).fetchall()
        items = conn.execute("SELECT * FROM items ORDER BY id").fetchall()
        return records, items
    finally:
        conn.close()


def test_backup_is_the_store_in_one_file(runner, store, tmp_path):
    target = tmp_path / "backups" / "catalogue.db"
    target.parent.mkdir()
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    live = store.stats()["records"]
    assert f"backed up {live} records to {target}" in result.output
    assert _contents(target) == _contents(Path(runner.app.config["DATABASE"]))
    assert sorted(p.name for p in target.parent.iterdir()) == ["catalogue.db"]  # no -wal, no .part
    conn = sqlite3.connect(target)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()
    # the copy is a store of its own
    copy = open_store(create_app({"DATABASE": str(target)}).config)
    assert copy.stats()["records"] == live
    copy.close()

    again = runner.invoke(args=["backup", str(target)])
    assert again.exit_code == 1 and "exists" in again.output
    assert runner.invoke(args=["backup", "--replace", str(target)]).exit_code == 0


def test_backup_while_another_process_writes_is_one_moment(store, app, tmp_path):
    """Writes during the backup are either wholly in the copy or not at all."""
    other = open_store(app.config)
    stop = threading.Event()
    written: list[str] = []

    def write() -> None:
        n = 0
        while not stop.is_set():
            with other.batch():  # two records per transaction
                for _ in range(2):
                    written.append(other.put(_record(f"Concurrent {n}"), match=()).identifier)
                    n += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        reports = [backup(store, tmp_path / f"copy{k}.db") for k in range(3)]
    finally:
        stop.set()
        writer.join()
        other.close()
    assert written
    for report in reports:
        conn = sqlite3.connect(report.path)
        titles = conn.execute("SELECT COUNT(*) FROM records WHERE marcxml LIKE '%Concurrent%'")
        assert titles.fetchone()[0] % 2 == 0  # never half of a transaction
        conn.close()


def test_a_backup_that_cannot_be_written_leaves_nothing(runner, tmp_path):
    target = tmp_path / "missing-folder" / "catalogue.db"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 1 and "cannot write" in result.output
    assert "Traceback" not in result.output
    assert not target.parent.exists()


def test_the_index_of_a_restored_store_is_rebuilt(app, store, tmp_path):
    """Restore: the store goes back to the backup; the index, ahead of it, must not stay."""
    index_dir = Path(app.config["INDEX_DIR"])
    index.rebuild(store, index_dir)
    saved = backup(store, tmp_path / "before.db").path
    later = [store.put(_record(f"Zzyzxlater {n}"), match=()).identifier for n in range(3)]
    index.update(store, index_dir, blocking=True)
    assert sorted(search_ids(index_dir, "dc.title=zzyzxlater")) == sorted(later)

    # restore (service stopped): the backup over the database, its -wal and -shm removed
    store.close()
    database = Path(app.config["DATABASE"])
    for companion in (Path(f"{database}-wal"), Path(f"{database}-shm")):
        companion.unlink(missing_ok=True)
    shutil.copy(saved, database)
    restored = open_store(app.config)
    try:
        # new changes after the restore reuse the change numbers the index has seen
        other = [restored.put(_record(f"Qqvvafter {n}"), match=()).identifier for n in range(3)]
        assert restored.last_change() == index.indexed_seq(index_dir)
        assert index.update(restored, index_dir, blocking=True) == restored.stats()["records"]
        assert search_ids(index_dir, "dc.title=zzyzxlater") == []
        assert sorted(search_ids(index_dir, "dc.title=qqvvafter")) == sorted(other)
        assert index.update(restored, index_dir, blocking=True) == 0
    finally:
        restored.close()


def test_the_index_of_a_store_copied_back_by_hand_is_rebuilt(app, store, tmp_path):
    """A file copy of the stopped store, put back later: same identity, an older change log."""
    index_dir = Path(app.config["INDEX_DIR"])
    database = Path(app.config["DATABASE"])
    index.rebuild(store, index_dir)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(database, tmp_path / "copy.db")
    store.put(_record("Zzyzxlater"), match=())
    index.update(store, index_dir, blocking=True)
    assert len(search_ids(index_dir, "dc.title=zzyzxlater")) == 1
    store.close()
    Path(f"{database}-wal").unlink(missing_ok=True)
    Path(f"{database}-shm").unlink(missing_ok=True)
    shutil.copy(tmp_path / "copy.db", database)
    restored = open_store(app.config)
    try:
        assert restored.last_change() < index.indexed_seq(index_dir)
        assert index.update(restored, index_dir) == restored.stats()["records"]
        assert search_ids(index_dir, "dc.title=zzyzxlater") == []
    finally:
        restored.close()
