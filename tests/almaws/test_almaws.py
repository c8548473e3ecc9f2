"""Alma-style availability API and item endpoints, against the sample store."""

from __future__ import annotations

import json

import pytest
from lxml import etree

from indexer.marc.marcxml import MARC_NS, SAFE_PARSER
from tests.almaws.conftest import KEY
from tests.conftest import TESTS

ALMA_NS = {"ws": "http://com/exlibris/urm/general/xmlbeans"}
MARC_SCHEMA = etree.XMLSchema(etree.parse(str(TESTS / "schemas" / "MARC21slim.xsd")))


def item_place(store, barcode: str) -> tuple[str, str, str]:
    """Returns (MMS ID, holding id, item id) of the item with this barcode."""
    mms_id, holding = store.conn.execute(
        "SELECT r.mms_id, h.id FROM items i JOIN holdings h ON h.id = i.holding_id"
        " JOIN records r ON r.id = h.record_id WHERE i.barcode = ?",
        (barcode,),
    ).fetchone()
    return mms_id, store.make_id("22", holding), store.inventory.item(barcode)[0]


def xml(response) -> etree._Element:
    assert response.mimetype == "application/xml"
    return etree.fromstring(response.data, SAFE_PARSER)


def valid_marc(record: etree._Element) -> etree._Element:
    """Validates Alma's namespace-less ``record`` against MARC21slim, moved into the namespace."""
    copy = etree.fromstring(etree.tostring(record))
    for el in copy.iter():
        el.tag = f"{{{MARC_NS}}}{el.tag}"
    MARC_SCHEMA.assertValid(copy)
    return copy


def ava(root: etree._Element, holding_id: str) -> dict[str, str]:
    field = root.xpath(f"record/datafield[@tag='AVA'][subfield[@code='8']='{holding_id}']")
    assert len(field) == 1
    return {sf.get("code"): sf.text for sf in field[0]}


def test_retrieve_bib_with_physical_availability(api, store) -> None:
    mms_id, holding_id, _ = item_place(store, "39000001")
    root = xml(api.get(f"/almaws/v1/bibs/{mms_id}?expand=p_avail"))
    assert root.tag == "bib"
    assert root.findtext("mms_id") == mms_id
    assert root.findtext("record_format") == "marc21"
    assert root.findtext("title")
    valid_marc(root.find("record"))
    fields = ava(root, holding_id)
    assert fields["b"] == "MAIN"
    assert (fields["e"], fields["f"], fields["g"]) == ("available", "3", "1")
    assert fields["0"] == mms_id
    assert not root.xpath("record/datafield[@tag='AVE' or @tag='AVD']")


def test_retrieve_bib_without_expand_has_no_availability(api, store) -> None:
    mms_id, _, _ = item_place(store, "39000001")
    root = xml(api.get(f"/almaws/v1/bibs/{mms_id}"))
    assert not root.xpath("record/datafield[@tag='AVA']")


def test_digital_availability(api, store) -> None:
    mms_id = store.conn.execute(
        "SELECT r.mms_id FROM representations p JOIN records r ON r.id = p.record_id LIMIT 1"
    ).fetchone()[0]
    root = xml(api.get(f"/almaws/v1/bibs/{mms_id}?expand=p_avail,e_avail,d_avail"))
    avd = root.xpath("record/datafield[@tag='AVD']")
    assert avd
    assert avd[0].xpath("subfield[@code='u']/text()") == [
        "https://repository.example.org/delivery/5"
    ]


def test_retrieve_bib_as_json_has_marcxml_in_anies(api, store) -> None:
    mms_id, holding_id, _ = item_place(store, "39000004")
    response = api.get(
        f"/almaws/v1/bibs/{mms_id}?expand=p_avail", headers={"Accept": "application/json"}
    )
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["mms_id"] == mms_id
    record = etree.fromstring(body["anies"][0].encode(), SAFE_PARSER)
    valid_marc(record)
    wrapper = etree.Element("bib")
    wrapper.append(record)
    fields = ava(wrapper, holding_id)
    assert (fields["e"], fields["f"], fields["g"]) == ("unavailable", "3", "3")


