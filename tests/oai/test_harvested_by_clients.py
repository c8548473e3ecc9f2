"""Harvests over HTTP with real clients (Sickle, pyoai), full and incremental under change."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import pytest
from lxml import etree
from oaipmh.client import Client
from oaipmh.metadata import MetadataRegistry, oai_dc_reader
from sickle import Sickle
from sickle.oaiexceptions import NoRecordsMatch

from app.xml import format_datestamp, parse_datestamp
from tests.conftest import ROOT
from tests.oai.protocol import NS


def all_identifiers(store) -> set[str]:
    return {
        f"oai:pressmark.example.org:{r[0]}"
        for r in store.conn.execute("SELECT mms_id FROM records")
    }


def test_full_harvest_with_sickle_returns_every_record_once(app, live_server, store):
    app.config["OAI_PAGE_SIZE"] = 30
    sickle = Sickle(f"{live_server.url}/oai", timeout=30)
    for prefix in ("marc21", "oai_dc"):
        records = list(sickle.ListRecords(metadataPrefix=prefix, ignore_deleted=False))
        ids = [r.header.identifier for r in records]
        assert len(ids) == len(set(ids))
        assert set(ids) == all_identifiers(store)
        assert sum(r.header.deleted for r in records) == store.stats()["deleted"]


class _Evaluator:
    """lxml's XPathEvaluator with the ``evaluate`` alias that lxml 5 removed and pyoai still calls."""

    def __init__(self, *args, **kwargs) -> None:
        self._evaluator = etree.XPathEvaluator(*args, **kwargs)
        self.evaluate = self._evaluator


class _PyoaiEtree:
    """The ``etree`` module as pyoai 2.5.0 expects it (its client predates lxml 5)."""

    XPathEvaluator = _Evaluator

    def __getattr__(self, name: str):
        return getattr(etree, name)


@pytest.fixture
def pyoai_on_lxml6(monkeypatch):
    """Lets pyoai's client run on lxml >= 5: only its XPathEvaluator.evaluate calls are adapted."""
    import oaipmh.client
    import oaipmh.metadata

    monkeypatch.setattr(oaipmh.client, "etree", _PyoaiEtree())
    monkeypatch.setattr(oaipmh.metadata, "etree", _PyoaiEtree())


@pytest.mark.usefixtures("pyoai_on_lxml6")
def test_full_harvest_with_pyoai_returns_every_record_once(app, live_server, store):
    app.config["OAI_PAGE_SIZE"] = 30
    app.config["OAI_IDENTIFIERS_PAGE_SIZE"] = 50
    registry = MetadataRegistry()
    registry.registerReader("oai_dc", oai_dc_reader)
    client = Client(f"{live_server.url}/oai", registry)
    identify = client.identify()
    assert identify.repositoryName() == "Pressmark catalogue"
    assert identify.deletedRecord() == "persistent"
    client.updateGranularity()
    records = list(client.listRecords(metadataPrefix="oai_dc"))
    ids = [header.identifier() for header, _metadata, _about in records]
    assert len(ids) == len(set(ids))
    assert set(ids) == all_identifiers(store)
    titles = [m.getField("title") for h, m, _ in records if not h.isDeleted()]
    assert all(isinstance(t, list) for t in titles)
    assert sum(1 for t in titles if t) > 200
    headers = list(client.listIdentifiers(metadataPrefix="marc21"))
    assert {h.identifier() for h in headers} == set(ids)
    assert [f[0] for f in client.listMetadataFormats()] == ["marc21", "oai_dc"]


