"""The six OAI-PMH verbs on the sample store, each response validated against the schemas."""

from __future__ import annotations

import gzip
import zlib

import pytest

from app.xml import format_datestamp
from tests.oai.protocol import NS, REPO, error_code, identifier, oai, validate, walk, xpath


def live_and_deleted(store) -> tuple[str, str]:
    live = store.conn.execute("SELECT mms_id FROM records WHERE deleted = 0 LIMIT 1").fetchone()[0]
    dead = store.conn.execute("SELECT mms_id FROM records WHERE deleted = 1 LIMIT 1").fetchone()[0]
    return live, dead


def test_identify_describes_the_repository(client, store):
    root = oai(client, verb="Identify")
    assert xpath(root, "string(oai:request/@verb)") == "Identify"
    assert xpath(root, "string(//oai:protocolVersion)") == "2.0"
    assert xpath(root, "string(//oai:deletedRecord)") == "persistent"
    assert xpath(root, "string(//oai:granularity)") == "YYYY-MM-DDThh:mm:ssZ"
    assert xpath(root, "//oai:compression/text()") == ["gzip", "deflate"]
    assert xpath(root, "string(//oai:baseURL)") == "http://localhost/oai"
    earliest = store.earliest_datestamp()
    assert xpath(root, "string(//oai:earliestDatestamp)") == format_datestamp(earliest)
    assert xpath(root, "string(//oai-identifier:repositoryIdentifier)") == REPO
    sample = xpath(root, "string(//oai-identifier:sampleIdentifier)")
    assert sample.startswith(f"oai:{REPO}:99")


def test_identify_by_post_and_at_the_alma_url(client):
    root = oai(client, "post", verb="Identify")
    assert xpath(root, "string(//oai:repositoryName)") == "Pressmark catalogue"
    response = client.get("/view/oai/01ABC_INST/request?verb=Identify")
    root = validate(response.data)
    assert xpath(root, "string(//oai:baseURL)") == "http://localhost/view/oai/01ABC_INST/request"


def test_list_metadata_formats_of_repository_and_of_an_item(client, store):
    root = oai(client, verb="ListMetadataFormats")
    assert xpath(root, "//oai:metadataPrefix/text()") == ["marc21", "oai_dc"]
    assert "http://www.loc.gov/MARC21/slim" in xpath(root, "//oai:metadataNamespace/text()")
    live, dead = live_and_deleted(store)
    root = oai(client, verb="ListMetadataFormats", identifier=identifier(live))
    assert xpath(root, "//oai:metadataPrefix/text()") == ["marc21", "oai_dc"]
    root = oai(client, verb="ListMetadataFormats", identifier=identifier(dead))
    assert error_code(root) == "noMetadataFormats"
    assert xpath(root, "string(oai:request/@identifier)") == identifier(dead)


def test_list_sets_with_names_and_descriptions(client, store):
    assert error_code(oai(client, verb="ListSets")) == "noSetHierarchy"
    store.define_set("music", "Music", "Scores and recordings")
    store.define_set("law:reserve", "Law reserve")
    root = oai(client, verb="ListSets")
    assert xpath(root, "//oai:setSpec/text()") == ["law:reserve", "music"]
    assert xpath(root, "//oai:setName/text()") == ["Law reserve", "Music"]
    assert xpath(root, "//oai:setDescription//dc:description/text()") == ["Scores and recordings"]


@pytest.mark.parametrize("prefix", ["marc21", "oai_dc"])
def test_get_record_returns_stored_metadata(client, store, prefix):
    live, _ = live_and_deleted(store)
    root = oai(client, verb="GetRecord", identifier=identifier(live), metadataPrefix=prefix)
    assert xpath(root, "string(//oai:header/oai:identifier)") == identifier(live)
    assert xpath(root, "string(oai:request/@metadataPrefix)") == prefix
    stored = store.published(live, prefix)
    raw = client.get(
        "/oai",
        query_string={
            "verb": "GetRecord",
            "identifier": identifier(live),
            "metadataPrefix": prefix,
        },
    ).data
    assert b"<metadata>" + stored + b"</metadata>" in raw  # the stored bytes, spliced as they are
    (payload,) = xpath(root, "//oai:metadata/*")
    if prefix == "marc21":
        assert xpath(payload, "string(marc:controlfield[@tag='001'])") == live


