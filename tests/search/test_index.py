"""The search index: built from the store, kept current from its change log, safe with many writers."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from pymarc import Field, Leader, Record, Subfield

from app.resources import open_store
from indexer.search import index, searching
from indexer.search.follower import follow
from indexer.search.queries import search_ids
from tests.sru.protocol import build_index, common_title_word, year


def _record(title: str) -> Record:
    record = Record(leader=Leader("00000nam a2200000 a 4500"))
    record.add_field(Field(tag="245", indicators=["0", "0"], subfields=[Subfield("a", title)]))
    return record


def test_rebuild_indexes_every_live_record(store, app):
    index_dir = build_index(store, app)
    live = {r.identifier for r in store.iter_records()}
    assert set(search_ids(index_dir, "cql.allRecords=1")) == live
    assert index.indexed_seq(index_dir) == store.last_change()
    deleted = {r.identifier for r in store.iter_records(include_deleted=True)} - live
    assert deleted and not deleted & set(search_ids(index_dir, "cql.allRecords=1"))


def test_update_applies_new_changed_and_deleted_records(store, app):
    index_dir = build_index(store, app)
    new_id = store.put(_record("Zyxwv unheard-of title"), match=()).identifier
    assert search_ids(index_dir, "dc.title=zyxwv") == []
    assert index.update(store, index_dir) == 1
    assert search_ids(index_dir, "dc.title=zyxwv") == [new_id]
    changed = _record("Qwertz other words")
    changed.add_field(Field(tag="001", data=new_id))
    assert store.put(changed, match=("001",)).status == "updated"
    index.update(store, index_dir)
    assert search_ids(index_dir, "dc.title=zyxwv") == []
    assert search_ids(index_dir, "dc.title=qwertz") == [new_id]
    store.delete(new_id)
    index.update(store, index_dir)
    assert search_ids(index_dir, "dc.title=qwertz") == []
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
                search_ids(index_dir, "dc.title=concurrent")
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
    assert sorted(search_ids(index_dir, "dc.title=concurrent")) == sorted(ids)


def test_follower_makes_a_change_searchable_within_a_second(store, app):
    index_dir = build_index(store, app)
    follower = follow(app, lambda: open_store(app.config), str(index_dir), 0.1)
    try:
        item = store.conn.execute(
            "SELECT barcode FROM items WHERE status = 'available' LIMIT 1"
        ).fetchone()[0]
        mms_id = store.inventory.set_item_status(item, "missing")
        new_id = store.put(_record("Followed title"), match=()).identifier
        started = time.monotonic()
        while time.monotonic() - started < 1.0:
            if search_ids(index_dir, "dc.title=followed") == [new_id]:
                break
            time.sleep(0.05)
        assert search_ids(index_dir, "dc.title=followed") == [new_id]
        assert index.indexed_seq(index_dir) == store.last_change()
        available = any(
            i.status == "available" for h in store.inventory.of(mms_id).holdings for i in h.items
        ) or any(p.available for p in store.inventory.of(mms_id).portfolios)
        query = f"alma.mms_id={mms_id} and alma.availability=available"
        assert search_ids(index_dir, query) == ([mms_id] if available else [])
    finally:
        follower.stop()
        follower.join(5)


def test_rebuild_while_searching_swaps_the_index(store, app):
    index_dir = build_index(store, app)
    before = search_ids(index_dir, "cql.allRecords=1")
    with index.open_searcher(index_dir) as searcher:
        index.rebuild(store, index_dir)
        assert searcher.doc_count() == len(before)
    assert sorted(search_ids(index_dir, "cql.allRecords=1")) == sorted(before)
    assert not index_dir.with_name(index_dir.name + ".building").exists()


def test_cli_rebuild_and_update(runner, store, app):
    result = runner.invoke(args=["index", "rebuild"])
    assert result.exit_code == 0, result.output
    assert f"indexed {store.stats()['records']} records" in result.output
    store.put(_record("Clitest title"), match=())
    result = runner.invoke(args=["index", "update"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 records re-indexed")
    assert len(search_ids(app.config["INDEX_DIR"], "dc.title=clitest")) == 1


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
    assert len(search_ids(app.config["INDEX_DIR"], "dc.title=hooked")) == 1


def test_writers_in_several_processes(store, app):
    """Processes that update the same index at once (gunicorn workers): the flock keeps one writer."""
    import subprocess
    import sys

    index_dir = build_index(store, app)
    script = (
        "import sys, time\n"
        "from app import create_app\n"
        "from app.resources import open_store\n"
        "from indexer.search import index\n"
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
    assert sorted(search_ids(index_dir, "dc.title=multiprocess")) == sorted(ids)


def test_an_index_of_another_format_is_rebuilt(store, app):
    index_dir = build_index(store, app)
    (index_dir / index.SEQ_FILE).write_text(f"{store.last_change()}\n")  # the format before
    assert index.indexed_seq(index_dir) is None and not index.exists(index_dir)
    assert index.update(store, index_dir) == store.stats()["records"]
    assert index.indexed_seq(index_dir) == store.last_change()


def _two_segments_with_a_deletion(store, app) -> tuple[Path, str]:
    """Builds the index, then changes a record of the commonest year: its old document stays in
    the first segment, marked deleted, and the new one goes to a second segment."""
    index_dir = build_index(store, app)
    years = [year(r.marc) for r in store.iter_records()]
    common = max((y for y in years if y), key=years.count)
    stored = next(r for r in store.iter_records() if year(r.marc) == common and r.marc.get("245"))
    changed = stored.marc
    changed["245"]["a"] = "Segmented anew"
    assert store.put(changed, match=("001",)).identifier == stored.identifier
    assert index.update(store, index_dir) == 1
    return index_dir, stored.identifier


def test_year_ranges_leave_deleted_documents_out(store, app):
    index_dir, changed = _two_segments_with_a_deletion(store, app)
    years = {r.identifier: year(r.marc) for r in store.iter_records()}
    known = {m: y for m, y in years.items() if y is not None}
    target = years[changed]
    with index.open_searcher(index_dir) as searcher:
        leaves = [s for s, _ in searcher.leaf_searchers()]
        first = max(leaves, key=lambda s: s.doc_count_all())
        assert len(leaves) > 1 and first.reader().has_deletions()
        kinds = {
            type(searching.ColumnRange("main_pub_date", lo, hi).matcher(first)).__name__
            for lo, hi in ((target, target), (None, None))
        }
        assert kinds == {"_IdsMatcher", "_RangeMatcher"}  # a narrow range and a wide one
    for query, expected in [
        (f"dc.date = {target}", {m for m, y in known.items() if y == target}),
        ("dc.date > 0", set(known)),
        (f"dc.date <= {target}", {m for m, y in known.items() if y <= target}),
        (f"dc.title = segmented and dc.date > {target - 1}", {changed}),
    ]:
        found = search_ids(index_dir, query)
        assert len(found) == len(set(found)) and set(found) == expected, query


def test_fast_bm25f_scores_as_whoosh_bm25f(store, app):
    from whoosh import index as whoosh_index
    from whoosh import scoring

    from indexer.search.cql import translate

    index_dir, _changed = _two_segments_with_a_deletion(store, app)
    ix = whoosh_index.open_dir(str(index_dir))
    with (
        ix.searcher(weighting=scoring.BM25F()) as slow,
        ix.searcher(weighting=searching.FastBM25F()) as fast,
    ):
        word, _count = common_title_word(store)
        for cql in [f"dc.title = {word}", f'dc.title any "{word} segmented"', word, "anew"]:
            query = translate(cql).query
            expected = [(h.docnum, round(h.score, 9)) for h in slow.search(query, limit=None)]
            got = [(h.docnum, round(h.score, 9)) for h in fast.search(query, limit=None)]
            assert got == expected and expected, cql
            total, ids = searching.search_page(fast, translate(cql), 1, 5)
            assert total == len(expected)
            assert ids == searching.ids_of(fast, [docnum for docnum, _ in expected[:5]])
