"""Harvests of recorded pages and of a well-behaved fake provider: profiles, runs, merge, deletions."""

from __future__ import annotations

import os
import socket
import time

import pytest
from pymarc import Field, Indicators, Subfield

from harvester.client import ClientOptions, HarvestError, parse_page, parse_retry_after
from harvester.harvest import harvest
from harvester.profiles import LockedError, Profile, ProfileError, Profiles
from indexer.marc.marcxml import record_from_xml, record_to_xml
from tests.conftest import SHARED
from tests.harvest.sources import (
    OAIFixtureServer,
    fake_records,
    harvested,
    target_store,
)

FAST = ClientOptions(timeout=5, max_retries=2, backoff=0.05, max_retry_after=1)


def test_harvest_recorded_marc21_pages(tmp_path, recorded):
    target = target_store(tmp_path)
    profile = Profile(name="alma", base_url=recorded.url, match=["oai"])
    report = harvest(target, profile, options=FAST)
    assert report.ok, report.errors
    assert report.pages == 2
    assert report.counts["new"] == 3
    assert report.counts["rejected"] == 1
    assert report.rejections[0][0] == "oai:alma.01EXAMPLE_INST:991000000030101"
    assert "leader" in report.rejections[0][1]
    assert report.counts["ignored"] == 1  # deletion of a record never harvested
    assert report.response_date == "2026-11-20T08:00:01Z"
    records = harvested(target)
    assert len(records) == 3
    kokoro = records["oai:alma.01EXAMPLE_INST:991000000020101"]
    assert [f.value() for f in kokoro.get_fields("880")][1].startswith("245-02/$1 こゝろ")
    # stored records are published at once
    mms_id = target.find(
        kokoro, match=("oai",), oai_identifier="oai:alma.01EXAMPLE_INST:991000000020101"
    )
    assert b"Kokoro" in target.published(mms_id, "marc21")


def test_harvest_recorded_oai_dc_is_crosswalked_to_marc(tmp_path, recorded):
    target = target_store(tmp_path)
    profile = Profile(name="repo", base_url=recorded.url, metadata_prefix="oai_dc")
    report = harvest(target, profile, options=FAST)
    assert report.ok, report.errors
    assert report.counts["new"] == 1
    assert report.counts["rejected"] == 1
    assert "without any Dublin Core" in report.rejections[0][1]
    record = harvested(target)["oai:repository.example.org:1234"]
    assert record["245"]["a"] == "Open access and the humanities"
    assert record["100"]["a"] == "Eve, Martin Paul"
    assert record["020"]["a"] == "9781107484016"
    assert record["856"]["u"] == "https://repository.example.org/1234"
    assert record["008"].data[7:11] == "2014"


def test_second_run_is_incremental_in_the_source_granularity(tmp_path, recorded):
    target = target_store(tmp_path)
    profile = Profile(name="alma", base_url=recorded.url)
    assert harvest(target, profile, options=FAST).ok
    report = harvest(target, profile, options=FAST)
    assert report.ok
    assert report.mode == "incremental"
    # Identify says YYYY-MM-DD, so the previous responseDate is cut to the day
    assert report.from_date == "2026-11-20"
    assert recorded.requests[-2]["from"] == "2026-11-20"
    assert report.counts["unchanged"] == 3
    assert report.counts["new"] == 0


def test_incremental_harvest_asks_from_the_last_response_date(tmp_path, source_store):
    records = fake_records(source_store)
    target = target_store(tmp_path)
    with OAIFixtureServer(records, page_size=50) as server:
        profile = Profile(name="fake", base_url=server.url)
        first = harvest(target, profile, options=FAST)
        assert first.ok
        assert first.counts["new"] == len(records)
        changed = records[5]
        marc = record_from_xml(changed.metadata)
        marc.add_field(
            Field(tag="500", indicators=Indicators(" ", " "), subfields=[Subfield("a", "new")])
        )
        changed.metadata = record_to_xml(marc)
        changed.datestamp = int(time.time()) + 5
        second = harvest(target, profile, options=FAST)
        assert second.ok
        assert second.mode == "incremental"
        starts = [q for q in server.requests if q.get("verb") == "ListRecords" and "from" in q]
        assert starts[-1]["from"] == first.response_date
        assert second.counts["updated"] == 1
        assert second.records == 1
        assert harvested(target)[changed.identifier].get_fields("500")[-1]["a"] == "new"