def test_retrieve_bibs_list_skips_unknown_ids(api, store) -> None:
    first, _, _ = item_place(store, "39000001")
    second, _, _ = item_place(store, "39000007")
    response = api.get(f"/almaws/v1/bibs?mms_id={second},{first},99999990101&expand=p_avail")
    root = xml(response)
    assert root.tag == "bibs"
    assert root.get("total_record_count") == "2"
    assert root.xpath("bib/mms_id/text()") == [second, first]
    body = api.get(f"/almaws/v1/bibs?mms_id={first}&format=json&view=brief").get_json()
    assert body["total_record_count"] == 1
    assert "anies" not in body["bib"][0]


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/almaws/v1/bibs/99999990101", 400, "402203"),
        ("/almaws/v1/bibs/not-a-number", 400, "402204"),
        ("/almaws/v1/bibs/9910101?expand=holdings", 400, "401652"),
        ("/almaws/v1/bibs/9910101?view=huge", 400, "401652"),
        ("/almaws/v1/bibs/9910101?format=csv", 400, "401652"),
        ("/almaws/v1/bibs", 400, "401652"),
        ("/almaws/v1/bibs?mms_id=1,x", 400, "402204"),
        ("/almaws/v1/bibs/9910101/holdings/ALL/items/nope", 400, "401689"),
        ("/almaws/v1/bibs/9910101/holdings/220101/items/39000001", 400, "401890"),
    ],
)
def test_errors_are_alma_web_service_results(api, url: str, status: int, code: str) -> None:
    response = api.get(url)
    assert response.status_code == status
    root = xml(response)
    assert root.xpath("ws:errorsExist/text()", namespaces=ALMA_NS) == ["true"]
    assert root.xpath("ws:errorList/ws:error/ws:errorCode/text()", namespaces=ALMA_NS) == [code]
    joined = "&" if "?" in url else "?"
    body = api.get(f"{url}{joined}format=json").get_json() if "format=" not in url else None
    if body is not None:
        assert body["errorsExist"] is True
        assert body["errorList"]["error"][0]["errorCode"] == code


def test_deleted_record_is_not_valid(api, store) -> None:
    mms_id = store.conn.execute("SELECT mms_id FROM records WHERE deleted = 1").fetchone()[0]
    assert api.get(f"/almaws/v1/bibs/{mms_id}").status_code == 400


def test_too_many_ids(api) -> None:
    ids = ",".join(str(990000 + n) for n in range(101))
    assert api.get(f"/almaws/v1/bibs?mms_id={ids}").status_code == 400


def test_reads_need_a_key_when_configured(api, app, store) -> None:
    mms_id, _, _ = item_place(store, "39000001")
    app.config["ALMAWS_READ_REQUIRES_KEY"] = True
    assert api.get(f"/almaws/v1/bibs/{mms_id}").status_code == 401
    assert api.get(f"/almaws/v1/bibs/{mms_id}?apikey={KEY}").status_code == 200


# items ------------------------------------------------------------------------------------------


def item_url(store, barcode: str) -> str:
    mms_id, holding_id, item_id = item_place(store, barcode)
    return f"/almaws/v1/bibs/{mms_id}/holdings/{holding_id}/items/{item_id}"


