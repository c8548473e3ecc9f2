"""OAI-PMH responses: the envelope, errors, one builder per verb (the lists: ``lists.py``).

Every builder returns the response's bytes. Records are spliced into an envelope built with lxml:
their published XML is stored ready (``indexer.marc.published``), so it is never parsed again here.
Ref: <https://www.openarchives.org/OAI/openarchivesprotocol.html>
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from app.oai import formats
from app.oai.errors import (
    BadResumptionToken,
    CannotDisseminateFormat,
    IdDoesNotExist,
    NoMetadataFormats,
    NoSetHierarchy,
    OAIError,
)
from app.oai.verbs import Arguments
from app.xml import (
    DC_NS,
    NSMAP,
    OAI_DC_NS,
    OAI_DC_SCHEMA,
    OAI_IDENTIFIER_NS,
    OAI_IDENTIFIER_SCHEMA,
    OAI_NS,
    OAI_SCHEMA,
    XSI_NS,
    escape_attr,
    format_datestamp,
    sub,
)
from indexer.store.records import RecordStore

SCHEMA_LOCATION = f"{{{XSI_NS}}}schemaLocation"
COMPRESSIONS = ("gzip", "deflate")
"""Content codings the provider offers (announced in Identify)."""


@dataclass(frozen=True)
class Context:
    """What every builder needs: the store, the settings, the base URL and the response time."""

    store: RecordStore
    config: Mapping[str, Any]
    base_url: str
    now: int

    def identifier(self, mms_id: str) -> str:
        """Returns the OAI identifier of an MMS ID: ``oai:<repository id>:<MMS ID>``."""
        return f"oai:{self.config['OAI_REPOSITORY_IDENTIFIER']}:{mms_id}"

    def mms_id(self, identifier: str) -> str:
        """Returns the MMS ID of an OAI identifier.

        Raises:
            IdDoesNotExist: not an identifier of this repository.
        """
        prefix = f"oai:{self.config['OAI_REPOSITORY_IDENTIFIER']}:"
        if not identifier.startswith(prefix) or len(identifier) == len(prefix):
            raise IdDoesNotExist(f"{identifier} is not an identifier of this repository")
        return identifier[len(prefix) :]


def envelope(ctx: Context, args: Arguments | None) -> etree._Element:
    """Returns the ``OAI-PMH`` root with responseDate and request (arguments echoed if given)."""
    root = etree.Element(f"{{{OAI_NS}}}OAI-PMH", nsmap=NSMAP)
    root.set(SCHEMA_LOCATION, f"{OAI_NS} {OAI_SCHEMA}")
    sub(root, "responseDate", format_datestamp(ctx.now))
    attrs = {"verb": args.verb, **args.echo} if args is not None else {}
    sub(root, "request", ctx.base_url, **attrs)
    return root


def serialize(root: etree._Element) -> bytes:
    """Returns a response document as UTF-8 bytes with an XML declaration."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def splice(root: etree._Element, container: etree._Element, chunks: Iterable[bytes]) -> bytes:
    """Serializes ``root`` with ``chunks`` (ready UTF-8 XML) as the first children of ``container``.

    ``container`` must be the last element of the document to hold children.
    """
    container.text = ""
    data = serialize(root)
    opening = data.rfind(f"<{etree.QName(container).localname}>".encode())
    # records go before the container's first child (a resumptionToken) or its closing tag
    at = data.find(b"<", opening + 1)
    return b"".join((data[:at], *chunks, data[at:]))


def error(ctx: Context, exc: OAIError, args: Arguments | None) -> bytes:
    """Returns the response of an OAI-PMH error (arguments echoed unless badVerb/badArgument)."""
    root = envelope(ctx, args if exc.echo_arguments else None)
    sub(root, "error", exc.message or exc.code(), code=exc.code())
    return serialize(root)


def header_markup(identifier: str, datestamp: int, sets: Iterable[str], deleted: bool) -> bytes:
    """Returns a record ``header`` as UTF-8 XML (text, not lxml: it runs for every listed record)."""
    status = ' status="deleted"' if deleted else ""
    specs = "".join(f"<setSpec>{escape_attr(spec)}</setSpec>" for spec in sets)
    return (
        f"<header{status}><identifier>{escape_attr(identifier)}</identifier>"
        f"<datestamp>{format_datestamp(datestamp)}</datestamp>{specs}</header>"
    ).encode()


def record_markup(header: bytes, blob: bytes | None) -> bytes:
    """Returns a ``record``: its header and, for a live record, its stored metadata as stored."""
    if blob is None:
        return b"".join((b"<record>", header, b"</record>"))
    return b"".join((b"<record>", header, b"<metadata>", blob, b"</metadata></record>"))


