"""Loading files: counts, idempotent reloads, overlays, and the real corpus round trip."""

from __future__ import annotations

import pytest
from pymarc import MARCReader

from indexer.load.records import load_file
from indexer.marc.reader import read_file
from indexer.store.records import RecordStore
from tests.conftest import SAMPLES, corpus_file, sample_files


def test_loading_the_samples_counts_every_outcome(empty):
    totals = {}
    for path in sample_files():
        report = load_file(empty, path)
        for key, value in report.counts.items():
            totals[key] = totals.get(key, 0) + value
    assert totals["rejected"] == 6  # five broken binary records, one broken XML record
    assert totals["deleted"] == 2  # 12_deletions_of_06.xml
    assert totals["ignored"] == 6  # deletions of records this store never had
    stats = empty.stats()
    assert stats["deleted"] == 2
    assert stats["records"] == totals["new"] - 2


def test_reloading_a_file_changes_nothing(empty):
    for path in sample_files():
        load_file(empty, path)
    before = empty.stats()
    stamps = {r.identifier: r.datestamp for r in empty.list_records(limit=10_000)}
    for path in sample_files():
        report = load_file(empty, path)
        assert report.counts["new"] == 0, path.name
        # 06 brings back the two records that 12 deletes; everything else is unchanged
        assert report.counts["updated"] == (2 if path.name.startswith("06_") else 0), path.name
    after = {r.identifier: r.datestamp for r in empty.list_records(limit=10_000)}
    assert empty.stats()["records"] == before["records"]
    assert empty.stats()["deleted"] == before["deleted"]
    changed = {mms for mms in stamps if stamps[mms] != after[mms]}
    assert changed == {mms for mms in stamps if empty.get(mms).deleted}


def test_an_updated_record_overlays_the_stored_one(empty, tmp_path):
    source = SAMPLES / "04_marc8_lc.mrc"
    load_file(empty, source)
    record = next(read_file(source)).record
    record["245"]["a"] = "A new title"
    changed = tmp_path / "changed.mrc"
    changed.write_bytes(record.as_marc())
    report = load_file(empty, changed)
    assert report.counts["updated"] == 1
    assert empty.stats()["records"] == 20


@pytest.mark.corpus
def test_binary_corpus_records_come_back_identical(tmp_path):
    """Every record that pymarc reads from these files comes back identical (leader/09 = a)."""
    files = [
        "real/evergreen/jazz_1k.mrc",
        "real/evergreen/lul_fre_500.mrc",
        "real/folio-mod-data-import/5000.mrc",
        "real/evergreen/nepali.marc",
        "real/solrmarc/uva_001-200.mrc",
    ]
    store = RecordStore(tmp_path / "rt.db", create=True)
    for rel in files:
        path = corpus_file(rel)
        with open(path, "rb") as fh:
            expected = list(MARCReader(fh, to_unicode=True, force_utf8=False, permissive=True))
        assert all(r is not None for r in expected)
        first = store.last_change()
        report = load_file(store, path, match=())
        assert report.counts["new"] == len(expected)
        ids = [m for _, m, _ in store.changes_since(first, limit=10_000)]
        for mms_id, want in zip(ids, expected, strict=True):
            _assert_same(store.get(mms_id).marc, want)
    store.close()


@pytest.mark.corpus
def test_combined_corpus_round_trip(tmp_path):
    """All 20,045 clean records: load, fetch, compare with a fresh read of the file."""
    path = corpus_file("combined.xml.gz")
    store = RecordStore(tmp_path / "rt.db", create=True)
    report = load_file(store, path, match=())
    assert report.read == 20045
    # holdings records (MFHD) become inventory or are rejected when their bib is not there
    assert (
        report.counts["new"]
        + report.counts["ignored"]
        + report.rejected
        + report.counts["holdings"]
        == 20045
    )
    assert all(r.reason.startswith("holdings record") for r in report.rejections)
    ids = [m for _, m, kind in store.changes_since(0, limit=60_000) if kind == "new"]
    expected = (
        e.record
        for e in read_file(path)
        if e.record.leader[5] != "d" and e.record.leader[6] not in "uvxy"
    )
    compared = 0
    for mms_id, want in zip(ids, expected, strict=True):
        _assert_same(store.get(mms_id).marc, want)
        compared += 1
    assert compared == report.counts["new"]
    store.close()


def _fields(record) -> list:
    # an empty indicator (ind2="" in some MARCXML) is stored as the blank it stands for
    return [
        (f.tag, f.data)
        if f.is_control_field()
        else (f.tag, tuple(i or " " for i in f.indicators), list(f.subfields))
        for f in record.fields
    ]


def _assert_same(got, want) -> None:
    want_leader = str(want.leader)
    assert str(got.leader) == want_leader[:9] + "a" + want_leader[10:]
    assert _fields(got) == _fields(want)


@pytest.mark.corpus
def test_holdings_records_in_a_bib_file_become_inventory(empty):
    report = load_file(empty, corpus_file("real/marc4j/sample1a.xml"))
    assert report.counts["new"] == 4
    assert report.counts["holdings"] == 4
    assert [r.reason for r in report.rejections] == [
        "holdings record: 004 matches no bibliographic record"
    ]
    mms = empty.find(next(e.record for e in read_file(corpus_file("real/marc4j/sample1a.xml"))))
    [holding] = empty.inventory.of(mms).holdings
    assert (holding.library_code, holding.call_number) == ("gen", "H 75 .26")
