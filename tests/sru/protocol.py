"""Helpers of the index and SRU tests: validation of responses against the official schemas (read
from local copies only, never fetched), an index over the sample store, and an oracle that counts
matching records straight from the stored MARC."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from lxml import etree

from indexer.search import index
from indexer.search.fields import FIELD_BY_NAME
from tests.conftest import TESTS

SRU_SCHEMAS = TESTS / "schemas" / "sru"
NS = {
    "srw": "http://www.loc.gov/zing/srw/",
    "sru": "http://docs.oasis-open.org/ns/search-ws/sruResponse",
    "diag": "http://www.loc.gov/zing/srw/diagnostic/",
    "diag2": "http://docs.oasis-open.org/ns/search-ws/diagnostic",
    "zr": "http://explain.z3950.org/dtd/2.0/",
    "marc": "http://www.loc.gov/MARC21/slim",
    "srw_dc": "info:srw/schema/1/dc-schema",
    "dc": "http://purl.org/dc/elements/1.1/",
    "mods": "http://www.loc.gov/mods/v3",
}
#: Schema of each response envelope and record namespace (see schemas/sru/README.md for origins).
SCHEMA_FILES = {
    "1.2": SRU_SCHEMAS / "1.2" / "srw-types.xsd",
    "2.0": SRU_SCHEMAS / "2.0" / "sruResponse.xsd",
    NS["diag"]: SRU_SCHEMAS / "1.2" / "diagnostic.xsd",
    NS["diag2"]: SRU_SCHEMAS / "2.0" / "diagnostic.xsd",
    NS["zr"]: SRU_SCHEMAS / "zeerex-2.0.xsd",
    NS["srw_dc"]: SRU_SCHEMAS / "dc-schema.xsd",
    NS["mods"]: SRU_SCHEMAS / "mods" / "mods-3-6.xsd",
    NS["marc"]: TESTS / "schemas" / "MARC21slim.xsd",
}
_schemas: dict[str, etree.XMLSchema] = {}


class _LocalOnly(etree.Resolver):
    """Refuses every schema import or include that is not a local file, so nothing is fetched."""

    def resolve(self, url, pubid, context):
        if "://" in (url or "") and not url.startswith("file:"):
            raise OSError(f"schema import of {url} is not a local copy")
        return None


def schema_parser() -> etree.XMLParser:
    """Returns the parser of the schema files: no network, no entity expansion, local files only."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_LocalOnly())
    return parser


def schema(name: str) -> etree.XMLSchema:
    """Returns the validator of a response version ("1.2", "2.0") or of a record namespace."""
    if name not in _schemas:
        path = SCHEMA_FILES[name]
        _schemas[name] = etree.XMLSchema(etree.parse(str(path), schema_parser()))
    return _schemas[name]


def validate(body: bytes) -> etree._Element:
    """Parses an SRU response and validates it and each record in it; returns the root."""
    root = etree.fromstring(body)
    version = "2.0" if root.tag.startswith("{" + NS["sru"]) else "1.2"
    envelope = schema(version)
    assert envelope.validate(root), envelope.error_log
    prefix = "sru" if version == "2.0" else "srw"
    for data in root.iterfind(f".//{prefix}:recordData", NS):
        packing = data.getparent().findtext(
            f"{prefix}:recordXMLEscaping" if version == "2.0" else f"{prefix}:recordPacking",
            None,
            NS,
        )
        children = list(data)
        if packing == "string":
            assert not children
            inner = etree.fromstring(data.text.encode("utf-8"))
        else:
            assert len(children) == 1
            inner = children[0]
        validate_record(inner)
    return root


def validate_record(record: etree._Element) -> None:
    """Validates one record (MARCXML, DC, MODS, ZeeRex or a surrogate diagnostic) against its
    official schema."""
    namespace = etree.QName(record).namespace
    assert namespace in SCHEMA_FILES, namespace
    check = schema(namespace)
    assert check.validate(etree.ElementTree(record)), check.error_log
    if namespace == NS["mods"]:
        assert record.find("mods:recordInfo/mods:recordIdentifier", NS) is not None


def diagnostics(root: etree._Element) -> list[tuple[int, str]]:
    """Returns (number, details) of each diagnostic of a response."""
    found = []
    for diag in root.iterfind(".//diag:diagnostic", NS) or []:
        found.append(diag)
    found += root.findall(".//diag2:diagnostic", NS)
    out = []
    for diag in found:
        uri = diag.findtext("{*}uri")
        out.append((int(uri.rsplit("/", 1)[1]), diag.findtext("{*}details") or ""))
    return out


def number_of_records(root: etree._Element) -> int:
    return int(root.findtext("{*}numberOfRecords"))


def build_index(store, app) -> Path:
    """Builds the app's index from its store; returns the index folder."""
    index_dir = Path(app.config["INDEX_DIR"])
    index.rebuild(store, index_dir)
    return index_dir


# the oracle ---------------------------------------------------------------------------------------


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    return re.findall(r"\w+", _fold(text))


def field_values(record, name: str) -> list[str]:
    """Returns the values of search field ``name`` taken straight from a pymarc record."""
    spec = dict(FIELD_BY_NAME[name].marc)
    values = []
    for field in record.fields:
        codes = spec.get(field.tag)
        if codes is None or field.is_control_field():
            continue
        value = " ".join(v for c, v in field.subfields if c in codes and v)
        if value:
            values.append(value)
    return values


def field_tokens(record, name: str) -> list[str]:
    return [t for v in field_values(record, name) for t in tokens(v)]


def all_tokens(record) -> set[str]:
    return {
        t
        for f in record.fields
        if not f.is_control_field()
        for _, v in f.subfields
        for t in tokens(v or "")
    }


def has_phrase(words: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return any(words[i : i + n] == phrase for i in range(len(words) - n + 1))


def year(record) -> int | None:
    f008 = record.get("008")
    data = f008.data if f008 is not None and f008.data else ""
    head = data[7:11] if len(data) >= 11 else ""
    if head.isdigit() and head != "0000":
        return int(head)
    for field in record.get_fields("260", "264"):
        for value in field.get_subfields("c"):
            found = re.search(r"\b(1[0-9]{3}|20[0-9]{2})\b", value)
            if found:
                return int(found.group())
    return None


def common_title_word(store) -> tuple[str, int]:
    """Returns the most frequent title word (over 3 letters) of the store, and its record count."""
    counts: dict[str, int] = {}
    for stored in store.iter_records():
        for word in set(field_tokens(stored.marc, "title")):
            if len(word) > 3:
                counts[word] = counts.get(word, 0) + 1
    word = max(counts, key=lambda w: (counts[w], w))
    return word, counts[word]