def test_get_record_of_a_deleted_record_is_a_deleted_header(client, store):
    _, dead = live_and_deleted(store)
    root = oai(client, verb="GetRecord", identifier=identifier(dead), metadataPrefix="marc21")
    assert xpath(root, "string(//oai:header/@status)") == "deleted"
    assert not xpath(root, "//oai:metadata")


@pytest.mark.parametrize(
    ("verb", "size"),
    [("ListRecords", "OAI_PAGE_SIZE"), ("ListIdentifiers", "OAI_IDENTIFIERS_PAGE_SIZE")],
)
def test_lists_return_every_record_once_in_pages(app, client, store, verb, size):
    app.config[size] = 40
    pages = walk(client, verb, metadataPrefix="marc21")
    headers = [h for page in pages for h in xpath(page, "//oai:header")]
    ids = [xpath(h, "string(oai:identifier)") for h in headers]
    total = store.conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    assert len(ids) == len(set(ids)) == total
    assert len(pages) == -(-total // 40)
    deleted = [xpath(h, "string(oai:identifier)") for h in headers if h.get("status") == "deleted"]
    assert len(deleted) == store.stats()["deleted"]
    tokens = [p.find(f"oai:{verb}/oai:resumptionToken", NS) for p in pages]
    assert [int(t.get("cursor")) for t in tokens] == [40 * i for i in range(len(pages))]
    assert {t.get("completeListSize") for t in tokens} == {str(total)}
    assert tokens[-1].text is None
    assert tokens[-1].get("expirationDate") is None
    assert all(t.get("expirationDate") for t in tokens[:-1])


def test_list_records_of_one_page_has_no_token(app, client):
    app.config["OAI_PAGE_SIZE"] = 10_000
    root = oai(client, verb="ListRecords", metadataPrefix="oai_dc")
    assert root.find("oai:ListRecords/oai:resumptionToken", NS) is None
    assert xpath(root, "count(//oai_dc:dc)") > 250


def test_list_records_from_until_both_granularities(client, store):
    stamps = [r[0] for r in store.conn.execute("SELECT datestamp FROM records ORDER BY datestamp")]
    middle = stamps[len(stamps) // 2]
    expected = sum(1 for s in stamps if s >= middle)
    root = oai(
        client,
        verb="ListIdentifiers",
        metadataPrefix="marc21",
        **{"from": format_datestamp(middle)},
    )
    assert xpath(root, "count(//oai:header)") == expected
    day = format_datestamp(stamps[0])[:10]
    root = oai(
        client, verb="ListIdentifiers", metadataPrefix="marc21", **{"from": day, "until": day}
    )
    assert xpath(root, "count(//oai:header)") == sum(
        1 for s in stamps if format_datestamp(s)[:10] == day
    )
    root = oai(client, verb="ListIdentifiers", metadataPrefix="marc21", until="1999-01-01")
    assert error_code(root) == "noRecordsMatch"


def test_set_harvest_lists_records_that_left_as_deleted(client, store):
    ids = [r[0] for r in store.conn.execute("SELECT mms_id FROM records WHERE deleted = 0 LIMIT 5")]
    store.define_set("picks", "Picks")
    store.set_members("picks", ids)
    root = oai(client, verb="ListRecords", metadataPrefix="marc21", set="picks")
    listed = xpath(root, "//oai:header/oai:identifier/text()")
    assert sorted(listed) == sorted(identifier(i) for i in ids)
    assert xpath(root, "//oai:header/oai:setSpec/text()") == ["picks"] * 5
    store.set_members("picks", ids[1:])
    root = oai(client, verb="ListRecords", metadataPrefix="marc21", set="picks")
    gone = xpath(root, "//oai:header[@status='deleted']/oai:identifier/text()")
    assert gone == [identifier(ids[0])]
    assert xpath(root, "count(//oai:metadata)") == 4


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_compression_when_the_client_asks(client, coding):
    response = client.get(
        "/oai?verb=ListRecords&metadataPrefix=marc21", headers={"Accept-Encoding": coding}
    )
    assert response.headers["Content-Encoding"] == coding
    body = gzip.decompress(response.data) if coding == "gzip" else zlib.decompress(response.data)
    validate(body)
    plain = client.get("/oai?verb=ListRecords&metadataPrefix=marc21")
    assert "Content-Encoding" not in plain.headers
    assert len(response.data) < len(plain.data) / 3
