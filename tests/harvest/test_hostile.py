"""A hostile source: every misbehaviour ends in a clear report, and nothing is lost or duplicated."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from harvester.client import ClientOptions
from harvester.harvest import harvest
from harvester.profiles import Profile, Profiles
from indexer.marc.marcxml import record_from_xml, record_to_xml
from indexer.store.records import RecordStore
from tests.conftest import ROOT
from tests.harvest.sources import (
    OAIFixtureServer,
    fake_records,
    harvested,
    target_store,
)

FAST = ClientOptions(
    timeout=1, max_retries=2, backoff=0.05, max_retry_after=1, max_response_bytes=1024 * 1024
)


@pytest.fixture
def records(source_store):
    """35 records: four pages of ten."""
    return fake_records(source_store)[:35]


def assert_complete(target: RecordStore, records) -> None:
    """Every record of the source is in the target once, with the source's content."""
    got = harvested(target)
    assert sorted(got) == sorted(r.identifier for r in records)
    assert target.stats()["records"] == len(records)
    for record in records:
        assert record_to_xml(got[record.identifier]) == record_to_xml(
            record_from_xml(record.metadata)
        )


@pytest.mark.parametrize(
    "faults",
    [
        ["truncate"],
        ["short-content-length"],
        ["503-seconds"],
        ["503-date"],
        ["malformed"],
        ["stall"],
        ["truncate", "503-date", "malformed"],
    ],
)
def test_transient_faults_are_retried_and_nothing_is_lost(tmp_path, records, faults):
    target = target_store(tmp_path)
    with OAIFixtureServer(records) as server:
        server.stall_seconds = 2.5
        server.fault(2, *faults)
        report = harvest(target, Profile(name="hostile", base_url=server.url), options=FAST)
    assert report.ok, report.errors
    assert report.pages == 4
    assert report.counts["new"] == 35
    assert_complete(target, records)


def test_truncated_page_is_never_a_short_list(tmp_path, records):
    target = target_store(tmp_path)
    with OAIFixtureServer(records) as server:
        server.fault(1, *["truncate"] * 3)  # more than the retries
        report = harvest(target, Profile(name="hostile", base_url=server.url), options=FAST)
        assert report.status == "failed"
        assert "malformed XML" in report.errors[-1]
        assert "gave up after 3 attempts" in report.errors[-1]
        assert report.pages == 1
        assert len(harvested(target)) == 10  # the first page only, nothing half
        again = harvest(target, Profile(name="hostile", base_url=server.url), options=FAST)
    assert again.ok
    assert again.resumed
    assert again.run_id == report.run_id
    assert again.counts["new"] == 35
    assert again.pages == 4
    assert_complete(target, records)


@pytest.mark.parametrize(
    ("faults", "message"),
    [
        (["entity-bomb"], "DTD or entities: refused"),
        (["never-ending"], "exceeds the limit of 1048576 bytes"),
        (["500"] * 3, "HTTP 500"),
        (["503-seconds"] * 3, "HTTP 503"),
    ],
)
def test_fatal_faults_fail_clearly_and_the_next_run_resumes(tmp_path, records, faults, message):
    target = target_store(tmp_path)
    with OAIFixtureServer(records) as server:
        profile = Profile(name="hostile", base_url=server.url)
        server.fault(2, *faults)
        started = time.monotonic()
        report = harvest(target, profile, options=FAST)
        assert time.monotonic() - started < 30
        assert report.status == "failed"
        assert message in " ".join(report.errors)
        assert report.pages == 2
        again = harvest(target, profile, options=FAST)
    assert again.ok, again.errors
    assert again.resumed
    assert again.counts["new"] == 35
    assert_complete(target, records)


def test_bad_resumption_token_restarts_the_list(tmp_path, records):
    target = target_store(tmp_path)
    with OAIFixtureServer(records) as server:
        server.fault(2, "bad-token")
        report = harvest(target, Profile(name="hostile", base_url=server.url), options=FAST)
    assert report.ok
    assert "badResumptionToken" in report.errors[0]
    assert report.counts["new"] == 35
    assert report.counts["unchanged"] == 20  # pages 1 and 2 read again, not stored twice
    assert_complete(target, records)


def test_bad_records_are_rejected_and_the_page_kept(tmp_path, records):
    records[3].metadata = records[3].metadata.replace(b"</marc:leader>", b"\xff\xfe</marc:leader>")
    records[4].metadata = records[4].metadata.replace(b"</marc:leader>", b"&#1;</marc:leader>")
    records[5].metadata = records[5].metadata.replace(b"</marc:leader>", b"\x01</marc:leader>")
    records[6].metadata = b"<nothing xmlns='urn:x'/>"
    records[7].metadata = b'<dc xmlns="http://www.w3.org/1999/xhtml">not dc</dc>'
    # a good record in MARC's default namespace: its <record> must not end the OAI one
    records[8].metadata = (
        records[8].metadata.replace(b"marc:", b"").replace(b"xmlns:marc=", b"xmlns=")
    )
    bad = {r.identifier for r in records[3:8]}
    target = target_store(tmp_path)
    with OAIFixtureServer(records) as server:
        report = harvest(target, Profile(name="hostile", base_url=server.url), options=FAST)
    assert report.ok
    assert report.counts["new"] == 30
    assert report.counts["rejected"] == 5
    reasons = dict(report.rejections)
    assert set(reasons) == bad
    assert "character encoding" in reasons[records[3].identifier]
    assert "unsupported metadata format" in reasons[records[6].identifier]
    assert set(harvested(target)) == {r.identifier for r in records} - bad


def test_huge_records_are_rejected(tmp_path, records):
    records[2].metadata = records[2].metadata.replace(
        b"</marc:record>",
        b'<marc:datafield tag="500" ind1=" " ind2=" "><marc:subfield code="a">'
        + b"x" * 300_000
        + b"</marc:subfield></marc:datafield></marc:record>",
    )
    target = target_store(tmp_path)
    options = ClientOptions(timeout=5, max_record_bytes=200_000)
    with OAIFixtureServer(records) as server:
        report = harvest(target, Profile(name="hostile", base_url=server.url), options=options)
    assert report.ok
    assert report.counts["rejected"] == 1
    assert "exceeds the limit of 200000" in report.rejections[0][1]
    assert report.counts["new"] == 34


KILLABLE = """
import sys
from harvester.client import ClientOptions
from harvester.harvest import harvest
from harvester.profiles import Profile
from indexer.store.records import RecordStore
store = RecordStore(sys.argv[1])
harvest(store, Profile(name="slow", base_url=sys.argv[2]), options=ClientOptions(timeout=5))
"""


def test_kill_and_resume_converges(tmp_path, source_store):
    records = fake_records(source_store)
    target = target_store(tmp_path)
    Profiles(target)
    db = str(tmp_path / "target.db")
    with OAIFixtureServer(records, page_size=10, delay=0.1) as server:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        child = subprocess.Popen([sys.executable, "-c", KILLABLE, db, server.url], env=env)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                row = target.conn.execute("SELECT MAX(pages) FROM harvest_runs").fetchone()
                if row[0] and row[0] >= 5:
                    break
                time.sleep(0.05)
            else:
                pytest.fail("the child harvest made no progress")
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL
        stored_before = len(harvested(target))
        assert 50 <= stored_before < len(records)
        report = harvest(target, Profile(name="slow", base_url=server.url), options=FAST)
    assert report.ok, report.errors
    assert report.resumed
    assert report.counts["new"] == len(records)  # counted once across both processes
    assert report.counts["unchanged"] == 0
    assert_complete(target, records)
