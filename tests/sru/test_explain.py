"""SRU explain: a ZeeRex record listing every index with its relations, the schemas and the limits;
and the official schemas that every SRU response of the tests is validated against."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from lxml import etree

from indexer.search.cql import relations_of
from indexer.search.fields import CONTEXT_SETS, INDEXES
from tests.sru.protocol import (
    NS,
    SCHEMA_FILES,
    SRU_SCHEMAS,
    schema,
    schema_parser,
    validate,
    validate_record,
)


@pytest.mark.parametrize(
    "url",
    [
        "/sru",
        "/sru?operation=explain",
        "/sru?operation=explain&version=1.1",
        "/sru?operation=explain&version=1.2&recordPacking=xml",
        "/view/sru/PRESSMARK_INST?operation=explain&version=1.2",
    ],
)
def test_explain_validates_and_lists_every_index(client, url):
    response = client.get(url)
    assert response.status_code == 200
    root = validate(response.data)
    assert root.tag == f"{{{NS['srw']}}}explainResponse"
    explain = root.find(".//zr:explain", NS)
    names = {
        f"{n.get('set')}.{n.text}"
        for n in explain.iterfind("zr:indexInfo/zr:index/zr:map/zr:name", NS)
    }
    assert set(INDEXES) <= names
    assert "cql.allRecords" in names
    assert {s.get("name") for s in explain.iterfind("zr:indexInfo/zr:set", NS)} == set(CONTEXT_SETS)
    # the samples carry local 9XX fields: each has its own index where data exists
    assert any(name.startswith("alma.local_field_9") for name in names)


def test_explain_lists_relations_schemas_defaults_and_limits(client, app):
    root = validate(client.get("/sru?operation=explain").data)
    explain = root.find(".//zr:explain", NS)
    title = explain.find("zr:indexInfo/zr:index[@id='title']", NS)
    relations = [s.text for s in title.iterfind("zr:configInfo/zr:supports[@type='relation']", NS)]
    assert relations == list(relations_of("title"))
    assert title.get("sort") == "true"
    schemas = {s.get("name") for s in explain.iterfind("zr:schemaInfo/zr:schema", NS)}
    assert schemas == {"marcxml", "dc", "mods"}
    config = explain.find("zr:configInfo", NS)
    assert config.findtext("zr:default[@type='numberOfRecords']", namespaces=NS) == "10"
    assert config.findtext("zr:setting[@type='maximumRecords']", namespaces=NS) == "50"
    assert config.findtext("zr:setting[@type='maximumStartRecord']", namespaces=NS) == "10000"
    assert explain.findtext("zr:serverInfo/zr:database", namespaces=NS) == "sru"


def test_explain_in_sru_2_0(client):
    root = validate(client.get("/sru?operation=explain&version=2.0").data)
    assert root.tag == f"{{{NS['sru']}}}explainResponse"
    assert root.find("sru:version", NS) is None
    assert root.find(".//zr:explain", NS) is not None


def test_explain_as_string(client):
    root = validate(client.get("/sru?operation=explain&recordPacking=string").data)
    assert "zr:explain" in root.findtext(".//srw:recordData", namespaces=NS)


def test_explain_with_unknown_parameter_still_carries_the_record(client):
    root = validate(client.get("/sru?operation=explain&foo=bar").data)
    assert root.find(".//zr:explain", NS) is not None
    assert root.findtext(".//diag:uri", namespaces=NS) == "info:srw/diagnostic/1/8"


# the schemas ---------------------------------------------------------------------------------------

XS = "{http://www.w3.org/2001/XMLSchema}"


def test_schema_copies_compile_from_local_files_only():
    files = sorted(SRU_SCHEMAS.rglob("*.xsd"))
    assert len(files) >= 14
    for path in files:
        doc = etree.parse(str(path), schema_parser())
        for ref in doc.iter(f"{XS}import", f"{XS}include", f"{XS}redefine"):
            location = ref.get("schemaLocation")
            assert location and "://" not in location, (path.name, location)
            assert (path.parent / location).is_file(), (path.name, location)
    for name in SCHEMA_FILES:
        assert isinstance(schema(name), etree.XMLSchema)


def _record(xml: str) -> etree._Element:
    return etree.fromstring(xml)


@pytest.mark.parametrize(
    "xml",
    [
        # ZeeRex 2.0 has no serverInfo/@method (a ZeeRex 2.1 addition)
        '<zr:explain xmlns:zr="http://explain.z3950.org/dtd/2.0/"><zr:serverInfo method="GET">'
        "<zr:host>h</zr:host><zr:port>1</zr:port><zr:database>d</zr:database></zr:serverInfo>"
        "</zr:explain>",
        # MODS 3.6: typeOfResource is a closed list; top-level elements are a closed set
        '<mods xmlns="http://www.loc.gov/mods/v3" version="3.6"><typeOfResource>book'
        "</typeOfResource></mods>",
        '<mods xmlns="http://www.loc.gov/mods/v3"><title>t</title></mods>',
        # SRU Dublin Core holds the fifteen DC elements only
        '<srw_dc:dc xmlns:srw_dc="info:srw/schema/1/dc-schema" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:titel>t</dc:titel></srw_dc:dc>',
        # a diagnostic needs its uri
        '<diag:diagnostic xmlns:diag="http://www.loc.gov/zing/srw/diagnostic/">'
        "<diag:message>m</diag:message></diag:diagnostic>",
        '<marc:record xmlns:marc="http://www.loc.gov/MARC21/slim"><marc:datafield tag="245" '
        'ind1="1" ind2="0"/></marc:record>',
    ],
)
def test_official_schemas_reject_invalid_records(xml):
    with pytest.raises(AssertionError):
        validate_record(_record(xml))


def test_official_schemas_reject_invalid_envelopes():
    srw = 'xmlns:srw="http://www.loc.gov/zing/srw/"'
    # SRU 1.x: the echoed request holds query, then xQuery (its XCQL form)
    no_xquery = (
        f"<srw:searchRetrieveResponse {srw}><srw:version>1.2</srw:version>"
        "<srw:numberOfRecords>0</srw:numberOfRecords><srw:echoedSearchRetrieveRequest>"
        "<srw:version>1.2</srw:version><srw:query>a</srw:query></srw:echoedSearchRetrieveRequest>"
        "</srw:searchRetrieveResponse>"
    )
    with pytest.raises(AssertionError):
        validate(no_xquery.encode())
    with_xquery = no_xquery.replace("</srw:query>", "</srw:query><srw:xQuery/>")
    assert validate(with_xquery.encode()) is not None
    sru = 'xmlns:sru="http://docs.oasis-open.org/ns/search-ws/sruResponse"'
    with pytest.raises(AssertionError):  # SRU 2.0 has no version element
        validate(
            f"<sru:searchRetrieveResponse {sru}><sru:version>1.2</sru:version>"
            "<sru:numberOfRecords>x</sru:numberOfRecords></sru:searchRetrieveResponse>".encode()
        )


@pytest.mark.parametrize("schema_name", ["mods", "dc"])
def test_every_sample_record_is_valid_mods_and_dc(client, schema_name):
    start, seen = 1, 0
    while start:
        params = {"query": "cql.allRecords=1", "recordSchema": schema_name, "maximumRecords": 50}
        root = validate(client.get("/sru?" + urlencode({**params, "startRecord": start})).data)
        seen += len(root.findall(".//srw:record", NS))
        start = int(root.findtext("srw:nextRecordPosition", default="0", namespaces=NS))
    assert seen > 200
