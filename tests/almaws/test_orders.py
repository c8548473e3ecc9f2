"""Real-time ordering API: match by MMS ID, one match, several, none (brief record), and overlay."""

from __future__ import annotations

import pytest
from lxml import etree
from pymarc import Field, Indicators, Leader, Record, Subfield

from indexer.marc.marcxml import MARC_NS, SAFE_PARSER, record_to_element
from indexer.marc.reader import read_file
from indexer.orders import Orders, brief_record
from tests.almaws.conftest import KEY

AUTH = {"Authorization": f"apikey {KEY}"}
ISBN_13 = "9780306406157"
ISBN_10 = "0-306-40615-2"


def book(title: str, isbn: str, *, level: str = " ", control: str | None = None) -> Record:
    """A book record with an ISBN; ``level`` is the encoding level (leader/17)."""
    record = Record()
    record.leader = Leader(f"00000nam a2200000{level}i 4500")
    if control:
        record.add_field(Field(tag="001", data=control))
    record.add_field(
        Field(tag="020", indicators=Indicators(" ", " "), subfields=[Subfield("a", isbn)])
    )
    record.add_field(
        Field(tag="245", indicators=Indicators("0", "0"), subfields=[Subfield("a", title)])
    )
    return record


def put(store, record: Record) -> str:
    return store.put(record, match=()).identifier


def order(title: str = "Ordered book", isbn: str | None = ISBN_10, **extra) -> dict:
    metadata = {
        "title": title,
        "author": "Writer, Ann",
        "publisher": "Pub",
        "publication_year": "2024",
    }
    if isbn:
        metadata["isbn"] = isbn
    metadata.update(extra.pop("metadata", {}))
    return {
        "owner": {"value": "MAIN"},
        "type": {"value": extra.pop("type", "PRINTED_BOOK_OT")},
        "vendor": {"value": "OASIS"},
        "price": {"sum": "25.00", "currency": {"value": "USD"}},
        "resource_metadata": metadata,
        **extra,
    }


def post(api, body: dict):
    return api.post("/almaws/v1/acq/po-lines?format=json", json=body, headers=AUTH)


def test_order_names_its_record_by_mms_id(api, store) -> None:
    target = put(store, book("Target", "9781234567897"))
    response = post(api, order(isbn=ISBN_10, metadata={"mms_id": {"value": target}}))
    assert response.status_code == 200
    line = response.get_json()
    assert line["resource_metadata"]["mms_id"]["value"] == target
    assert line["matched_by"] == "mms_id"
    assert line["number"].startswith("POL-")


def test_order_with_an_unknown_mms_id_is_refused(api) -> None:
    response = post(api, order(metadata={"mms_id": "99999990101"}))
    assert response.status_code == 400
    assert response.get_json()["errorList"]["error"][0]["errorCode"] == "60143"


def test_one_isbn_match(api, store) -> None:
    target = put(store, book("Full record", ISBN_13))
    line = post(api, order(isbn=ISBN_10)).get_json()
    assert (line["resource_metadata"]["mms_id"]["value"], line["matched_by"]) == (target, "isbn")


def test_several_matches_prefer_the_full_record(api, store) -> None:
    brief = put(store, book("Brief", ISBN_13, level="5"))
    full = put(store, book("Full", ISBN_13))
    line = post(api, order(isbn=ISBN_13)).get_json()
    assert store.record_id(brief) < store.record_id(full)
    assert line["resource_metadata"]["mms_id"]["value"] == full


def test_several_matches_prefer_the_order_inventory_type(api, store) -> None:
    plain = put(store, book("No inventory", ISBN_13))
    printed = put(store, book("Print", ISBN_13))
    online = put(store, book("Online", ISBN_13))
    store.inventory.add_holding(printed, "MAIN")
    store.inventory.add_portfolio(online, "https://example.org/ebook")
    line = post(api, order(isbn=ISBN_13)).get_json()
    assert line["resource_metadata"]["mms_id"]["value"] == printed
    line = post(api, order(isbn=ISBN_13, type="E_BOOK_OT")).get_json()
    assert line["resource_metadata"]["mms_id"]["value"] == online
    assert plain not in (printed, online)


def test_several_matches_without_preference_take_the_lowest_mms_id(store) -> None:
    first = put(store, book("One", ISBN_13))
    put(store, book("Two", ISBN_13))
    line = Orders(store).create({"title": "x", "isbn": ISBN_13})
    assert line.mms_id == first


def test_no_match_creates_a_published_brief_record(api, store) -> None:
    before = store.stats()["records"]
    line = post(api, order(isbn=ISBN_10)).get_json()
    assert line["matched_by"] == "created"
    mms_id = line["resource_metadata"]["mms_id"]["value"]
    assert store.stats()["records"] == before + 1
    record = store.get(mms_id).marc
    assert record.leader[17] == "5"
    assert record["020"]["a"] == ISBN_10
    assert record["245"]["a"] == "Ordered book"
    assert record["264"]["c"] == "2024"
    assert len(record["008"].data) == 40
    assert store.published(mms_id, "marc21") is not None
    bib = api.get(f"/almaws/v1/bibs/{mms_id}?format=json").get_json()
    assert bib["title"] == "Ordered book"
    # the same order again now matches the brief record instead of making another
    again = post(api, order(isbn=ISBN_13)).get_json()
    assert again["resource_metadata"]["mms_id"]["value"] == mms_id
    assert store.stats()["records"] == before + 1


