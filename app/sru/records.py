"""Record schemas of searchRetrieve: marcxml (with availability), dc and mods, as serialized XML.

A page's records are read from the store in one query. ``marcxml`` is the record's published
``marc21`` XML that the store keeps (rendered again whenever the record or its inventory changes, so
a loan or a return shows in the next response), and ``dc`` is its published ``oai_dc`` with the SRU
wrapper, whenever the SRU settings ask for what publishing renders: no ``PUBLISH_RULES`` (SRU serves
the catalogue's records, not the normalized ones that OAI-PMH harvesters get) and ``SRU_AVAILABILITY``
equal to ``PUBLISH_AVAILABILITY``. Otherwise, and for a record without published XML, the record is
rendered here from its source MARC and its current inventory. ``mods`` is always rendered here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml import etree

from indexer.marc.dublin_core import DC_NS, dublin_core
from indexer.marc.marcxml import MARC_NS, escape_text, record_from_xml
from indexer.marc.mods import MODS_NS, MODS_SCHEMA, record_to_mods
from indexer.marc.published import PublishOptions, marc21_xml

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from indexer.store.records import RecordStore

SRW_DC_NS = "info:srw/schema/1/dc-schema"
DC_OPEN = f'<srw_dc:dc xmlns:srw_dc="{SRW_DC_NS}" xmlns:dc="{DC_NS}">'.encode()
DC_CLOSE = b"</srw_dc:dc>"
_OAI_DC_OPEN = b"<oai_dc:dc "
_OAI_DC_CLOSE = b"</oai_dc:dc>"
#: Published prefix that holds each schema, when publishing renders what SRU serves.
PUBLISHED = {"marcxml": "marc21", "dc": "oai_dc"}


@dataclass(frozen=True)
class RecordSchema:
    """A record schema: short name, identifier, XML namespace and XSD location, title."""

    name: str
    identifier: str
    namespace: str
    location: str
    title: str


SCHEMAS = {
    "marcxml": RecordSchema(
        "marcxml",
        "info:srw/schema/1/marcxml-v1.1",
        MARC_NS,
        "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd",
        "MARC 21 XML (with AVA/AVE/AVD availability)",
    ),
    "dc": RecordSchema(
        "dc",
        "info:srw/schema/1/dc-v1.1",
        SRW_DC_NS,
        "http://www.loc.gov/standards/sru/recordSchemas/dc-schema.xsd",
        "Dublin Core",
    ),
    "mods": RecordSchema("mods", "info:srw/schema/1/mods-v3.6", MODS_NS, MODS_SCHEMA, "MODS 3.6"),
}
#: Other names clients use for the schemas.
ALIASES = {
    "marc21": "marcxml",
    "marc": "marcxml",
    "marcxml-v1.1": "marcxml",
    "info:srw/schema/1/marcxml-v1.1-light": "marcxml",
    MARC_NS: "marcxml",
    "http://purl.org/dc/elements/1.1/": "dc",
    "info:srw/schema/1/mods-v3.5": "mods",
    MODS_NS: "mods",
}


def schema_key(name: str) -> str | None:
    """Returns the short name of a record schema given by name or identifier, or None."""
    if name in SCHEMAS:
        return name
    for key, schema in SCHEMAS.items():
        if name == schema.identifier:
            return key
    return ALIASES.get(name) or ALIASES.get(name.lower())


def marc_options(config: Mapping) -> PublishOptions:
    """Returns the enrichment of SRU's ``marcxml`` records (852 as published, live availability)."""
    return PublishOptions(
        institution=config["INSTITUTION_CODE"],
        holdings_852=bool(config["PUBLISH_HOLDINGS_852"]),
        availability=bool(config["SRU_AVAILABILITY"]),
    )


def serves_published(config: Mapping, schema: str) -> bool:
    """Returns whether the store's published XML is what SRU serves in ``schema``."""
    if schema not in PUBLISHED or config.get("PUBLISH_RULES"):
        return False
    if schema == "marcxml":
        return bool(config["SRU_AVAILABILITY"]) == bool(config["PUBLISH_AVAILABILITY"])
    return True


class RecordError(Exception):
    """A record that cannot be rendered in the schema (it becomes a surrogate diagnostic)."""


def fetch(
    store: RecordStore, mms_ids: Sequence[str], schema: str, config: Mapping
) -> dict[str, bytes | RecordError]:
    """Returns the serialized XML of each live record of ``mms_ids`` in ``schema`` (UTF-8, no XML
    declaration); a record that cannot be rendered maps to a :class:`RecordError`, and a record the
    store no longer has live is left out."""
    if not mms_ids:
        return {}
    marks = ",".join("?" * len(mms_ids))
    out: dict[str, bytes | RecordError] = {}
    missing = list(mms_ids)
    if serves_published(config, schema):
        rows = store.conn.execute(
            "SELECT r.mms_id, p.xml FROM records r JOIN published p ON p.record_id = r.id"
            f" WHERE r.mms_id IN ({marks}) AND r.deleted = 0 AND p.prefix = ?",
            (*mms_ids, PUBLISHED[schema]),
        ).fetchall()
        for mms_id, xml in rows:
            data = _from_published(schema, bytes(xml))
            if data is not None:
                out[mms_id] = data
        missing = [m for m in mms_ids if m not in out]
        if not missing:
            return out
        marks = ",".join("?" * len(missing))
    rows = store.conn.execute(
        f"SELECT mms_id, id, marcxml FROM records WHERE mms_id IN ({marks}) AND deleted = 0",
        missing,
    ).fetchall()
    for mms_id, rec_id, marcxml in rows:
        try:
            out[mms_id] = render(store, rec_id, mms_id, marcxml, schema, config)
        except Exception as exc:  # one odd record must not sink the page
            out[mms_id] = RecordError(f"cannot render {mms_id} as {schema}: {exc}")
    return out


def _from_published(schema: str, xml: bytes) -> bytes | None:
    if schema == "marcxml":
        return xml
    # oai_dc and SRU's dc hold the same elements; only the wrapper element differs
    if xml.startswith(_OAI_DC_OPEN) and xml.endswith(_OAI_DC_CLOSE):
        return DC_OPEN + xml[xml.index(b">") + 1 : -len(_OAI_DC_CLOSE)] + DC_CLOSE
    return None


def render(
    store: RecordStore, rec_id: int, mms_id: str, marcxml: bytes, schema: str, config: Mapping
) -> bytes:
    """Returns a stored record rendered in ``schema`` from its source MARC (and inventory)."""
    record = record_from_xml(marcxml)
    if schema == "dc":
        parts = [DC_OPEN.decode()]
        for name, values in dublin_core(record).items():
            parts += [f"<dc:{name}>{escape_text(value)}</dc:{name}>" for value in values]
        parts.append(DC_CLOSE.decode())
        return "".join(parts).encode("utf-8")
    if schema == "mods":
        return etree.tostring(
            record_to_mods(record, mms_id), encoding="UTF-8", xml_declaration=False
        )
    inventory = store.inventory.of_record(rec_id)
    return marc21_xml(record, mms_id, inventory, marc_options(config))
