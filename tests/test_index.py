"""The search index: built from the store, kept current from its change log, safe with many writers."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from pymarc import Field, Leader, Record, Subfield
from sru_fixtures import build_index

from app.resources import open_store
from indexer import index


def _record(title: str) -> Record:
    record = Record(leader=Leader("00000nam a2200000 a 4500"))
    record.add_field(Field(tag="245", indicators=["0", "0"], subfields=[Subfield("a", title)]))
    return record


def test_rebuild_indexes_every_live_record(store, app):
    index_dir = build_index(store, app)
    live = {r.identifier for r in store.iter_records()}
    assert set(index.search_ids(index_dir, "cql.allRecords=1")) == live
    assert index.indexed_seq(index_dir) == store.last_change()
    deleted = {r.identifier for r in store.iter_records(include_deleted=True)} - live
    assert deleted and not deleted & set(index.search_ids(index_dir, "cql.allRecords=1"))


def test_update_applies_new_changed_and_deleted_records(store, app):
    index_dir = build_index(store, app)
    new_id = store.put(_record("Zyxwv unheard-of title"), match=()).identifier
    assert index.search_ids(index_dir, "dc.title=zyxwv") == []
    assert index.update(store, index_dir) == 1
    assert index.search_ids(index_dir, "dc.title=zyxwv") == [new_id]
    changed = _record("Qwertz other words")
    changed.add_field(Field(tag="001", data=new_id))
    assert store.put(changed, match=("001",)).status == "updated"
    index.update(store, index_dir)
    assert index.search_ids(index_dir, "dc.title=zyxwv") == []
    assert index.search_ids(index_dir, "dc.title=qwertz") == [new_id]
    store.delete(new_id)
    index.update(store, index_dir)
    assert index.search_ids(index_dir, "dc.title=qwertz") == []
    assert index.update(store, index_dir) == 0


def test_update_builds_a_missing_index(store, app):
    index_dir = Path(app.config["INDEX_DIR"])
    assert not index.exists(index_dir)
    assert index.update(store, index_dir) == store.stats()["records"]
    assert index.exists(index_dir)


def test_update_skips_when_another_writer_holds_the_lock(store, app):
    index_dir = build_index(store, app)
    store.put(_record("Lockedout title"), match=())
    with index.write_lock(index_dir):
        assert index.update(store, index_dir) is None
    assert index.update(store, index_dir) == 1


def test_concurrent_writers_and_readers(store, app):
    """Threads that update while others search: no error, and the index ends current."""
    index_dir = build_index(store, app)
    errors: list[BaseException] = []
    stop = threading.Event()

    def writer():
        own = open_store(app.config)
        try:
            while not stop.is_set():
                index.update(own, index_dir)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            own.close()

    def reader():
        try:
            while not stop.is_set():
                index.search_ids(index_dir, "dc.title=concurrent")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(3)]
    threads += [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    ids = [store.put(_record(f"Concurrent title {n}"), match=()).identifier for n in range(5)]
    time.sleep(0.5)
    stop.set()
    for thread in threads:
        thread.join(10)
    assert not errors
    index.update(store, index_dir, blocking=True)
    assert sorted(index.search_ids(index_dir, "dc.title=concurrent")) == sorted(ids)


def test_follower_makes_a_change_searchable_within_a_second(store, app):
    index_dir = build_index(store, app)
    follower = index.follow(app, lambda: open_store(app.config), str(index_dir), 0.1)
    try:
        item = store.conn.execute(
            "SELECT barcode FROM items WHERE status = 'available' LIMIT 1"
        ).fetchone()[0]
        mms_id = store.inventory.set_item_status(item, "missing")
        new_id = store.put(_record("Followed title"), match=()).identifier
        started = time.monotonic()
        while time.monotonic() - started < 1.0:
            if index.search_ids(index_dir, "dc.title=followed") == [new_id]:
                break
            time.sleep(0.05)
        assert index.search_ids(index_dir, "dc.title=followed") == [new_id]
        assert index.indexed_seq(index_dir) == store.last_change()
        available = any(
            i.status == "available" for h in store.inventory.of(mms_id).holdings for i in h.items
        ) or any(p.available for p in store.inventory.of(mms_id).portfolios)
        query = f"alma.mms_id={mms_id} and alma.availability=available"
        assert index.search_ids(index_dir, query) == ([mms_id] if available else [])
    finally:
        follower.stop()
        follower.join(5)


def test_rebuild_while_searching_swaps_the_index(store, app):
    index_dir = build_index(store, app)
    before = index.search_ids(index_dir, "cql.allRecords=1")
    with index.open_searcher(index_dir) as searcher:
        index.rebuild(store, index_dir)
        assert searcher.doc_count() == len(before)
    assert sorted(index.search_ids(index_dir, "cql.allRecords=1")) == sorted(before)
    assert not index_dir.with_name(index_dir.name + ".building").exists()


def test_cli_rebuild_and_update(runner, store, app):
    result = runner.invoke(args=["index", "rebuild"])
    assert result.exit_code == 0, result.output
    assert f"indexed {store.stats()['records']} records" in result.output
    store.put(_record("Clitest title"), match=())
    result = runner.invoke(args=["index", "update"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 records re-indexed")
    assert len(index.search_ids(app.config["INDEX_DIR"], "dc.title=clitest")) == 1


def test_load_hook_brings_the_index_up_to_date(runner, store, app, tmp_path):
    from pymarc import XMLWriter

    runner.invoke(args=["index", "rebuild"])
    path = tmp_path / "one.xml"
    with open(path, "wb") as handle:
        writer = XMLWriter(handle)
        writer.write(_record("Hooked title"))
        writer.close(close_fh=False)
    result = runner.invoke(args=["load", str(path), "--match", "none"])
    assert result.exit_code == 0, result.output
    assert "search index: 1 records indexed" in result.output
    assert len(index.search_ids(app.config["INDEX_DIR"], "dc.title=hooked")) == 1


def test_writers_in_several_processes(store, app):
    """Processes that update the same index at once (gunicorn workers): the flock keeps one writer."""
    import subprocess
    import sys

    index_dir = build_index(store, app)
    script = (
        "import sys, time\n"
        "from app import create_app\n"
        "from app.resources import open_store\n"
        "from indexer import index\n"
        "app = create_app({'DATABASE': sys.argv[1], 'INDEX_DIR': sys.argv[2]})\n"
        "store = open_store(app.config)\n"
        "end = time.monotonic() + 2\n"
        "while time.monotonic() < end:\n"
        "    index.update(store, sys.argv[2])\n"
    )
    args = [sys.executable, "-c", script, app.config["DATABASE"], str(index_dir)]
    workers = [subprocess.Popen(args, stderr=subprocess.PIPE) for _ in range(3)]
    ids = []
    for n in range(20):
        ids.append(store.put(_record(f"Multiprocess title {n}"), match=()).identifier)
        time.sleep(0.05)
    for worker in workers:
        _, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err.decode()
        assert b"Traceback" not in err
    index.update(store, index_dir, blocking=True)
    assert sorted(index.search_ids(index_dir, "dc.title=multiprocess")) == sorted(ids)
