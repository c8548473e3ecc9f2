"""AVA/AVE/AVD availability fields and 852 holdings fields of a record's inventory."""

from __future__ import annotations

from indexer.marc.enrich import availability_fields, availability_status, holdings_852
from indexer.marc.inventory import EMPTY, Holding, Inventory, Item, Portfolio, Representation

INVENTORY = Inventory(
    holdings=(
        Holding(
            "2210101",
            "MAIN",
            "Main Library",
            "REF",
            "Reference",
            "QA1 .A1",
            items=(Item("2310101", "b1", "loaned"), Item("2320101", "b2", "missing")),
        ),
        Holding("2220101", "LAW", "Law Library"),
    ),
    portfolios=(
        Portfolio(
            "5310101",
            "https://e.example/1",
            "6100",
            "Open access",
            "MAIN",
            "Available from 1990",
            "Publisher website",
            available=False,
        ),
    ),
    representations=(
        Representation("1210101", "Digitized copy", "https://repo.example/d/1", "MAIN"),
    ),
)


def subfields(field) -> list[tuple[str, str]]:
    return [(sf.code, sf.value) for sf in field.subfields]


def test_ava_per_holding_with_counts_and_status():
    ava = [f for f in availability_fields("991", INVENTORY, "01X_INST") if f.tag == "AVA"]
    assert subfields(ava[0]) == [
        ("a", "01X_INST"),
        ("b", "MAIN"),
        ("c", "Reference"),
        ("d", "QA1 .A1"),
        ("e", "unavailable"),
        ("f", "2"),
        ("g", "2"),
        ("j", "REF"),
        ("q", "Main Library"),
        ("8", "2210101"),
        ("0", "991"),
    ]
    # a holding without items: check_holdings, and no empty subfields
    assert subfields(ava[1]) == [
        ("a", "01X_INST"),
        ("b", "LAW"),
        ("e", "check_holdings"),
        ("q", "Law Library"),
        ("8", "2220101"),
        ("0", "991"),
    ]


def test_availability_status_is_available_when_one_item_is_on_the_shelf():
    holding = Holding("22", "MAIN", items=(Item("1", "a", "loaned"), Item("2", "b", "available")))
    assert availability_status(holding) == "available"


def test_ave_and_avd_fields():
    fields = availability_fields("991", INVENTORY, "01X_INST")
    assert [f.tag for f in fields] == ["AVA", "AVA", "AVE", "AVD"]
    assert subfields(fields[2]) == [
        ("8", "5310101"),
        ("c", "6100"),
        ("m", "Open access"),
        ("l", "MAIN"),
        ("s", "Available from 1990"),
        ("t", "Publisher website"),
        ("e", "Not Available"),
        ("u", "https://e.example/1"),
    ]
    assert subfields(fields[3]) == [
        ("b", "1210101"),
        ("d", "Digitized copy"),
        ("u", "https://repo.example/d/1"),
        ("l", "MAIN"),
        ("0", "991"),
    ]


def test_852_per_holding():
    fields = holdings_852(INVENTORY)
    assert [subfields(f) for f in fields] == [
        [("b", "MAIN"), ("c", "REF"), ("h", "QA1 .A1")],
        [("b", "LAW")],
    ]
    assert holdings_852(EMPTY) == []
    assert availability_fields("991", EMPTY, "X") == []