def test_no_records_match_is_an_empty_successful_run(tmp_path, source_store):
    records = fake_records(source_store)[:5]
    target = target_store(tmp_path)
    with OAIFixtureServer(records) as server:
        profile = Profile(name="fake", base_url=server.url)
        assert harvest(target, profile, options=FAST).ok
        for record in records:
            record.datestamp = 0  # nothing changed since
        empty = harvest(target, profile, options=FAST)
        assert empty.ok
        assert empty.records == 0
        assert empty.response_date is not None
        # and the next incremental run still is incremental
        assert harvest(target, profile, options=FAST).mode == "incremental"


def test_full_run_when_asked(tmp_path, recorded):
    target = target_store(tmp_path)
    profile = Profile(name="alma", base_url=recorded.url)
    harvest(target, profile, options=FAST)
    report = harvest(target, profile, options=FAST, full=True)
    assert report.mode == "full"
    assert "from" not in recorded.requests[-2]


@pytest.mark.parametrize(
    ("merge", "kept", "status"),
    [
        ("overlay", False, "updated"),
        ("keep_local", True, "unchanged"),
        ("add_only", True, "unchanged"),
    ],
)
def test_merge_policies(tmp_path, recorded, merge, kept, status):
    target = target_store(tmp_path)
    profile = Profile(name="alma", base_url=recorded.url, merge=merge)
    harvest(target, profile, options=FAST)
    ident = "oai:alma.01EXAMPLE_INST:991000000010101"
    local = harvested(target)[ident]
    local.add_field(
        Field(tag="990", indicators=Indicators(" ", " "), subfields=[Subfield("a", "our note")])
    )
    assert target.put(local, match=("oai",), oai_identifier=ident).status == "updated"
    report = harvest(target, profile, options=FAST, full=True)
    assert report.ok
    record = harvested(target)[ident]
    assert (record.get("990") is not None) is kept
    expected = 3 if status == "unchanged" else 2
    assert report.counts["unchanged"] == expected
    # the remote record's own 950 is not a local field of ours: keep_local keeps ours only
    kokoro = harvested(target)["oai:alma.01EXAMPLE_INST:991000000020101"]
    assert (kokoro.get("950") is not None) is True


@pytest.mark.parametrize(("policy", "live", "leader5"), [
    ("delete", False, "d"), ("suppress", False, "c"), ("ignore", True, "c"),
])  # fmt: skip
def test_deleted_records_policies(tmp_path, source_store, policy, live, leader5):
    records = fake_records(source_store)[:12]
    target = target_store(tmp_path)
    with OAIFixtureServer(records) as server:
        profile = Profile(name="fake", base_url=server.url, deleted=policy)
        assert harvest(target, profile, options=FAST).ok
        gone = records[3]
        mms_id = target.find(
            record_from_xml(gone.metadata), match=("oai",), oai_identifier=gone.identifier
        )
        original = target.get(mms_id).marc
        original.leader = original.leader[:5] + "c" + original.leader[6:]
        target.put(original, match=("oai",), oai_identifier=gone.identifier)
        gone.deleted = True
        gone.datestamp = int(time.time()) + 5
        report = harvest(target, profile, options=FAST)
        assert report.ok
        stored = target.get(mms_id)
        assert stored.deleted is not live
        assert stored.marc.leader[5] == leader5
        outcome = {"delete": "deleted", "suppress": "suppressed", "ignore": "ignored"}[policy]
        assert report.counts[outcome] == 1


def test_normalize_hook_changes_records_before_they_are_stored(tmp_path, recorded):
    target = target_store(tmp_path)
    profile = Profile(name="alma", base_url=recorded.url)

    def strip_local(record):
        record.remove_fields("950")
        return None if record["245"]["a"].startswith("Nature") else record

    report = harvest(target, profile, options=FAST, normalize=strip_local)
    assert report.ok
    assert report.counts["skipped"] == 1
    assert all(r.get("950") is None for r in harvested(target).values())


