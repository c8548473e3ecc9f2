"""The streaming readers: encodings, broken records, broken XML, hostile XML."""

from __future__ import annotations

import gzip
import io
import unicodedata
from pathlib import Path

import pytest

from indexer.marc.reader import count_records, read_file, read_iso2709
from tests.conftest import CORPUS, SAMPLES, corpus_file


def _read(path: Path):
    entries = list(read_file(path))
    return [e for e in entries if e.record is not None], [e for e in entries if e.record is None]


def test_marc8_records_are_converted_to_unicode():
    records, rejected = _read(SAMPLES / "01_marc8_hebrew_880.mrc")
    assert len(records) == 20 and not rejected
    f880 = records[0].record.get_fields("880")[0]
    assert any("\u05d0" <= ch <= "\u05ea" for ch in f880.value())  # Hebrew letters


def test_utf8_data_labelled_marc8_is_read_as_utf8():
    records, rejected = _read(SAMPLES / "02_utf8_labelled_marc8.mrc")
    assert len(records) == 52 and not rejected
    titles = " ".join(e.record["245"].value() for e in records if e.record.get("245"))
    assert "Люди с чистой совестью" in titles
    assert all(
        "read as UTF-8" in " ".join(e.warnings) for e in records if e.record.leader[9:10] != "a"
    )


def test_broken_binary_records_are_counted_with_position_and_reason():
    records, rejected = _read(SAMPLES / "10_broken_records.mrc")
    # 2 and 3 have a wrong base address but intact fields: read by their terminators
    assert [e.position for e in records] == [1, 2, 3, 8]
    assert all("terminators" in " ".join(e.warnings) for e in records[1:3])
    assert [e.position for e in rejected] == [4, 5, 6, 7, 9]
    assert [e.offset for e in rejected] == [381, 509, 637, 764, 917]
    assert "RecordDirectoryInvalid" in rejected[0].error
    assert "TruncatedRecord" in rejected[-1].error


def test_broken_xml_loses_only_the_broken_record():
    records, rejected = _read(SAMPLES / "11_broken_xml_second_record.xml")
    assert [e.position for e in records] == [1, 3]
    assert len(rejected) == 1 and rejected[0].position == 2
    assert "not well-formed" in rejected[0].error


def test_marcxml_without_namespace_is_read():
    records, _ = _read(SAMPLES / "09_marcxml_no_namespace_deleted.xml")
    assert len(records) == 11
    assert sum(e.record.leader[5] == "d" for e in records) == 6


def test_gzipped_files_are_read(tmp_path):
    source = SAMPLES / "06_marcxml_852_856_880.xml"
    packed = tmp_path / "records.xml.gz"
    packed.write_bytes(gzip.compress(source.read_bytes()))
    assert len(_read(packed)[0]) == len(_read(source)[0]) == 99
    assert count_records(packed) == 99


def test_entities_are_never_expanded_nor_fetched(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE collection [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
        f'<!ENTITY x SYSTEM "file://{secret}">]>\n'
        '<collection xmlns="http://www.loc.gov/MARC21/slim">'
        '<record><leader>00000nam a2200000 a 4500</leader><controlfield tag="001">1</controlfield>'
        '<datafield tag="245" ind1="0" ind2="0"><subfield code="a">&d;</subfield></datafield></record>'
        '<record><leader>00000nam a2200000 a 4500</leader><controlfield tag="001">2</controlfield>'
        '<datafield tag="245" ind1="0" ind2="0"><subfield code="a">&x;</subfield></datafield></record>'
        '<record><leader>00000nam a2200000 a 4500</leader><controlfield tag="001">3</controlfield>'
        "</record></collection>"
    )
    entries = list(read_file(bomb))
    text = " ".join(e.record["245"]["a"] or "" for e in entries if e.record and e.record.get("245"))
    assert "TOP-SECRET" not in text
    assert "a" * 1000 not in text
    assert any(e.record and e.record["001"].data == "3" for e in entries)


def test_truncated_binary_file_rejects_only_the_last_record():
    data = (SAMPLES / "04_marc8_lc.mrc").read_bytes()
    entries = list(read_iso2709(io.BytesIO(data[: len(data) - 300])))
    assert sum(e.record is not None for e in entries) == 19
    assert entries[-1].record is None


def test_garbage_file_gives_rejections_not_exceptions(tmp_path):
    junk = tmp_path / "junk.mrc"
    junk.write_bytes(bytes(range(256)) * 50 + b"\x1d" + b"\xff" * 100)
    entries = list(read_file(junk))
    assert entries and all(e.record is None and e.error for e in entries)


@pytest.mark.corpus
def test_every_corpus_file_reads_without_an_exception():
    if not CORPUS.exists():
        pytest.skip("shared corpus is not here")
    files = [p for p in (CORPUS / "real").rglob("*") if p.is_file()]
    good = bad = 0
    for path in files:
        for entry in read_file(path):
            good += entry.record is not None
            bad += entry.record is None
    assert good > 21000
    assert bad > 100  # the corpus is broken on purpose in many places


@pytest.mark.corpus
def test_length_trap_file_is_read_by_terminators():
    records, _ = _read(corpus_file("real/catmandu-marc/bu_bibs.mrc"))
    assert len(records) >= 95  # pymarc's length-based reader stops after 2 of 100
    title = records[1].record["245"]["a"]
    assert unicodedata.is_normalized("NFC", title) or title
    assert title.startswith("Imagining Black womanhood")
