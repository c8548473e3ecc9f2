"""What the SRU server keeps between requests: pooled searchers and stores, published records reused,
the explain response; each must show a change of the store in the very next response."""

from __future__ import annotations

import sqlite3
from urllib.parse import urlencode

import pytest
from lxml import etree
from pymarc import Field, Leader, Record, Subfield

from app.resources import open_store
from app.sru import pool, records
from indexer.publishing.republish import republish
from tests.sru.protocol import NS, number_of_records, validate


def _get(client, **params):
    response = client.get("/sru?" + urlencode(params))
    assert response.status_code == 200
    return validate(response.data)


def _record(title: str, local: tuple[str, str] | None = None) -> Record:
    record = Record(leader=Leader("00000nam a2200000 a 4500"))
    record.add_field(Field(tag="245", indicators=["0", "0"], subfields=[Subfield("a", title)]))
    if local:
        tag, text = local
        record.add_field(Field(tag=tag, indicators=[" ", " "], subfields=[Subfield("a", text)]))
    return record


def test_the_next_request_sees_a_new_or_deleted_record(app, client, store):
    app.config["INDEX_FOLLOW_INTERVAL"] = 0  # no follower thread: the request itself catches up
    assert number_of_records(_get(client, query="dc.title=quuxwordle")) == 0
    mms_id = store.put(_record("Quuxwordle revisited"), match=()).identifier
    root = _get(client, query="dc.title=quuxwordle")
    assert number_of_records(root) == 1
    assert root.findtext(".//marc:controlfield[@tag='001']", namespaces=NS) == mms_id
    store.delete(mms_id)
    assert number_of_records(_get(client, query="dc.title=quuxwordle")) == 0


def test_a_searcher_is_reused_until_the_store_changes(app, client, store):
    app.config["INDEX_FOLLOW_INTERVAL"] = 0
    searchers = pool.searchers(app.config)
    _get(client, query="cql.allRecords=1", maximumRecords=1)
    first = list(searchers.idle)
    _get(client, query="dc.title=a", maximumRecords=1)
    assert [e.searcher for e in searchers.idle] == [e.searcher for e in first]
    store.put(_record("Reopened title"), match=())
    _get(client, query="dc.title=reopened", maximumRecords=1)
    assert len(searchers.idle) == 1 and searchers.idle[0].searcher is not first[0].searcher
    assert first[0].searcher.is_closed  # replaced, never refreshed in place
    stores = pool.stores(app.config)
    assert len(stores.idle) == 1  # given back after each request, not closed


def test_a_loan_changes_the_published_record_that_sru_serves(app, client, store):
    mms_id, holding = next(
        (r.identifier, h)
        for r in store.iter_records()
        for h in store.inventory.of(r.identifier).holdings
        if any(i.status == "available" for i in h.items)
    )
    assert records.serves_published(app.config, "marcxml")

    def unavailable() -> str:
        root = _get(client, query=f"alma.mms_id={mms_id}")
        path = f"//marc:datafield[@tag='AVA'][marc:subfield[@code='8']='{holding.holding_id}']"
        (ava,) = root.xpath(path, namespaces=NS)
        return ava.findtext("marc:subfield[@code='g']", namespaces=NS)

    before = unavailable()
    item = next(i for i in holding.items if i.status == "available")
    store.inventory.set_item_status(item.barcode, "loaned")
    assert int(unavailable()) == int(before) + 1
    store.inventory.set_item_status(item.barcode, "available")
    assert unavailable() == before


def test_published_records_are_what_rendering_gives(app, store):
    ids = [r.identifier for r in store.iter_records()]
    rows = store.conn.execute(
        "SELECT mms_id, id, marcxml FROM records WHERE deleted = 0 ORDER BY id"
    ).fetchall()
    for schema in ("marcxml", "dc"):
        assert records.serves_published(app.config, schema)
        served = records.fetch(store, ids, schema, app.config)
        for mms_id, rec_id, marcxml in rows:
            assert served[mms_id] == records.render(
                store, rec_id, mms_id, marcxml, schema, app.config
            ), (schema, mms_id)


