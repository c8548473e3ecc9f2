"""SRU explain: a ZeeRex record listing every index with its relations, the schemas and the limits."""

from __future__ import annotations

import pytest
from sru_fixtures import NS, validate

from indexer.cql import relations_of
from indexer.fields import CONTEXT_SETS, INDEXES


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
