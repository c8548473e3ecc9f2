"""SRU searchRetrieve: valid responses, paging, record schemas and packings, availability, diagnostics."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from indexer.marc.enrich import availability_status
from tests.sru.protocol import (
    NS,
    common_title_word,
    diagnostics,
    field_tokens,
    number_of_records,
    validate,
    year,
)

PAGE = {"maximumRecords": "50"}


def _get(client, **params):
    response = client.get("/sru?" + urlencode(params))
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    return validate(response.data)


def test_search_counts_and_pages(client, store):
    word, count = common_title_word(store)
    assert count > 3
    root = _get(
        client,
        version="1.2",
        operation="searchRetrieve",
        query=f"dc.title={word}",
        maximumRecords=2,
    )
    assert number_of_records(root) == count
    positions = [int(p.text) for p in root.iterfind(".//srw:recordPosition", NS)]
    assert positions == [1, 2]
    assert root.findtext("srw:nextRecordPosition", namespaces=NS) == "3"
    assert (
        root.findtext("srw:echoedSearchRetrieveRequest/srw:query", namespaces=NS)
        == f"dc.title={word}"
    )
    seen = set()
    start = 1
    while start:
        page = _get(client, query=f"dc.title={word}", startRecord=start, maximumRecords=2)
        seen.update(c.text for c in page.iterfind(".//marc:controlfield[@tag='001']", NS))
        start = int(page.findtext("srw:nextRecordPosition", default="0", namespaces=NS))
    assert len(seen) == count


def test_counts_are_exact_whatever_the_page_size(client, store):
    """Whoosh's collector, once better hits fill the page, drops the branches of an ``or`` that
    cannot beat them, and its count fell short: the count must not depend on maximumRecords."""
    titles = [set(field_tokens(r.marc, "title")) for r in store.iter_records()]
    counts: dict[str, int] = {}
    for words in titles:
        for word in words:
            counts[word] = counts.get(word, 0) + 1
    first, second = sorted(counts, key=lambda w: (-counts[w], w))[:2]
    expected = sum(1 for words in titles if {first, second} & words)
    for size in (0, 1, 10, 50):
        root = _get(client, query=f'dc.title any "{first} {second}"', maximumRecords=size)
        assert number_of_records(root) == expected, size


def test_default_and_maximum_records(client):
    root = _get(client, query="cql.allRecords=1")
    assert len(root.findall(".//srw:record", NS)) == 10
    root = _get(client, query="cql.allRecords=1", maximumRecords=500)
    assert len(root.findall(".//srw:record", NS)) == 50
    root = _get(client, query="cql.allRecords=1", maximumRecords=0)
    assert root.find(".//srw:records", NS) is None
    assert number_of_records(root) > 200


@pytest.mark.parametrize(
    "schema",
    ["marcxml", "info:srw/schema/1/marcxml-v1.1", "dc", "mods", "info:srw/schema/1/dc-v1.1"],
)
@pytest.mark.parametrize("packing", ["xml", "string"])
def test_record_schemas_and_packings(client, schema, packing):
    root = _get(
        client,
        query="cql.allRecords=1",
        recordSchema=schema,
        recordPacking=packing,
        maximumRecords=5,
    )
    assert len(root.findall(".//srw:record", NS)) == 5
    assert {p.text for p in root.iterfind(".//srw:recordPacking", NS)} == {packing}


def test_sru_2_0_response(client):
    root = _get(
        client,
        version="2.0",
        query="cql.allRecords=1",
        maximumRecords=3,
        recordXMLEscaping="string",
    )
    assert root.tag == f"{{{NS['sru']}}}searchRetrieveResponse"
    assert len(root.findall(".//sru:record", NS)) == 3
    assert root.findtext(".//sru:recordXMLEscaping", namespaces=NS) == "string"
    bad = _get(client, version="2.0", query="dc.nothing=a")
    assert diagnostics(bad) == [(16, "dc.nothing")]


def test_sru_1_2_echo_holds_the_query_as_xcql(client):
    root = _get(client, query='dc.title = "history" and alma.creator any/ignorecase smith')
    xcql = {"x": "http://www.loc.gov/zing/cql/xcql/"}
    (triple,) = root.xpath(
        "//srw:echoedSearchRetrieveRequest/srw:xQuery/x:triple", namespaces=NS | xcql
    )
    assert triple.xpath("x:boolean/x:value/text()", namespaces=xcql) == ["and"]
    clauses = [
        [c.findtext(f"x:{part}", namespaces=xcql) for part in ("index", "relation/x:value", "term")]
        for c in triple.xpath(".//x:searchClause", namespaces=xcql)
    ]
    assert clauses == [["dc.title", "=", "history"], ["alma.creator", "any", "smith"]]
    modifiers = triple.xpath(".//x:relation/x:modifiers/x:modifier/x:type/text()", namespaces=xcql)
    assert modifiers == ["ignorecase"]


def test_sru_1_1_is_accepted(client):
    root = _get(client, version="1.1", operation="searchRetrieve", query="cql.allRecords=1")
    assert root.findtext("srw:version", namespaces=NS) == "1.1"
    assert number_of_records(root) > 0


def test_marcxml_carries_availability_and_a_loan_changes_it(client, store):
    holding = next(
        (mms, h)
        for mms in (r.identifier for r in store.iter_records())
        for h in store.inventory.of(mms).holdings
        if any(i.status == "available" for i in h.items)
    )
    mms_id, before = holding

    def ava():
        root = _get(client, query=f"alma.mms_id={mms_id}")
        fields = root.findall(".//marc:datafield[@tag='AVA']", NS)
        mine = [
            f
            for f in fields
            if f.findtext("marc:subfield[@code='8']", namespaces=NS) == before.holding_id
        ]
        assert len(mine) == 1
        sub = {s.get("code"): s.text for s in mine[0].iterfind("marc:subfield", NS)}
        return sub

    first = ava()
    assert first["e"] == availability_status(before)
    assert first["f"] == str(len(before.items))
    assert first["g"] == str(before.unavailable_items)
    item = next(i for i in before.items if i.status == "available")
    store.inventory.set_item_status(item.barcode, "loaned")
    loaned = ava()
    assert int(loaned["g"]) == before.unavailable_items + 1
    store.inventory.set_item_status(item.barcode, "available")
    assert ava()["g"] == first["g"]


def test_search_for_available_copies_follows_loans(client, store):
    """The index follows inventory changes: a record whose last copy goes out leaves the results."""
    target = None
    for stored in store.iter_records():
        inv = store.inventory.of(stored.identifier)
        copies = [i for h in inv.holdings for i in h.items]
        if copies and not inv.portfolios and sum(i.status == "available" for i in copies) == 1:
            target = (stored.identifier, next(i for i in copies if i.status == "available"))
            break
    assert target is not None
    mms_id, item = target
    query = f"alma.mms_id={mms_id} and alma.availability=available"
    assert number_of_records(_get(client, query=query)) == 1
    store.inventory.set_item_status(item.barcode, "loaned")
    assert number_of_records(_get(client, query=query)) == 0
    store.inventory.set_item_status(item.barcode, "available")
    assert number_of_records(_get(client, query=query)) == 1


@pytest.mark.parametrize(
    ("params", "number"),
    [
        ({"operation": "scan", "scanClause": "a"}, 4),
        ({"operation": "update"}, 4),
        ({"version": "3.0", "query": "a"}, 5),
        ({"query": "a", "startRecord": "0"}, 6),
        ({"query": "a", "startRecord": "x"}, 6),
        ({"query": "a", "maximumRecords": "-1"}, 6),
        ({"query": "a", "maximumRecords": "ten"}, 6),
        ({"version": "2.0", "query": "a", "queryType": "searchTerms"}, 6),
        ({"operation": "searchRetrieve"}, 7),
        ({"query": "a", "foo": "bar"}, 8),
        ({"query": "dc.title = ("}, 10),
        ({"query": "nope.title = a"}, 15),
        ({"query": "dc.nothing = a"}, 16),
        ({"query": "dc.title foo a"}, 19),
        ({"query": "dc.title =/respectCase a"}, 20),
        ({"query": "cql.allRecords=1", "startRecord": "100000"}, 61),
        ({"query": "cql.allRecords=1", "startRecord": "9995", "maximumRecords": "10"}, 61),
        ({"query": "dc.title = zzzzqqq", "startRecord": "2"}, 61),
        ({"query": "a", "recordSchema": "unknown"}, 66),
        ({"query": "a", "recordPacking": "json"}, 71),
        ({"version": "2.0", "query": "a", "recordPacking": "unpacked"}, 71),
        ({"query": "a", "recordXPath": "/x"}, 72),
        ({"query": "dc.title=a sortBy dc.subject"}, 80),
        ({"version": "1.1", "query": "a", "sortKeys": ",marcxml"}, 80),
        ({"version": "1.1", "query": "a", "sortKeys": "title,,1,0,highValue,x"}, 80),
        ({"version": "1.1", "query": "a sortBy dc.date", "sortKeys": "title"}, 80),
        ({"version": "1.1", "query": "a", "sortKeys": "title dc.creator dc.title,,0"}, 85),
        ({"version": "1.1", "query": "a", "sortKeys": "title,unknown"}, 87),
        ({"version": "1.1", "query": "a", "sortKeys": "/record/datafield[@tag='245']"}, 88),
        ({"version": "1.1", "query": "a", "sortKeys": "dc.subject"}, 88),
        ({"version": "2.0", "query": "a", "sortKeys": "title,,2"}, 90),
        ({"version": "1.1", "query": "a", "sortKeys": "title,,1,1"}, 91),
        ({"version": "1.1", "query": "a", "sortKeys": "title,,1,0,abort"}, 92),
        ({"query": "a", "stylesheet": "http://example.org/s.xsl"}, 110),
    ],
)
def test_diagnostics(client, params, number):
    root = _get(client, **params)
    assert [n for n, _ in diagnostics(root)] == [number]
    assert root.find(".//srw:records", NS) is None and root.find(".//sru:records", NS) is None


def _ids(root) -> list[str]:
    return [c.text for c in root.iterfind(".//marc:controlfield[@tag='001']", NS)]


def test_sort_keys_sort_as_cql_sort_by(client, store):
    """SRU 1.1's sortKeys parameter (also in 2.0): the same order as the CQL sortBy clause."""
    records = {r.identifier: r.marc for r in store.iter_records()}
    for sort_keys, sort_by in [
        ("title", "dc.title"),
        ("dc.date,,0", "dc.date/sort.descending"),
        ("alma.creator,marcxml,1,0,highValue rec.id,,0", "dc.creator alma.mms_id/sort.descending"),
    ]:
        by_keys = _ids(
            _get(client, version="1.1", query="cql.allRecords=1", sortKeys=sort_keys, **PAGE)
        )
        by_clause = _ids(_get(client, query=f"cql.allRecords=1 sortBy {sort_by}", **PAGE))
        assert by_keys == by_clause and len(by_keys) == 50, sort_keys
    dated = _ids(_get(client, version="2.0", query="cql.allRecords=1", sortKeys="dc.date", **PAGE))
    years = [year(records[i]) for i in dated]
    assert years == sorted(years, key=lambda y: (y is None, y))


