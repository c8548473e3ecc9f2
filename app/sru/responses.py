"""SRU response builders: explain (ZeeRex), searchRetrieve and diagnostics, SRU 1.x and 2.0.

Ref: <https://www.loc.gov/standards/sru/sru-1-2.html>, <https://www.loc.gov/standards/sru/explain/>
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from app.sru.records import SCHEMAS
from app.sru.xcql import x_query
from indexer.marc.marcxml import clean_text, escape_text
from indexer.search.cql import RELATION_MODIFIERS, SORT_COLUMNS, relations_of
from indexer.search.fields import (
    ALL_RECORDS,
    COMBINED_TITLES,
    CONTEXT_SETS,
    FIELD_BY_NAME,
    LOCAL_PREFIX,
    index_names,
)

if TYPE_CHECKING:
    from cql.parser import CQLSearchClause, CQLTriple

    from app.sru.diagnostics import SRUDiagnostic
    from app.sru.operations import SRURequest

SRW_NS = "http://www.loc.gov/zing/srw/"
DIAG_NS = "http://www.loc.gov/zing/srw/diagnostic/"
SRU2_NS = "http://docs.oasis-open.org/ns/search-ws/sruResponse"
DIAG2_NS = "http://docs.oasis-open.org/ns/search-ws/diagnostic"
ZR_NS = "http://explain.z3950.org/dtd/2.0/"
ZEEREX_SCHEMA = "http://explain.z3950.org/dtd/2.0/"
DIAGNOSTIC_SCHEMA = "info:srw/schema/1/diagnostics-v1.1"
XML_DECLARATION = b"<?xml version='1.0' encoding='UTF-8'?>\n"
#: Echoed parameters, in schema order, for each major version.
ECHOED = {
    "1": (
        "query",
        "startRecord",
        "maximumRecords",
        "recordPacking",
        "recordSchema",
        "resultSetTTL",
    ),
    "2": (
        "queryType",
        "query",
        "startRecord",
        "maximumRecords",
        "recordXMLEscaping",
        "recordPacking",
        "recordSchema",
        "resultSetTTL",
    ),
}


class _Builder:
    """Element factory for one version's namespaces."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.ns = SRU2_NS if version == "2.0" else SRW_NS
        self.diag_ns = DIAG2_NS if version == "2.0" else DIAG_NS
        self.prefix = "sru" if version == "2.0" else "srw"

    def root(self, name: str) -> etree._Element:
        root = etree.Element(
            f"{{{self.ns}}}{name}", nsmap={self.prefix: self.ns, "diag": self.diag_ns}
        )
        if self.version != "2.0":
            self.add(root, "version", self.version)
        return root

    def add(self, parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
        el = etree.SubElement(parent, f"{{{self.ns}}}{name}")
        if text is not None:
            el.text = text
        return el

    def record(
        self,
        parent: etree._Element,
        schema: str,
        packing: str,
        data: etree._Element,
        position: int | None = None,
    ) -> None:
        record = self.add(parent, "record")
        self.add(record, "recordSchema", schema)
        if self.version == "2.0":
            self.add(record, "recordXMLEscaping", packing)
        else:
            self.add(record, "recordPacking", packing)
        holder = self.add(record, "recordData")
        if packing == "string":
            holder.text = etree.tostring(data, encoding="unicode")
        else:
            holder.append(data)
        if position is not None:
            self.add(record, "recordPosition", str(position))

    def diagnostic(self, diagnostic: SRUDiagnostic) -> etree._Element:
        el = etree.Element(f"{{{self.diag_ns}}}diagnostic", nsmap={"diag": self.diag_ns})
        etree.SubElement(el, f"{{{self.diag_ns}}}uri").text = diagnostic.diagnostic.uri
        if diagnostic.details:  # may quote the client's text: no XML-forbidden characters
            etree.SubElement(el, f"{{{self.diag_ns}}}details").text = clean_text(diagnostic.details)
        etree.SubElement(el, f"{{{self.diag_ns}}}message").text = diagnostic.diagnostic.message
        return el

    def diagnostics(self, parent: etree._Element, diagnostics: list[SRUDiagnostic]) -> None:
        if diagnostics:
            holder = self.add(parent, "diagnostics")
            for diagnostic in diagnostics:
                holder.append(self.diagnostic(diagnostic))


def search_retrieve(
    req: SRURequest,
    total: int,
    records: list[tuple[str, bytes | SRUDiagnostic]],
    diagnostics: list[SRUDiagnostic],
    tree: CQLSearchClause | CQLTriple | None = None,
) -> bytes:
    """Returns a searchRetrieveResponse document: hits, records (serialized XML, or surrogate
    diagnostics), echo (with ``tree``, the parsed query, as XCQL in SRU 1.x), diagnostics.

    Assembled as text, not as a tree: the records arrive serialized, and escaping the few other
    values costs less than building and serializing elements.
    """
    version = req.version
    p = "sru" if version == "2.0" else "srw"
    out = [
        f'<{p}:searchRetrieveResponse xmlns:{p}="{SRU2_NS if version == "2.0" else SRW_NS}"'
        f' xmlns:diag="{DIAG2_NS if version == "2.0" else DIAG_NS}">'
    ]
    if version != "2.0":
        out.append(f"<{p}:version>{version}</{p}:version>")
    out.append(f"<{p}:numberOfRecords>{total}</{p}:numberOfRecords>")
    if records:
        out.append(f"<{p}:records>")
        schema = SCHEMAS[req.record_schema].identifier
        packing = req.record_packing
        packing_tag = "recordXMLEscaping" if version == "2.0" else "recordPacking"
        for offset, (_mms_id, data) in enumerate(records):
            if isinstance(data, bytes):
                xml, identifier = data.decode("utf-8"), schema
            else:
                xml, identifier = _diagnostic(version, data), DIAGNOSTIC_SCHEMA
            out.append(
                f"<{p}:record><{p}:recordSchema>{identifier}</{p}:recordSchema>"
                f"<{p}:{packing_tag}>{packing}</{p}:{packing_tag}><{p}:recordData>"
            )
            out.append(escape_text(xml) if packing == "string" else xml)
            out.append(
                f"</{p}:recordData><{p}:recordPosition>{req.start_record + offset}"
                f"</{p}:recordPosition></{p}:record>"
            )
        out.append(f"</{p}:records>")
        following = req.start_record + len(records)
        if following <= total:
            out.append(f"<{p}:nextRecordPosition>{following}</{p}:nextRecordPosition>")
    echoed = _echoed(req)
    # SRU 1.x: the echo must hold query, then its XCQL form (xQuery), both mandatory
    if req.echo and (version == "2.0" or (echoed and echoed[0][0] == "query")):
        out.append(f"<{p}:echoedSearchRetrieveRequest><{p}:version>{version}</{p}:version>")
        for name, value in echoed:
            out.append(f"<{p}:{name}>{_text(value)}</{p}:{name}>")
            if name == "query" and version != "2.0":
                out.append(x_query(tree))
        out.append(f"</{p}:echoedSearchRetrieveRequest>")
    if diagnostics:
        out.append(f"<{p}:diagnostics>")
        out += [_diagnostic(version, d) for d in diagnostics]
        out.append(f"</{p}:diagnostics>")
    out.append(f"</{p}:searchRetrieveResponse>")
    return XML_DECLARATION + "".join(out).encode("utf-8")


def _text(value: str) -> str:
    return escape_text(value).replace("\r", "&#13;")


def _diagnostic(version: str, diagnostic: SRUDiagnostic) -> str:
    ns = DIAG2_NS if version == "2.0" else DIAG_NS
    details = (
        f"<diag:details>{_text(diagnostic.details)}</diag:details>" if diagnostic.details else ""
    )
    return (
        f'<diag:diagnostic xmlns:diag="{ns}"><diag:uri>{diagnostic.diagnostic.uri}</diag:uri>'
        f"{details}<diag:message>{_text(diagnostic.diagnostic.message)}</diag:message>"
        "</diag:diagnostic>"
    )


def _echoed(req: SRURequest) -> list[tuple[str, str]]:
    """Returns the echoed parameters, in schema order, that are valid where the schema types them."""
    echoed = []
    for name in ECHOED[req.version[0]]:
        value = req.echo.get(name)
        if value is None or (name == "query" and value == ""):
            continue
        if name in ("startRecord", "maximumRecords", "resultSetTTL") and not value.isdigit():
            continue
        if name == "startRecord" and value.strip("0") == "":
            continue
        if name == "recordXMLEscaping" and value not in ("xml", "string"):
            continue
        echoed.append((name, value))
    return echoed


def serialize(root: etree._Element) -> bytes:
    """Returns a response tree as a UTF-8 document with its XML declaration."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def failure(version: str, operation: str, diagnostic: SRUDiagnostic, explain_record=None):
    """Returns the response of a request that a fatal diagnostic stopped."""
    b = _Builder(version)
    if operation == "explain" and explain_record is not None:
        root = b.root("explainResponse")
        b.record(root, ZEEREX_SCHEMA, "xml", explain_record)
    else:
        root = b.root("searchRetrieveResponse")
        b.add(root, "numberOfRecords", "0")
    b.diagnostics(root, [diagnostic])
    return root


def explain(version: str, packing: str, record: etree._Element) -> etree._Element:
    """Returns an explainResponse holding the ZeeRex record."""
    b = _Builder(version)
    root = b.root("explainResponse")
    b.record(root, ZEEREX_SCHEMA, packing, record)
    return root


def zeerex(
    host: str, port: int, database: str, version: str, local_tags: list[str], config
) -> etree._Element:
    """Returns the ZeeRex 2.0 record: server, database, every index with its relations, schemas,
    defaults and limits."""

    def z(parent, tag, text=None, /, **attrib):
        el = etree.SubElement(parent, f"{{{ZR_NS}}}{tag}", {k: str(v) for k, v in attrib.items()})
        if text is not None:
            el.text = str(text)
        return el

    root = etree.Element(f"{{{ZR_NS}}}explain", nsmap={"zr": ZR_NS}, authoritative="true")
    server = z(root, "serverInfo", protocol="SRU", version=version, transport="http")
    z(server, "host", host)
    z(server, "port", port)
    z(server, "database", database)
    info = z(root, "databaseInfo")
    z(info, "title", config["SRU_DATABASE_TITLE"], lang="en", primary="true")
    z(
        info,
        "description",
        "Library catalogue with real-time availability (AVA/AVE/AVD).",
        lang="en",
        primary="true",
    )
    indexes = z(root, "indexInfo")
    for prefix, uri in CONTEXT_SETS.items():
        z(indexes, "set", name=prefix, identifier=uri)
    by_target: dict[str, list[str]] = {}
    for name, target in index_names(local_tags):
        by_target.setdefault(target, []).append(name)
    for target, names in by_target.items():
        el = z(
            indexes,
            "index",
            search="true",
            scan="false",
            sort="true" if target in SORT_COLUMNS else "false",
            id=target,
        )
        z(el, "title", _title(target), lang="en")
        for name in names:
            set_name, base = name.split(".", 1)
            z(z(el, "map"), "name", base, set=set_name)
        relations = z(el, "configInfo")
        for relation in relations_of(target):
            z(relations, "supports", relation, type="relation")
    el = z(indexes, "index", search="true", scan="false", sort="false", id="allRecords")
    z(el, "title", "All records", lang="en")
    z(z(el, "map"), "name", ALL_RECORDS.split(".")[1], set="cql")
    schemas = z(root, "schemaInfo")
    for schema in SCHEMAS.values():
        el = z(
            schemas,
            "schema",
            identifier=schema.identifier,
            location=schema.location,
            sort="false",
            retrieve="true",
            name=schema.name,
        )
        z(el, "title", schema.title, lang="en")
    settings = z(root, "configInfo")
    z(settings, "default", config["SRU_DEFAULT_MAXIMUM_RECORDS"], type="numberOfRecords")
    z(settings, "default", config["SRU_DEFAULT_RECORD_SCHEMA"], type="retrieveSchema")
    z(settings, "default", "cql.serverChoice", type="index")
    z(settings, "default", "=", type="relation")
    z(settings, "setting", config["SRU_MAXIMUM_RECORDS"], type="maximumRecords")
    z(settings, "setting", config["SRU_MAX_START_RECORD"], type="maximumStartRecord")
    for modifier in RELATION_MODIFIERS:
        z(settings, "supports", modifier, type="relationModifier")
    for name in ("unit=word", "distance", "ordered", "unordered"):
        z(settings, "supports", name, type="proximityModifier")
    z(settings, "supports", "*", type="maskingCharacter")
    z(settings, "supports", "?", type="maskingCharacter")
    z(settings, "supports", "^", type="anchoring")
    z(settings, "supports", type="proximity")
    z(
        settings,
        "supports",
        "sort.ascending sort.descending sort.ignoreCase sort.missingHigh",
        type="sort",
    )
    return root


def _title(target: str) -> str:
    if target in COMBINED_TITLES:
        return COMBINED_TITLES[target]
    if target.startswith(LOCAL_PREFIX):
        return f"Local field {target[len(LOCAL_PREFIX) :]}"
    return FIELD_BY_NAME[target].title