def canonical(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n", exclusive=True)


class Copy:
    """A harvester's copy: identifier -> (deleted, setSpecs, canonical metadata)."""

    def __init__(self, url: str) -> None:
        self.sickle = Sickle(url, timeout=30)
        self.records: dict[str, tuple[bool, tuple[str, ...], bytes | None]] = {}
        self.since: str | None = None

    def harvest(self) -> int:
        """Harvests the changes since the previous harvest's first responseDate."""
        params = {"metadataPrefix": "marc21", "ignore_deleted": False}
        if self.since:
            params["from"] = self.since
        try:
            iterator = self.sickle.ListRecords(**params)
        except NoRecordsMatch:
            return 0
        started = iterator.oai_response.xml.findtext(f"{{{NS['oai']}}}responseDate")
        count = 0
        for record in iterator:
            metadata = record.xml.find(f"{{{NS['oai']}}}metadata")
            payload = None if metadata is None else canonical(metadata[0])
            header = record.header
            self.records[header.identifier] = (
                header.deleted,
                tuple(sorted(header.setSpecs)),
                payload,
            )
            count += 1
        # the store stamps a record when its transaction starts, and a harvest sees it only at
        # commit: one second of overlap covers a commit that crosses a second boundary
        self.since = format_datestamp(parse_datestamp(started)[0] - 1)
        return count


def store_copy(store) -> dict[str, tuple[bool, tuple[str, ...], bytes | None]]:
    rows = store.conn.execute("SELECT id, mms_id, deleted FROM records").fetchall()
    sets = store.sets_of([r[0] for r in rows])
    expected = {}
    for rec_id, mms_id, deleted in rows:
        blob = None if deleted else store.published(mms_id, "marc21")
        payload = None if blob is None else canonical(etree.fromstring(blob))
        expected[f"oai:pressmark.example.org:{mms_id}"] = (
            bool(deleted),
            tuple(sorted(sets[rec_id])),
            payload,
        )
    return expected


WRITER = textwrap.dedent(
    """
    import json, random, sys, time
    from pymarc import Field, Record, Subfield
    from app.resources import publish_options
    from indexer.store.records import RecordStore

    path, options, steps = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
    store = RecordStore(path, publish=publish_options(options))
    rng = random.Random(7)
    live = lambda: [r[0] for r in store.conn.execute(
        "SELECT mms_id FROM records WHERE deleted = 0 ORDER BY id")]
    barcodes = [r[0] for r in store.conn.execute("SELECT barcode FROM items ORDER BY id")]
    for spec in ("odd", "even"):
        store.define_set(spec, spec.title())
    for step in range(steps):
        kind = ("add", "change", "delete", "sets", "loan")[step % 5]
        ids = live()
        if kind == "add":
            record = Record()
            record.add_field(Field(tag="008", data="260101s2026    xx            000 0 eng d"))
            record.add_field(Field(tag="245", indicators=["0", "0"],
                                   subfields=[Subfield("a", f"Written during a harvest {step}")]))
            store.put(record, match=())
        elif kind == "change":
            mms_id = rng.choice(ids)
            record = store.get(mms_id).marc
            for field in record.get_fields("001"):
                record.remove_field(field)
            record.add_ordered_field(Field(tag="001", data=mms_id))
            record.add_field(Field(tag="500", subfields=[Subfield("a", f"Changed at step {step}")]))
            store.put(record, match=("001",))
        elif kind == "delete":
            store.delete(rng.choice(ids))
        elif kind == "sets":
            picked = rng.sample(ids, 20)
            store.set_members("odd" if step % 2 else "even", picked)
        elif barcodes:
            store.inventory.set_item_status(rng.choice(barcodes), rng.choice(["loaned", "available"]))
        time.sleep(0.03)
    store.close()
    print("done")
    """
)


def test_incremental_harvest_under_change_ends_identical_to_the_store(app, live_server, store):
    app.config["OAI_PAGE_SIZE"] = 25
    copy = Copy(f"{live_server.url}/oai")
    assert copy.harvest() == len(all_identifiers(store))
    options = {
        k: app.config[k]
        for k in ("INSTITUTION_CODE", "PUBLISH_HOLDINGS_852", "PUBLISH_AVAILABILITY")
    }
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, app.config["DATABASE"], json.dumps(options), "60"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    rounds = 0
    while writer.poll() is None:
        copy.harvest()
        rounds += 1
        time.sleep(0.1)
    out, err = writer.communicate()
    assert writer.returncode == 0, err
    assert out.strip() == "done"
    time.sleep(1.1)  # past the second of the last change: from = responseDate covers it
    copy.harvest()
    assert rounds > 1
    expected = store_copy(store)
    assert copy.records.keys() == expected.keys()
    differing = [k for k in expected if copy.records[k] != expected[k]]
    assert differing == []
    assert any(spec == ("even",) or spec == ("odd",) for _, spec, _ in expected.values())
