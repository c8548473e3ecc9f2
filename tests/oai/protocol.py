"""Helpers of the OAI-PMH tests: the official schemas, validation, XPath and list walking."""

from __future__ import annotations

from lxml import etree

from app.xml import NAMESPACES
from indexer.marc.marcxml import SAFE_PARSER
from tests.conftest import TESTS

SCHEMAS = TESTS / "schemas"
OAI_SCHEMA = etree.XMLSchema(etree.parse(str(SCHEMAS / "OAI-PMH.xsd")))
MARC_SCHEMA = etree.XMLSchema(etree.parse(str(SCHEMAS / "MARC21slim.xsd")))
DC_SCHEMA = etree.XMLSchema(etree.parse(str(SCHEMAS / "oai_dc.xsd")))
NS = NAMESPACES
REPO = "pressmark.example.org"


def validate(data: bytes) -> etree._Element:
    """Parses a response and validates it, and every metadata part, against the official schemas."""
    root = etree.fromstring(data, SAFE_PARSER)
    OAI_SCHEMA.assertValid(root)
    for metadata in root.iterfind(".//oai:metadata", NS):
        (payload,) = list(metadata)
        schema = MARC_SCHEMA if etree.QName(payload).namespace == NS["marc"] else DC_SCHEMA
        schema.assertValid(etree.ElementTree(payload))
    return root


def oai(client, method: str = "get", **params: str) -> etree._Element:
    """Sends an OAI-PMH request through the Flask test client; returns the validated response."""
    if method == "post":
        response = client.post("/oai", data=params)
    else:
        response = client.get("/oai", query_string=params)
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    return validate(response.data)


def error_code(root: etree._Element) -> str | None:
    """Returns the code of the response's error, or None."""
    found = root.find("oai:error", NS)
    return None if found is None else found.get("code")


def xpath(root: etree._Element, path: str) -> list:
    return root.xpath(path, namespaces=NS)


def walk(client, verb: str, **params: str) -> list[etree._Element]:
    """Returns every page of a list, following resumption tokens."""
    pages = [oai(client, verb=verb, **params)]
    while True:
        token = pages[-1].find(f"oai:{verb}/oai:resumptionToken", NS)
        if token is None or not token.text:
            return pages
        pages.append(oai(client, verb=verb, resumptionToken=token.text))


def identifier(mms_id: str) -> str:
    return f"oai:{REPO}:{mms_id}"
