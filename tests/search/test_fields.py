"""The MARC to search-field table and what it extracts from a record."""

from __future__ import annotations

from lxml import etree
from pymarc import Field, Leader, Record, Subfield

from indexer.marc.inventory import EMPTY, Holding, Inventory, Item, Portfolio
from indexer.marc.marcxml import record_to_xml
from indexer.search.fields import (
    FIELDS,
    INDEX_FIELD,
    INDEXES,
    extract,
    fold,
    keyword,
    standard_number,
    whole,
    words,
)
from indexer.search.index import build_schema


def _element(record: Record) -> etree._Element:
    return etree.fromstring(record_to_xml(record))


def _record() -> Record:
    record = Record(leader=Leader("00000nam a2200000 a 4500"))
    record.add_field(Field(tag="008", data="850515s1919    pl            000 0 heb d"))
    record.add_field(
        Field(tag="020", indicators=[" ", " "], subfields=[Subfield("a", "0-19-852663-6 (pbk.)")])
    )
    record.add_field(
        Field(
            tag="100",
            indicators=["1", " "],
            subfields=[Subfield("a", "Müller, Jürgen,"), Subfield("d", "1950-")],
        )
    )
    record.add_field(
        Field(
            tag="245",
            indicators=["1", "4"],
            subfields=[Subfield("a", "The Café of dreams /"), Subfield("c", "by J. Müller.")],
        )
    )
    record.add_field(
        Field(
            tag="260",
            indicators=[" ", " "],
            subfields=[Subfield("b", "Dreams Press,"), Subfield("c", "1920.")],
        )
    )
    record.add_field(
        Field(
            tag="650",
            indicators=[" ", "0"],
            subfields=[Subfield("a", "Coffee"), Subfield("x", "History.")],
        )
    )
    record.add_field(
        Field(tag="945", indicators=[" ", " "], subfields=[Subfield("a", "LOCALNOTE")])
    )
    return record


def test_normalizers():
    assert fold("Café Ünter") == "cafe unter"
    assert words("The Café, of dreams!") == ["the", "cafe", "of", "dreams"]
    assert whole("The Café of dreams /") == "the cafe of dreams"
    assert keyword(" MAIN ") == "main"
    assert standard_number("0-19-852663-6 (pbk.)") == "0198526636"
    assert standard_number("no number") is None


def test_extract_maps_marc_to_fields():
    extracted = extract(_element(_record()), "991230101", EMPTY)
    values = extracted.values
    assert values["title"] == ["The Café of dreams /"]
    assert values["creator"] == ["Müller, Jürgen, 1950-"]
    assert values["subjects"] == ["Coffee History."]
    assert values["publisher"] == ["Dreams Press,"]
    assert values["isbn"] == ["0198526636"]
    assert "0198526636" in values["identifier"] and "991230101" in values["identifier"]
    assert values["mms_id"] == ["991230101"]
    assert values["language"] == ["heb"]
    assert extracted.year == 1919  # 008/07-10 before 260 $c
    assert extracted.sort_title == "cafe of dreams"  # 245 ind2 skips "The "
    assert extracted.local == {"945": ["LOCALNOTE"]}
    # what no word index takes (245 $c, 100 $d...) is still searchable as a keyword
    other = " ".join(values["other"])
    assert "by J. Müller." in other and "LOCALNOTE" in other


def test_extract_summarizes_availability():
    inventory = Inventory(
        holdings=(
            Holding(
                "221",
                "MAIN",
                location_code="STACKS",
                items=(Item("231", "b1", "loaned"), Item("232", "b2", "available")),
            ),
            Holding("222", "LAW", items=(Item("233", "b3", "missing"),)),
            Holding("223", "MUSIC"),
        ),
        portfolios=(Portfolio("531", "http://example.org", library="ONLINE", available=True),),
    )
    values = extract(_element(_record()), "991230101", inventory).values
    assert values["library"] == ["main", "law", "music", "online"]
    assert values["location"] == ["stacks"]
    assert values["availability"] == ["available", "unavailable", "check_holdings", "available"]
    assert values["available_library"] == ["main", "online"]


def test_schema_and_index_names_come_from_the_table():
    schema = build_schema()
    for field in FIELDS:
        if field.name not in ("local_field", "other"):
            assert INDEX_FIELD.get(field.name, field.name) in schema.names()
    assert set(INDEXES.values()) <= {f.name for f in FIELDS} | {"all_for_ui"}