def identify(ctx: Context, args: Arguments) -> bytes:
    """Identify. Ref: <https://www.openarchives.org/OAI/openarchivesprotocol.html#Identify>."""
    root = envelope(ctx, args)
    el = sub(root, "Identify")
    sub(el, "repositoryName", ctx.config["OAI_REPOSITORY_NAME"])
    sub(el, "baseURL", ctx.base_url)
    sub(el, "protocolVersion", "2.0")
    emails = ctx.config["OAI_ADMIN_EMAIL"]
    if isinstance(emails, str):
        emails = [e.strip() for e in emails.split(",") if e.strip()]
    for email in emails:
        sub(el, "adminEmail", email)
    sub(el, "earliestDatestamp", format_datestamp(ctx.store.earliest_datestamp() or 0))
    sub(el, "deletedRecord", "persistent")
    sub(el, "granularity", "YYYY-MM-DDThh:mm:ssZ")
    for coding in COMPRESSIONS:
        sub(el, "compression", coding)
    repository = ctx.config["OAI_REPOSITORY_IDENTIFIER"]
    ident = etree.SubElement(
        sub(el, "description"),
        f"{{{OAI_IDENTIFIER_NS}}}oai-identifier",
        nsmap={None: OAI_IDENTIFIER_NS},
    )
    ident.set(SCHEMA_LOCATION, f"{OAI_IDENTIFIER_NS} {OAI_IDENTIFIER_SCHEMA}")
    for name, value in (
        ("scheme", "oai"),
        ("repositoryIdentifier", repository),
        ("delimiter", ":"),
        ("sampleIdentifier", ctx.identifier(ctx.store.make_id("99", 1))),
    ):
        sub(ident, f"{{{OAI_IDENTIFIER_NS}}}{name}", value)
    return serialize(root)


def list_metadata_formats(ctx: Context, args: Arguments) -> bytes:
    """ListMetadataFormats, of the repository or of one item.

    Raises:
        IdDoesNotExist: unknown identifier.
        NoMetadataFormats: the item is deleted or has no published format.
    """
    prefixes = formats.offered(ctx.config)
    if args.identifier is not None:
        mms_id = ctx.mms_id(args.identifier)
        if ctx.store.record_id(mms_id) is None:
            raise IdDoesNotExist(f"{args.identifier} does not exist")
        prefixes = [p for p in prefixes if ctx.store.published(mms_id, p) is not None]
    if not prefixes:
        raise NoMetadataFormats("no metadata formats are available for this item")
    root = envelope(ctx, args)
    el = sub(root, "ListMetadataFormats")
    for prefix in prefixes:
        schema, namespace = formats.FORMATS[prefix]
        fmt = sub(el, "metadataFormat")
        sub(fmt, "metadataPrefix", prefix)
        sub(fmt, "schema", schema)
        sub(fmt, "metadataNamespace", namespace)
    return serialize(root)


def list_sets(ctx: Context, args: Arguments) -> bytes:
    """ListSets: every set in one response, each with its name and description (as oai_dc).

    Raises:
        BadResumptionToken: a token was sent (this list is never split).
        NoSetHierarchy: no set is defined.
    """
    if args.resumption_token is not None:
        raise BadResumptionToken("ListSets does not issue resumption tokens")
    sets = ctx.store.list_sets()
    if not sets:
        raise NoSetHierarchy("this repository has no sets")
    root = envelope(ctx, args)
    el = sub(root, "ListSets")
    for spec, name, description, _query in sets:
        item = sub(el, "set")
        sub(item, "setSpec", spec)
        sub(item, "setName", name or spec)
        if description:
            dc = etree.SubElement(
                sub(item, "setDescription"),
                f"{{{OAI_DC_NS}}}dc",
                nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS},
            )
            dc.set(SCHEMA_LOCATION, f"{OAI_DC_NS} {OAI_DC_SCHEMA}")
            sub(dc, f"{{{DC_NS}}}description", description)
    return serialize(root)


def get_record(ctx: Context, args: Arguments) -> bytes:
    """GetRecord: the stored metadata of one item, or its deleted header.

    Raises:
        IdDoesNotExist: unknown identifier.
        CannotDisseminateFormat: the format is not published for this item.
    """
    assert args.identifier is not None
    assert args.metadata_prefix is not None
    mms_id = ctx.mms_id(args.identifier)
    stored = ctx.store.get(mms_id)
    if stored is None:
        raise IdDoesNotExist(f"{args.identifier} does not exist")
    if args.metadata_prefix not in formats.offered(ctx.config):
        raise CannotDisseminateFormat(f"{args.metadata_prefix} is not published here")
    blob = None
    if not stored.deleted:
        blob = ctx.store.published(mms_id, args.metadata_prefix)
        if blob is None:
            raise CannotDisseminateFormat(f"{args.metadata_prefix} is not published for this item")
    header = header_markup(
        args.identifier, int(stored.datestamp.timestamp()), stored.sets, stored.deleted
    )
    root = envelope(ctx, args)
    return splice(root, sub(root, "GetRecord"), [record_markup(header, blob)])