def test_profile_rules_are_applied_on_import(tmp_path, recorded):
    pytest.importorskip("indexer.rules")
    target = target_store(tmp_path)
    rules = 'rule "drop local" when (TRUE) then removeField "9.." end\n'
    profile = Profile(name="alma", base_url=recorded.url, rules=rules)
    report = harvest(target, profile, options=FAST)
    assert report.ok, report.errors
    assert all(r.get("950") is None for r in harvested(target).values())


def test_one_run_per_profile_at_a_time(tmp_path, recorded):
    target = target_store(tmp_path)
    profile = Profile(name="alma", base_url=recorded.url)
    profiles = Profiles(target)
    owner = profiles.acquire("alma")
    with pytest.raises(LockedError, match="being harvested"):
        harvest(target, profile, options=FAST)
    profiles.release("alma", owner)
    assert harvest(target, profile, options=FAST).ok


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path, recorded):
    target = target_store(tmp_path)
    profile = Profile(name="alma", base_url=recorded.url)
    Profiles(target)
    pid = os.fork()
    if pid == 0:  # a child that exits at once: its pid is then free
        os._exit(0)
    os.waitpid(pid, 0)
    target.conn.execute(
        "INSERT INTO harvest_locks (profile, run_id, owner, host, pid, heartbeat)"
        " VALUES ('alma', NULL, 'dead', ?, ?, ?)",
        (socket.gethostname(), pid, time.time()),
    )
    assert harvest(target, profile, options=FAST).ok


def test_profiles_are_validated_and_stored(tmp_path):
    target = target_store(tmp_path)
    profiles = Profiles(target)
    with pytest.raises(ProfileError, match="merge"):
        Profile.from_dict({"name": "x", "base_url": "http://h/oai", "merge": "squash"})
    with pytest.raises(ProfileError, match="unknown match method"):
        Profile.from_dict({"name": "x", "base_url": "http://h/oai", "match": ["lccn"]})
    with pytest.raises(ProfileError, match="unknown setting"):
        Profile.from_dict({"name": "x", "base_url": "http://h/oai", "colour": "red"})
    profiles.save(Profile.from_dict({"name": "x", "base_url": "http://h/oai", "match": "isbn,oai"}))
    assert profiles.get("x").match == ["isbn", "oai"]
    profiles.update("x", {"interval": 60, "deleted": "suppress"})
    assert profiles.get("x").interval == 60
    with pytest.raises(ProfileError, match="exists"):
        profiles.save(Profile(name="x", base_url="http://h/oai"), create=True)
    profiles.remove("x")
    assert profiles.names() == []


def test_retry_after_seconds_and_http_date_are_capped():
    assert parse_retry_after("7", 60, 120) == 7
    assert parse_retry_after("7000", 60, 120) == 120
    assert parse_retry_after(None, 60, 30) == 30
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 60, 120) == 0
    future = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 50))
    assert 45 <= parse_retry_after(future, 60, 120) <= 50
    assert parse_retry_after(future, 60, 10) == 10
    assert parse_retry_after("soon", 5, 120) == 5


def test_bad_rules_are_refused_when_the_profile_is_saved():
    pytest.importorskip("indexer.rules")
    with pytest.raises(ProfileError, match="rules"):
        Profile.from_dict({"name": "x", "base_url": "http://h/oai", "rules": "rule oops\n"})
    with pytest.raises(ProfileError, match="cannot read rules file"):
        Profile.from_dict({"name": "x", "base_url": "http://h/oai", "rules": "/nonexistent.rules"})


def test_recorded_real_responses_parse_or_fail_clearly():
    folder = SHARED / "oai-fixtures"
    if not folder.is_dir():
        pytest.skip("no recorded real responses in ../shared/oai-fixtures")
    files = sorted(folder.rglob("*.xml"))
    assert files
    for path in files:
        try:
            root, rejected = parse_page(path.read_bytes(), salvage=True)
        except HarvestError as exc:
            refused = str(exc)  # refused with a reason, never another exception
            assert refused, path
            continue
        assert root.tag == "{http://www.openarchives.org/OAI/2.0/}OAI-PMH"
        assert all(reason for _, reason in rejected)