def test_get_item_by_pid_and_by_barcode(api, store) -> None:
    url = item_url(store, "39000001")
    root = xml(api.get(url))
    assert root.findtext("item_data/barcode") == "39000001"
    assert root.findtext("item_data/process_type") == "LOAN"
    assert root.find("item_data/base_status").get("desc") == "Item not in place"
    by_barcode = url.rsplit("/", 1)[0] + "/39000001?format=json"
    assert api.get(by_barcode).get_json()["item_data"]["process_type"]["value"] == "LOAN"


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("post", "?op=loan", None),
        ("post", "/loans", None),
        ("put", "", b'{"status": "loaned"}'),
        ("put", "", b"<item><item_data><process_type>LOAN</process_type></item_data></item>"),
    ],
)
def test_writes_need_an_api_key(api, store, method: str, suffix: str, body) -> None:
    url = item_url(store, "39000002") + suffix
    response = getattr(api, method)(url, data=body)
    assert response.status_code == 401
    assert store.inventory.item("39000002")[2] == "available"
    wrong = getattr(api, method)(url, data=body, headers={"Authorization": "apikey wrong"})
    assert wrong.status_code == 401
    assert store.inventory.item("39000002")[2] == "available"


def test_loan_shows_at_once_in_availability_and_datestamp(api, store) -> None:
    mms_id, holding_id, _ = item_place(store, "39000002")
    before = store.get(mms_id).datestamp
    url = item_url(store, "39000002")
    response = api.post(f"{url}?op=loan", headers={"Authorization": f"apikey {KEY}"})
    assert response.status_code == 200
    assert xml(response).findtext("item_data/process_type") == "LOAN"
    assert store.inventory.item("39000002")[2] == "loaned"
    fields = ava(xml(api.get(f"/almaws/v1/bibs/{mms_id}?expand=p_avail")), holding_id)
    assert (fields["e"], fields["g"]) == ("available", "2")
    assert store.get(mms_id).datestamp > before


def test_return_and_scan_put_items_back_in_place(api, store) -> None:
    url = item_url(store, "39000004")
    response = api.post(f"{url}?op=return&apikey={KEY}&format=json")
    assert response.get_json()["item_data"]["base_status"]["value"] == "1"
    assert store.inventory.item("39000004")[2] == "available"
    api.post(f"{url}?op=missing&apikey={KEY}")
    assert store.inventory.item("39000004")[2] == "missing"
    api.post(f"{url}?op=scan&apikey={KEY}")
    assert store.inventory.item("39000004")[2] == "available"


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"item_data": {"process_type": {"value": "MISSING"}}}', "application/json", "missing"),
        (b'{"item_data": {"base_status": {"value": "1"}}}', "application/json", "available"),
        (
            b"<item><item_data><process_type>LOAN</process_type></item_data></item>",
            "text/xml",
            "loaned",
        ),
        (b"<item><status>missing</status></item>", "application/xml", "missing"),
    ],
)
def test_put_item_sets_the_status(api, store, body: bytes, content_type: str, status: str) -> None:
    url = item_url(store, "39000005")
    response = api.put(
        url, data=body, content_type=content_type, headers={"Authorization": f"apikey {KEY}"}
    )
    assert response.status_code == 200
    assert store.inventory.item("39000005")[2] == status


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{not json",
        b"[1, 2]",
        b'{"item_data": {"base_status": {"value": "0"}}}',
        b'{"status": "stolen"}',
        b"<item><item_data><process_type>TRANSIT</process_type></item_data></item>",
        b"<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><item><status>&e;</status></item>",
        b"<item><unclosed></item>",
    ],
)
def test_put_item_with_a_bad_body(api, store, body: bytes) -> None:
    url = item_url(store, "39000005")
    response = api.put(url, data=body, headers={"Authorization": f"apikey {KEY}"})
    assert response.status_code == 400
    assert store.inventory.item("39000005")[2] == "missing"


def test_unknown_op(api, store) -> None:
    response = api.post(item_url(store, "39000005") + f"?op=explode&apikey={KEY}")
    assert response.status_code == 400
    assert (
        json.loads(api.post(item_url(store, "39000005") + f"?apikey={KEY}&format=json").data)[
            "errorList"
        ]["error"][0]["errorCode"]
        == "401652"
    )
