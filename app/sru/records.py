"""Record schemas of searchRetrieve: marcxml (with availability), dc and mods, built at response time.

Each record is built from the store's source MARC and the record's current inventory, so that a loan
or a return shows in the next response.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from lxml import etree

from indexer.dublin_core import DC_NS, dublin_core
from indexer.marcxml import MARC_NS, SAFE_PARSER, clean_text, record_from_xml
from indexer.mods import MODS_NS, MODS_SCHEMA, record_to_mods
from indexer.publish import PublishOptions, marc21_xml
from indexer.store import RecordStore

SRW_DC_NS = "info:srw/schema/1/dc-schema"


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


def build_record(store: RecordStore, mms_id: str, schema: str) -> etree._Element | None:
    """Returns a record in a schema, or None when the store no longer has it live."""
    row = store.conn.execute(
        "SELECT id, marcxml FROM records WHERE mms_id = ? AND deleted = 0", (mms_id,)
    ).fetchone()
    if row is None:
        return None
    rec_id, marcxml = row
    record = record_from_xml(marcxml)
    if schema == "dc":
        return _dc(record)
    if schema == "mods":
        return record_to_mods(record, mms_id)
    config = current_app.config
    options = PublishOptions(
        institution=config["INSTITUTION_CODE"],
        holdings_852=bool(config["PUBLISH_HOLDINGS_852"]),
        availability=bool(config["SRU_AVAILABILITY"]),
    )
    inventory = store.inventory.of_record(rec_id)
    return etree.fromstring(marc21_xml(record, mms_id, inventory, options), SAFE_PARSER)


def _dc(record) -> etree._Element:
    root = etree.Element(f"{{{SRW_DC_NS}}}dc", nsmap={"srw_dc": SRW_DC_NS, "dc": DC_NS})
    for name, values in dublin_core(record).items():
        for value in values:
            etree.SubElement(root, f"{{{DC_NS}}}{name}").text = clean_text(value)
    return root
