"""XML namespaces, datestamp formatting and small lxml helpers shared by the protocol packages."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache

from lxml import etree

from indexer.marc.dublin_core import DC_NS, OAI_DC_NS, OAI_DC_SCHEMA
from indexer.marc.marcxml import MARC_NS, MARC_SCHEMA_LOCATION, XSI_NS, clean_text, escape_attr

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_IDENTIFIER_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"
OAI_IDENTIFIER_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"

NSMAP = {None: OAI_NS, "xsi": XSI_NS}
NAMESPACES = {
    "oai": OAI_NS,
    "marc": MARC_NS,
    "oai_dc": OAI_DC_NS,
    "dc": DC_NS,
    "xsi": XSI_NS,
    "oai-identifier": OAI_IDENTIFIER_NS,
}
"""Prefix -> namespace, for XPath on responses."""

__all__ = [
    "DC_NS",
    "MARC_NS",
    "MARC_SCHEMA_LOCATION",
    "NAMESPACES",
    "NSMAP",
    "OAI_DC_NS",
    "OAI_DC_SCHEMA",
    "OAI_IDENTIFIER_NS",
    "OAI_NS",
    "XSI_NS",
    "escape_attr",
    "format_datestamp",
    "parse_datestamp",
    "sub",
]

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_SECONDS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\Z")


@lru_cache(maxsize=4096)  # a list page shares a few datestamps
def format_datestamp(seconds: int | float) -> str:
    """Returns epoch seconds as a UTC datestamp ``YYYY-MM-DDThh:mm:ssZ``."""
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datestamp(value: str, *, end_of_day: bool = False) -> tuple[int, str] | None:
    """Returns (epoch seconds, granularity) of a datestamp in either OAI granularity, or None.

    A day (``YYYY-MM-DD``) stands for its first second, or its last with ``end_of_day``.
    Granularity is ``day`` or ``seconds``.
    """
    if _SECONDS.match(value):
        fmt, granularity = "%Y-%m-%dT%H:%M:%SZ", "seconds"
    elif _DAY.match(value):
        fmt, granularity = "%Y-%m-%d", "day"
    else:
        return None
    try:
        moment = datetime.strptime(value, fmt).replace(tzinfo=UTC)
    except ValueError:
        return None
    seconds = int(moment.timestamp())
    if granularity == "day" and end_of_day:
        seconds += 86399
    return seconds, granularity


def sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    """Appends a child in the OAI-PMH namespace (``tag`` may be Clark-qualified) with text."""
    if not tag.startswith("{"):
        tag = f"{{{OAI_NS}}}{tag}"
    el = etree.SubElement(parent, tag, {k: clean_text(v) for k, v in attrs.items()})
    if text is not None:
        el.text = clean_text(text)
    return el