def test_vendor_full_record_overlays_the_brief_record(api, runner, store, tmp_path) -> None:
    line = post(api, order(isbn=ISBN_10)).get_json()
    mms_id = line["resource_metadata"]["mms_id"]["value"]
    before = store.stats()["records"]
    full = book("The full title : from the vendor", ISBN_13, control="VENDOR-1")
    full.add_field(
        Field(tag="100", indicators=Indicators("1", " "), subfields=[Subfield("a", "Writer, Ann.")])
    )
    path = tmp_path / "vendor.xml"
    collection = etree.Element(f"{{{MARC_NS}}}collection", nsmap={None: MARC_NS})
    collection.append(record_to_element(full))
    path.write_bytes(etree.tostring(collection, xml_declaration=True, encoding="UTF-8"))
    assert [e.record["245"]["a"] for e in read_file(path)] == ["The full title : from the vendor"]
    result = runner.invoke(args=["load", "--match", "001,035,isbn", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 updated" in result.output
    assert store.stats()["records"] == before
    overlaid = store.get(mms_id).marc
    assert overlaid["245"]["a"] == "The full title : from the vendor"
    assert overlaid.leader[17] != "5"
    assert (
        api.get(f"/almaws/v1/acq/po-lines/{line['number']}?format=json", headers=AUTH).get_json()[
            "resource_metadata"
        ]["mms_id"]["value"]
        == mms_id
    )


def test_order_in_xml(api, store) -> None:
    target = put(store, book("Serial", "9781234567897"))
    store.put(brief_record({"title": "A journal", "issn": "0317-8471"}), match=())
    body = (
        b"<po_line><owner>MAIN</owner><type>PRINTED_JOURNAL_CO</type><vendor>OASIS</vendor>"
        b"<resource_metadata><title>A journal</title><issn>0317-8471</issn></resource_metadata>"
        b"<price><sum>10</sum><currency>EUR</currency></price></po_line>"
    )
    response = api.post(
        "/almaws/v1/acq/po-lines", data=body, content_type="application/xml", headers=AUTH
    )
    assert response.status_code == 200
    root = etree.fromstring(response.data, SAFE_PARSER)
    assert root.tag == "po_line"
    assert root.findtext("matched_by") == "issn"
    assert root.findtext("resource_metadata/mms_id") != target
    assert root.findtext("price/currency") == "EUR"
    number = root.findtext("number")
    again = api.get(f"/almaws/v1/acq/po-lines/{number}", headers=AUTH)
    again = etree.fromstring(again.data, SAFE_PARSER)
    assert again.findtext("resource_metadata/issn") == "0317-8471"


def test_creating_a_po_line_needs_an_api_key(api) -> None:
    response = api.post("/almaws/v1/acq/po-lines", json=order())
    assert response.status_code == 401
    wrong = api.post("/almaws/v1/acq/po-lines?apikey=nope", json=order())
    assert wrong.status_code == 401
    listed = api.get("/almaws/v1/acq/po-lines?format=json", headers=AUTH).get_json()
    assert listed["total_record_count"] == 0


def test_order_lines_are_read_with_an_api_key_only(api, app) -> None:
    """Order lines hold vendors and prices: staff data, whatever ALMAWS_READ_REQUIRES_KEY says."""
    number = post(api, order()).get_json()["number"]
    assert app.config["ALMAWS_READ_REQUIRES_KEY"] is False
    for path in ("/almaws/v1/acq/po-lines", f"/almaws/v1/acq/po-lines/{number}"):
        assert api.get(path).status_code == 401
        assert api.get(path + "?apikey=nope").status_code == 401
        assert api.get(path, headers=AUTH).status_code == 200


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"", "application/json"),
        (b"{broken", "application/json"),
        (b"[]", "application/json"),
        (b'{"type": "PRINTED_BOOK_OT"}', "application/json"),
        (b'{"resource_metadata": {"author": "No title"}}', "application/json"),
        (b"<po_line><unclosed></po_line>", "application/xml"),
        (b"<order/>", "application/xml"),
        (
            b"<!DOCTYPE p [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><po_line>&e;</po_line>",
            "text/xml",
        ),
    ],
)
def test_bad_po_line_bodies(api, data: bytes, content_type: str) -> None:
    response = api.post(
        "/almaws/v1/acq/po-lines?format=json", data=data, content_type=content_type, headers=AUTH
    )
    assert response.status_code == 400
    assert response.get_json()["errorsExist"] is True


def test_list_and_get_po_lines(api) -> None:
    numbers = [
        post(api, order(title=f"Book {n}", isbn=None)).get_json()["number"] for n in range(3)
    ]
    listed = api.get("/almaws/v1/acq/po-lines?format=json&limit=2", headers=AUTH).get_json()
    assert listed["total_record_count"] == 3
    assert [x["number"] for x in listed["po_line"]] == numbers[::-1][:2]
    root = etree.fromstring(
        api.get("/almaws/v1/acq/po-lines?offset=2", headers=AUTH).data, SAFE_PARSER
    )
    assert root.get("total_record_count") == "3"
    assert root.xpath("po_line/number/text()") == numbers[:1]
    assert (
        api.get("/almaws/v1/acq/po-lines?status=CLOSED&format=json", headers=AUTH).get_json()[
            "total_record_count"
        ]
        == 0
    )
    for bad in ("limit=500", "offset=-1", "status=LOST"):
        assert api.get(f"/almaws/v1/acq/po-lines?{bad}", headers=AUTH).status_code == 400
    missing = api.get("/almaws/v1/acq/po-lines/POL-999?format=json", headers=AUTH)
    assert missing.status_code == 400
    assert missing.get_json()["errorList"]["error"][0]["errorCode"] == "401875"
