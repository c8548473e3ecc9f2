"""Pressmark harvests Pressmark: full, then incremental after changes and deletions, ending identical."""

from __future__ import annotations

import time

import pytest
from pymarc import Field, Indicators, Subfield

from harvester.client import ClientOptions
from harvester.harvest import harvest
from harvester.profiles import Profile
from indexer.marc.marcxml import record_from_xml, record_to_xml
from indexer.store.records import RecordStore
from tests.harvest.sources import harvested, target_store

pytestmark = pytest.mark.e2e

OPTIONS = ClientOptions(timeout=10, max_retries=1, backoff=0.1)


def published_by_mms(source: RecordStore) -> dict[str, bytes]:
    """Returns the marc21 record each live source record publishes, normalized as a put stores it."""
    found = {}
    for listed in source.list_records(limit=100_000, prefix="marc21"):
        if not listed.deleted and listed.xml:
            record = record_from_xml(listed.xml)
            record.leader = record.leader[:9] + "a" + record.leader[10:]
            found[listed.identifier] = record_to_xml(record)
    return found


def assert_identical(source: RecordStore, target: RecordStore) -> None:
    """The target holds exactly the source's live records, with what the source publishes."""
    expected = published_by_mms(source)
    got = {ident.rpartition(":")[2]: record_to_xml(r) for ident, r in harvested(target).items()}
    assert sorted(got) == sorted(expected)
    for mms_id, xml in expected.items():
        assert got[mms_id] == xml, mms_id
    assert target.stats()["records"] == len(expected)


def test_full_then_incremental_harvest_of_pressmark_ends_identical(tmp_path, live_server, store):
    target = target_store(tmp_path)
    profile = Profile(name="self", base_url=f"{live_server.url}/oai", deleted="delete")
    # from is inclusive, and a record changed n times in one second is stamped up to n seconds
    # ahead (datestamps strictly increase): records stamped at or after the first harvest's
    # responseDate would be sent again (correctly) and blur what "only changes" means
    latest = store.conn.execute("SELECT MAX(datestamp) FROM records").fetchone()[0]
    while time.time() < latest + 1:
        time.sleep(0.1)
    full = harvest(target, profile, options=OPTIONS)
    assert full.ok, full.errors
    assert full.mode == "full"
    assert full.pages >= 3  # the provider pages by 100
    assert full.counts["new"] == store.stats()["records"]
    assert full.counts["rejected"] == 0
    assert_identical(store, target)

    # changes at the source: one record changed, one deleted, one added
    changed = next(r for r in store.iter_records() if r.marc.get("001") is not None)
    marc = changed.marc
    marc.add_field(
        Field(tag="500", indicators=Indicators(" ", " "), subfields=[Subfield("a", "Changed.")])
    )
    assert store.put(marc, match=("001",)).status == "updated"
    victim = next(r for r in store.iter_records() if r.identifier != changed.identifier)
    assert store.delete(victim.identifier)
    added = record_from_xml(record_to_xml(changed.marc))
    added.remove_fields("001", "035")
    added["245"]["a"] = "A record added after the first harvest"
    assert store.put(added, match=()).status == "new"

    incremental = harvest(target, profile, options=OPTIONS)
    assert incremental.ok, incremental.errors
    assert incremental.mode == "incremental"
    assert incremental.from_date == full.response_date
    assert incremental.counts["updated"] == 1
    assert incremental.counts["deleted"] == 1
    assert incremental.counts["new"] == 1
    assert incremental.records < 10  # only what changed, not the whole catalogue
    assert_identical(store, target)
    # the deleted record is a tombstone in the target too
    assert len(harvested(target, deleted=True)) == 1

    # nothing changed since: the next incremental run finds nothing new
    quiet = harvest(target, profile, options=OPTIONS)
    assert quiet.ok
    assert quiet.counts["new"] + quiet.counts["updated"] + quiet.counts["deleted"] == 0
    assert_identical(store, target)


def test_oai_dc_harvest_of_pressmark_is_crosswalked_to_marc(tmp_path, live_server, store):
    target = target_store(tmp_path)
    profile = Profile(name="dc", base_url=f"{live_server.url}/oai", metadata_prefix="oai_dc")
    report = harvest(target, profile, options=OPTIONS)
    assert report.ok, report.errors
    live = store.stats()["records"]
    assert report.counts["new"] + report.counts["rejected"] == live
    records = harvested(target)
    assert len(records) == report.counts["new"] >= live - 5
    with_title = [r for r in records.values() if r.get("245") is not None]
    assert len(with_title) >= len(records) - 5
