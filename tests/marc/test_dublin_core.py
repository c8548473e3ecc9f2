"""The MARC to Dublin Core crosswalk (LoC), checked element by element and against oai_dc.xsd."""

from __future__ import annotations

from lxml import etree
from pymarc import Field, Indicators, Leader, Record, Subfield

from indexer.marc.dublin_core import dublin_core, record_to_dc
from tests.oai.protocol import DC_SCHEMA


def field(tag: str, *pairs: str, ind: str = "  ") -> Field:
    subs = [Subfield(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2)]
    return Field(tag=tag, indicators=Indicators(ind[0], ind[1]), subfields=subs)


def book() -> Record:
    record = Record()
    record.leader = Leader("00000cam a2200000 a 4500")
    record.add_field(Field(tag="008", data="950101s1995    nyu           000 0 eng d"))
    record.add_field(field("020", "a", "0123456789 (pbk.)"))
    record.add_field(field("041", "a", "eng", "a", "fre"))
    record.add_field(field("100", "a", "Doe, Jane,", "d", "1950-", ind="1 "))
    record.add_field(field("245", "a", "Cats :", "b", "a study /", "c", "Jane Doe.", ind="10"))
    record.add_field(field("264", "a", "New York :", "b", "Cat Press,", "c", "1996.", ind=" 1"))
    record.add_field(field("300", "a", "200 p. ;", "c", "24 cm"))
    record.add_field(field("500", "a", "Includes index."))
    record.add_field(field("520", "a", "All about <cats> & kittens."))
    record.add_field(field("650", "a", "Cats", "x", "Behavior.", ind=" 0"))
    record.add_field(field("651", "a", "Egypt."))
    record.add_field(field("700", "a", "Roe, Richard.", ind="1 "))
    record.add_field(field("856", "u", "https://example.org/cats", ind="40"))
    record.add_field(field("540", "a", "Public domain."))
    return record


def test_crosswalk_maps_each_element():
    dc = dublin_core(book())
    assert dc["title"] == ["Cats a study"]
    assert dc["creator"] == ["Doe, Jane 1950-"]
    assert dc["contributor"] == ["Roe, Richard"]
    assert dc["publisher"] == ["New York Cat Press"]
    assert dc["date"] == ["1996"]
    assert dc["type"] == ["text"]
    assert dc["language"] == ["eng", "fre"]
    assert dc["subject"] == ["Cats--Behavior"]
    assert dc["coverage"] == ["Egypt"]
    assert dc["format"] == ["200 p. 24 cm"]
    assert dc["identifier"] == ["URN:ISBN:0123456789", "https://example.org/cats"]
    assert dc["description"] == ["Includes index", "All about <cats> & kittens"]
    assert dc["rights"] == ["Public domain"]


def test_date_falls_back_to_008_and_collections_are_typed():
    record = Record()
    record.leader = Leader("00000npc a2200000 a 4500")
    record.add_field(Field(tag="008", data="950101s1987    nyu           000 0 ger d"))
    record.add_field(field("245", "a", "Papers."))
    dc = dublin_core(record)
    assert dc["date"] == ["1987"]
    assert dc["type"] == ["collection", "mixed material"]
    assert dc["language"] == ["ger"]


def test_oai_dc_is_valid_and_escaped():
    root = etree.fromstring(record_to_dc(book()))
    DC_SCHEMA.assertValid(root)
    ns = {"dc": "http://purl.org/dc/elements/1.1/"}
    assert root.xpath("dc:description/text()", namespaces=ns)[1] == "All about <cats> & kittens"
    empty = etree.fromstring(record_to_dc(Record()))
    DC_SCHEMA.assertValid(empty)
