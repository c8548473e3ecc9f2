"""Published XML: marc21 repaired to MARC21slim, Alma's 001/035, 852 and AVA enrichment, oai_dc."""

from __future__ import annotations

from lxml import etree
from pymarc import Field, Indicators, Leader, Record, Subfield

from indexer.marc.inventory import EMPTY, Holding, Inventory, Item
from indexer.marc.marcxml import record_to_xml
from indexer.marc.published import PublishOptions, render, repair_leader
from tests.oai.protocol import DC_SCHEMA, MARC_SCHEMA, identifier, oai, xpath

ALL = PublishOptions(institution="01TEST_INST", holdings_852=True, availability=True)


def broken_record() -> Record:
    record = Record()
    record.leader = Leader("0042?nam##22?????#a#4500")
    record.add_field(Field(tag="001", data="ocm12345"))
    record.add_field(Field(tag="003", data="OCoLC"))
    record.add_field(
        Field(
            tag="245",
            indicators=Indicators("X", "#"),
            subfields=[
                Subfield("a", "A title /"),
                Subfield("", "no code"),
                Subfield("é", "bad code"),
                Subfield("c", "An author."),
            ],
        )
    )
    record.add_field(Field(tag="00", data="short tag"))
    record.add_field(Field(tag="1A!", subfields=[Subfield("a", "bad tag")]))
    record.add_field(Field(tag="500", subfields=[Subfield("", "nothing valid")]))
    record.add_field(Field(tag="008", data="260101s2026    xx            000 0 eng d"))
    record.add_field(Field(tag="852", subfields=[Subfield("b", "OLD"), Subfield("h", "X 1")]))
    record.add_field(
        Field(
            tag="650",
            indicators=Indicators(" ", "0"),
            subfields=[Subfield("a", "Cats"), Subfield("x", "Behavior.")],
        )
    )
    return record


def marc(blob: bytes) -> etree._Element:
    root = etree.fromstring(blob)
    MARC_SCHEMA.assertValid(root)
    return root


def test_leader_repair_changes_only_what_the_schema_rejects():
    assert repair_leader("00714cam a2200205 a 4500") == "00714cam a2200205 a 4500"
    assert repair_leader("0042?nam##22?????#a#4500") == "00420nam  2200000 a 4500"
    assert repair_leader("short") == "00000 a" + " " * 17
    assert repair_leader("00000n   a22000001a 45X0")[20:] == "4500"


def test_marc21_of_a_broken_record_is_valid_and_the_source_untouched():
    record = broken_record()
    before = record_to_xml(record)
    root = marc(render(record, "9912340101", EMPTY, PublishOptions())["marc21"])
    assert record_to_xml(record) == before
    tags = xpath(root, "marc:controlfield/@tag | marc:datafield/@tag")
    assert tags == ["001", "008", "035", "245", "852", "650"]  # the record's order, 035 in place
    assert xpath(root, "string(marc:controlfield[@tag='001'])") == "9912340101"
    assert xpath(root, "string(marc:datafield[@tag='035']/marc:subfield[@code='a'])") == (
        "(OCoLC)ocm12345"
    )
    field = xpath(root, "marc:datafield[@tag='245']")[0]
    assert (field.get("ind1"), field.get("ind2")) == (" ", " ")
    assert xpath(field, "marc:subfield/@code") == ["a", "c"]


def test_marc21_holdings_852_replace_the_records_own_and_availability_follows():
    record = broken_record()
    inventory = Inventory(
        holdings=(
            Holding(
                "221010101",
                "MAIN",
                "Main Library",
                "STACKS",
                "Stacks",
                "QA76 .B3",
                items=(Item("231", "b1", "loaned"), Item("232", "b2", "available")),
            ),
        )
    )
    root = marc(render(record, "9912340101", inventory, ALL)["marc21"])
    f852 = xpath(root, "marc:datafield[@tag='852']")
    assert len(f852) == 1
    assert xpath(f852[0], "marc:subfield/text()") == ["MAIN", "STACKS", "QA76 .B3"]
    ava = xpath(root, "marc:datafield[@tag='AVA']")[0]
    codes = {sf.get("code"): sf.text for sf in xpath(ava, "marc:subfield")}
    assert codes["a"] == "01TEST_INST"
    assert (codes["e"], codes["f"], codes["g"]) == ("available", "2", "1")
    assert codes["8"] == "221010101"
    assert xpath(root, "marc:datafield[last()]/@tag") == ["AVA"]


def test_record_without_001_gets_no_035():
    record = Record()
    record.add_field(Field(tag="245", subfields=[Subfield("a", "Untitled")]))
    root = marc(render(record, "995", EMPTY, PublishOptions())["marc21"])
    assert xpath(root, "count(marc:datafield[@tag='035'])") == 0
    assert xpath(root, "marc:controlfield/text()") == ["995"]


def test_prefixes_option_chooses_the_blobs():
    record = broken_record()
    assert set(render(record, "1", EMPTY, PublishOptions())) == {"marc21", "oai_dc"}
    assert set(render(record, "1", EMPTY, PublishOptions(prefixes=("marc21",)))) == {"marc21"}
    dc = etree.fromstring(render(record, "1", EMPTY, PublishOptions())["oai_dc"])
    DC_SCHEMA.assertValid(dc)
    assert xpath(dc, "dc:title/text()") == ["A title"]


def test_every_sample_record_publishes_valid_marc21_and_oai_dc(store):
    rows = store.conn.execute("SELECT prefix, xml FROM published").fetchall()
    assert {p for p, _ in rows} == {"marc21", "oai_dc"}
    for prefix, blob in rows:
        schema = MARC_SCHEMA if prefix == "marc21" else DC_SCHEMA
        schema.assertValid(etree.fromstring(blob))


def test_loan_and_return_change_ava_and_bump_the_datestamp(client, store):
    barcode, mms_id = store.conn.execute(
        "SELECT i.barcode, r.mms_id FROM items i JOIN holdings h ON h.id = i.holding_id"
        " JOIN records r ON r.id = h.record_id WHERE i.status = 'available' LIMIT 1"
    ).fetchone()

    def ava_and_stamp() -> tuple[list[str], str]:
        root = oai(client, verb="GetRecord", identifier=identifier(mms_id), metadataPrefix="marc21")
        unavailable = xpath(root, "//marc:datafield[@tag='AVA']/marc:subfield[@code='g']/text()")
        return unavailable, xpath(root, "string(//oai:header/oai:datestamp)")

    before, stamp0 = ava_and_stamp()
    store.inventory.set_item_status(barcode, "loaned")
    loaned, stamp1 = ava_and_stamp()
    assert [int(v) for v in loaned] != [int(v) for v in before]
    assert sum(map(int, loaned)) == sum(map(int, before)) + 1
    assert stamp1 > stamp0
    root = oai(client, verb="ListIdentifiers", metadataPrefix="marc21", **{"from": stamp1})
    assert identifier(mms_id) in xpath(root, "//oai:identifier/text()")
    store.inventory.set_item_status(barcode, "available")
    returned, stamp2 = ava_and_stamp()
    assert returned == before
    assert stamp2 > stamp1