def test_records_without_a_value_sort_as_the_highest_value(client, store):
    """sort.missingHigh: records without a year come last ascending and first descending."""
    records = {r.identifier: r.marc for r in store.iter_records()}
    undated = {i for i, r in records.items() if year(r) is None}
    assert undated and len(undated) < len(records)
    for modifiers, last in [("", True), ("/sort.missingHigh", True), ("/sort.descending", False)]:
        query = f"cql.allRecords=1 sortBy dc.date{modifiers}"
        ids = []
        for start in range(1, len(records) + 1, 50):
            ids += _ids(_get(client, query=query, startRecord=str(start), **PAGE))
        assert sorted(ids) == sorted(records)
        ends = ids[-len(undated) :] if last else ids[: len(undated)]
        assert set(ends) == undated, query
    root = _get(client, query="cql.allRecords=1 sortBy dc.date/sort.missingLow")
    assert [n for n, _ in diagnostics(root)] == [92]


def test_wrong_institution_in_alma_url(client):
    root = validate(client.get("/view/sru/OTHER_INST?query=a").data)
    assert diagnostics(root)[0][0] == 6


def test_hostile_input_never_fails(client):
    for query in [
        "\x00",
        "a" * 5000,
        '"' * 33,
        "((((((((((a",
        "dc.title=" + "*" * 200,
        "é ü 漢字",
        "dc.title any " + " ".join(["w"] * 200),
    ]:
        response = client.get("/sru?" + urlencode({"query": query}))
        assert response.status_code == 200
        validate(response.data)
    response = client.post("/sru", data={"query": "cql.allRecords=1", "maximumRecords": "1"})
    assert number_of_records(validate(response.data)) > 0