def test_without_availability_sru_renders_the_records_itself(app, client, store):
    app.config["SRU_AVAILABILITY"] = False
    assert not records.serves_published(app.config, "marcxml")
    root = _get(client, query="alma.availability=available", maximumRecords=50)
    assert number_of_records(root) > 0
    assert root.find(".//marc:datafield[@tag='AVA']", NS) is None
    assert root.find(".//marc:datafield[@tag='852']", NS) is not None


def test_normalization_rules_stay_out_of_sru(app, client, tmp_path):
    rules = tmp_path / "mark.rules"
    rules.write_text('rule "mark" when exists "245" then addField "590.a.Normalized here" end\n')
    app.config["PUBLISH_RULES"] = str(rules)
    with open_store(app.config) as store:
        republish(store)
        mms_id = next(r.identifier for r in store.iter_records())
        assert b"Normalized here" in store.published(mms_id, "marc21")
    assert not records.serves_published(app.config, "marcxml")
    root = _get(client, query=f"alma.mms_id={mms_id}", recordSchema="marcxml")
    assert number_of_records(root) == 1
    assert b"Normalized here" not in etree.tostring(root)
    assert root.find(".//marc:datafield[@tag='AVA']", NS) is not None


def test_explain_follows_the_settings_and_the_local_fields(app, client, store):
    def explain():
        return validate(client.get("/sru?operation=explain").data).find(".//zr:explain", NS)

    first = explain()
    assert first.findtext("zr:databaseInfo/zr:title", namespaces=NS) == "Pressmark catalogue"
    app.config["SRU_DATABASE_TITLE"] = "Another title"
    assert explain().findtext("zr:databaseInfo/zr:title", namespaces=NS) == "Another title"
    names = {n.text for n in explain().iterfind(".//zr:map/zr:name", NS)}
    tag = next(str(t) for t in range(999, 900, -1) if f"local_field_{t}" not in names)
    store.put(_record("Local title", local=(tag, "LOCALWORD")), match=())
    names = {n.text for n in explain().iterfind(".//zr:map/zr:name", NS)}
    assert f"local_field_{tag}" in names


def test_old_pools_are_closed(app, client, tmp_path):
    client.get("/sru?query=cql.allRecords=1&maximumRecords=1")
    mine = pool.stores(app.config)
    store = mine.idle[0]
    for n in range(pool.MAX_POOLS):
        pool.stores({"DATABASE": str(tmp_path / f"other{n}.db")})
    assert mine.closed and not mine.idle
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        store.conn.execute("SELECT 1")
    client.get("/sru?query=cql.allRecords=1&maximumRecords=1")  # a new pool serves it
    assert pool.stores(app.config) is not mine


def test_a_request_waits_for_a_build_in_progress_only_so_long(app, client, monkeypatch):
    """No index yet and another writer building it (the follower after an upgrade): diagnostic 2
    after BUILD_WAIT, not a request hanging on the build; once the writer is done, results."""
    from pathlib import Path

    from indexer.search import index
    from tests.sru.protocol import diagnostics

    app.config["INDEX_FOLLOW_INTERVAL"] = 0
    monkeypatch.setattr(pool, "BUILD_WAIT", 0.2)
    index_dir = Path(app.config["INDEX_DIR"])
    assert not index.exists(index_dir)
    with index.write_lock(index_dir):  # the other writer
        assert index.busy(index_dir)
        root = _get(client, query="cql.allRecords=1")
        assert diagnostics(root) == [(2, "the search index is being built: try again in a minute")]
    assert not index.busy(index_dir)
    assert number_of_records(_get(client, query="cql.allRecords=1")) > 0
    assert index.exists(index_dir)
