"""The record store: datestamps, tombstones, sets, inventory, change log, bad database files."""

from __future__ import annotations

import sqlite3

import pytest
from pymarc import Field, Indicators, Record, Subfield

from indexer.marc.published import PublishOptions
from indexer.store.records import RecordStore, StoreError


def make_record(control: str, title: str, isbn: str | None = None) -> Record:
    record = Record(leader="00000nam a2200000 a 4500")
    record.add_field(Field(tag="001", data=control))
    if isbn:
        record.add_field(
            Field(tag="020", indicators=Indicators(" ", " "), subfields=[Subfield("a", isbn)])
        )
    record.add_field(
        Field(tag="245", indicators=Indicators("1", "0"), subfields=[Subfield("a", title)])
    )
    return record


def test_put_then_get_returns_the_same_record(empty):
    result = empty.put(make_record("c1", "Moby Dick"))
    assert result.status == "new"
    assert result.identifier.startswith("99") and result.identifier.endswith("0101")
    stored = empty.get(result.identifier)
    assert stored.marc["245"]["a"] == "Moby Dick"
    assert stored.marc.leader[9] == "a"
    assert not stored.deleted


def test_datestamp_strictly_increases_on_every_change_even_within_a_second(empty):
    mms = empty.put(make_record("c1", "v1")).identifier
    stamps = [empty.get(mms).datestamp]
    for version in ("v2", "v3", "v4"):
        assert empty.put(make_record("c1", version)).status == "updated"
        stamps.append(empty.get(mms).datestamp)
    assert stamps == sorted(stamps) and len(set(stamps)) == 4


def test_unchanged_record_keeps_its_datestamp(empty):
    mms = empty.put(make_record("c1", "same")).identifier
    before = empty.get(mms).datestamp
    assert empty.put(make_record("c1", "same")).status == "unchanged"
    assert empty.get(mms).datestamp == before


def test_delete_keeps_a_tombstone_that_lists_as_deleted(empty):
    mms = empty.put(make_record("c1", "gone")).identifier
    before = empty.get(mms).datestamp
    assert empty.delete(mms)
    assert not empty.delete(mms)
    stored = empty.get(mms)
    assert stored.deleted and stored.datestamp > before
    [row] = empty.list_records(prefix="marc21")
    assert row.deleted and row.xml is None


def test_incoming_deleted_record_deletes_its_match(empty):
    mms = empty.put(make_record("c1", "x")).identifier
    gone = make_record("c1", "x")
    gone.leader = gone.leader[:5] + "d" + gone.leader[6:]
    assert empty.put(gone).status == "deleted"
    assert empty.get(mms).deleted
    unknown = make_record("nope", "y")
    unknown.leader = unknown.leader[:5] + "d" + unknown.leader[6:]
    assert empty.put(unknown).status == "ignored"


def test_match_methods_are_tried_in_order(empty):
    first = empty.put(make_record("c1", "A", isbn="0-306-40615-2")).identifier
    other = make_record("c2", "A revised", isbn="9780306406157")
    assert empty.find(other, match=("001",)) is None
    assert empty.find(other, match=("001", "isbn")) == first
    assert empty.put(other, match=("isbn",)).identifier == first
    # the MMS ID in 001 (a record exported from here and loaded back) matches too
    assert empty.find(make_record(first, "back"), match=("001",)) == first


def test_list_records_is_a_keyset_over_datestamp_and_id(empty):
    ids = [empty.put(make_record(f"c{n}", f"t{n}")).identifier for n in range(7)]
    seen, after = [], None
    while True:
        page = empty.list_records(after=after, limit=3)
        if not page:
            break
        seen += [r.identifier for r in page]
        after = (page[-1].datestamp, page[-1].id)
    assert sorted(seen) == sorted(ids) and len(seen) == 7
    assert empty.count_records() == 7


def test_record_leaving_a_set_is_listed_deleted_in_that_set(empty):
    a = empty.put(make_record("a", "A")).identifier
    b = empty.put(make_record("b", "B")).identifier
    empty.define_set("music", "Music", "Scores and recordings")
    assert empty.set_members("music", [a, b]) == (2, 0)
    stamp_b = empty.get(b).datestamp
    assert empty.set_members("music", [a]) == (0, 1)
    rows = {r.identifier: r for r in empty.list_records(set_spec="music")}
    assert not rows[a].deleted and rows[b].deleted
    assert empty.get(b).datestamp > stamp_b
    assert empty.get(a).sets == ("music",) and empty.get(b).sets == ()
    with pytest.raises(KeyError):
        empty.set_members("nosuchset", [a])


def test_changes_are_logged_in_order(empty):
    start = empty.last_change()
    mms = empty.put(make_record("c1", "x")).identifier
    empty.put(make_record("c1", "y"))
    empty.delete(mms)
    kinds = [(m, k) for _, m, k in empty.changes_since(start)]
    assert kinds == [(mms, "new"), (mms, "update"), (mms, "delete")]


def test_inventory_change_bumps_the_datestamp_when_it_changes_what_is_published(tmp_path):
    store = RecordStore(
        tmp_path / "s.db", create=True, publish=PublishOptions(availability=True, holdings_852=True)
    )
    mms = store.put(make_record("c1", "x")).identifier
    holding = store.inventory.add_holding(mms, "MAIN", "Main Library", "STACKS", "Stacks", "QA 76")
    store.inventory.add_item(holding, "B1")
    before = store.get(mms).datestamp
    assert store.inventory.set_item_status("B1", "loaned") == mms
    assert store.get(mms).datestamp > before
    inventory = store.inventory.of(mms)
    assert inventory.holdings[0].items[0].status == "loaned"
    assert inventory.holdings[0].unavailable_items == 1
    store.close()


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="corrupt or not an SQLite database"):
        RecordStore(bad)
    with pytest.raises(StoreError, match="pressmark init"):
        RecordStore(tmp_path / "missing.db")
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(StoreError, match="not a Pressmark record store"):
        RecordStore(foreign)


def test_a_locked_database_is_a_clear_error(tmp_path):
    path = tmp_path / "s.db"
    RecordStore(path, create=True).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
    store = RecordStore(path, timeout=0.2)
    try:
        with pytest.raises(StoreError, match="locked by another writer"):
            store.put(make_record("c1", "x"))
    finally:
        store.close()
        holder.execute("ROLLBACK")
        holder.close()


def test_many_changes_in_one_transaction_give_one_new_datestamp(tmp_path):
    store = RecordStore(tmp_path / "s.db", create=True, publish=PublishOptions(availability=True))
    mms = store.put(make_record("c1", "x")).identifier
    before = store.get(mms).datestamp
    with store.batch():
        holding = store.inventory.add_holding(mms, "MAIN")
        for n in range(30):
            store.inventory.add_item(holding, f"B{n}")
    after = store.get(mms).datestamp
    assert after > before
    assert (after - before).total_seconds() <= 2  # not 31 seconds into the future
    store.close()


def test_identical_content_matches_unless_told_not_to(empty):
    first = empty.put(make_record("c1", "Twin"), match=("isbn",)).identifier
    assert empty.put(make_record("c1", "Twin"), match=("isbn",)).identifier == first
    twin = empty.put(make_record("c1", "Twin"), match=("isbn",), same_content=False)
    assert twin.status == "new" and twin.identifier != first
