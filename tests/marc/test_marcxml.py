"""The fast MARCXML serializer writes the same XML as lxml, and reads back the same record."""

from __future__ import annotations

from lxml import etree
from pymarc import Field, Indicators, Record, Subfield

from indexer.marc.marcxml import record_from_xml, record_to_element, record_to_xml
from indexer.marc.reader import read_file
from tests.conftest import sample_files


def _canonical(element) -> bytes:
    return etree.tostring(element, method="c14n")


def test_serializer_matches_lxml_on_every_sample_record():
    count = 0
    for path in sample_files():
        for entry in read_file(path):
            if entry.record is None:
                continue
            fast = etree.fromstring(record_to_xml(entry.record))
            assert _canonical(fast) == _canonical(record_to_element(entry.record))
            count += 1
    assert count > 200


def test_markup_characters_and_controls_are_escaped():
    record = Record()
    record.add_field(Field(tag="001", data="a<b>&c"))
    record.add_field(
        Field(
            tag="245",
            indicators=Indicators("1", "0"),
            subfields=[Subfield("a", 'Tom & "Jerry" <1> ]]> \x1b\x07end')],
        )
    )
    back = record_from_xml(record_to_xml(record))
    assert back["001"].data == "a<b>&c"
    assert back["245"]["a"] == 'Tom & "Jerry" <1> ]]> end'


def test_round_trip_keeps_leader_indicators_and_order():
    record = Record(leader="01234cam a2200289 a 4500")
    record.add_field(Field(tag="008", data="830429s1982    nyua     b    001 0 eng  "))
    record.add_field(
        Field(
            tag="650",
            indicators=Indicators(" ", "0"),
            subfields=[Subfield("a", "Cats"), Subfield("x", "Fiction.")],
        )
    )
    record.add_field(
        Field(tag="100", indicators=Indicators("1", " "), subfields=[Subfield("a", "Пушкин")])
    )
    back = record_from_xml(record_to_xml(record))
    assert str(back.leader) == str(record.leader)
    assert [f.tag for f in back.fields] == ["008", "650", "100"]
    assert back["650"].indicators == Indicators(" ", "0")
    assert back["100"]["a"] == "Пушкин"