def test_control_characters_in_parameters_give_diagnostics(client):
    """Diagnostic details quote what the client sent: characters XML forbids are left out."""
    for url, number in [
        ("/sru?query=a&f%00oo=bar", 8),
        ("/sru?query=a&recordSchema=x%00y", 66),
        ("/sru?version=9%01&query=a", 5),
        ("/sru?query=a&stylesheet=%00", 110),
        ("/view/sru/X%00Y?query=a", 6),
    ]:
        response = client.get(url)
        assert response.status_code == 200
        assert [n for n, _ in diagnostics(validate(response.data))] == [number], url


def test_record_gone_from_the_store_becomes_a_surrogate_diagnostic(client, store, app):
    from indexer.search import index

    index.rebuild(store, app.config["INDEX_DIR"])
    mms_id = next(r.identifier for r in store.iter_records())
    # while another writer holds the index, the index lags behind the store
    with index.write_lock(app.config["INDEX_DIR"]):
        store.delete(mms_id)
        root = _get(client, query=f"alma.mms_id={mms_id}")
    assert number_of_records(root) == 1
    record = root.find(".//srw:record", NS)
    assert (
        record.findtext("srw:recordSchema", namespaces=NS) == "info:srw/schema/1/diagnostics-v1.1"
    )
    assert diagnostics(root) == [(65, mms_id)]
    # once the index catches up (the follower thread may be at it: wait for the lock), it is gone
    index.update(store, app.config["INDEX_DIR"], blocking=True)
    assert number_of_records(_get(client, query=f"alma.mms_id={mms_id}")) == 0


def test_default_version_from_the_environment(app, monkeypatch):
    from app import create_app

    monkeypatch.setenv("PRESSMARK_SRU_DEFAULT_VERSION", "2.0")
    other = create_app({"DATABASE": app.config["DATABASE"], "INDEX_DIR": app.config["INDEX_DIR"]})
    root = validate(other.test_client().get("/sru?query=cql.allRecords=1&maximumRecords=1").data)
    assert root.tag == f"{{{NS['sru']}}}searchRetrieveResponse"
    assert number_of_records(root) > 0
