"""The published representation of a record: rendered when the record or its inventory changes.

The store keeps what this module renders, one XML blob per metadata prefix, so that OAI-PMH lists
stream stored bytes. A change of the rendered bytes is a change of what is published: the store then
bumps the record's datestamp so that incremental harvesters receive it.

``marc21`` is MARCXML valid against MARC21slim.xsd even when the source record is not (the stored
source record stays as it came): leader positions that the schema's pattern rejects are repaired,
invalid indicators become blanks, fields whose tag the schema rejects are dropped, subfields with an
invalid code are dropped, and data fields left without subfields are dropped. As Alma publishes,
001 holds the MMS ID and the source's 001 (qualified by its 003, which is dropped) moves to a 035.
With the options, the holdings give 852 fields (replacing the record's own) and the inventory gives
AVA/AVE/AVD fields (:mod:`indexer.marc.enrich`).

With normalization rules (``PublishOptions.rules``, the ``PUBLISH_RULES`` setting), the enriched
record goes through the rules and is repaired again, so what the rules add still validates; 001
stays the MMS ID whatever the rules do. ``oai_dc`` is then derived from the normalized record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pymarc import Field, Record, Subfield

from indexer.marc.dublin_core import record_to_dc
from indexer.marc.enrich import availability_fields, holdings_852
from indexer.marc.inventory import EMPTY, Inventory
from indexer.marc.marcxml import MARC_NS, clean_text, escape_attr, escape_text, record_from_xml

if TYPE_CHECKING:
    from indexer.rules import RuleSet

PREFIXES = ("marc21", "oai_dc")
"""Metadata prefixes that :func:`render` knows."""


@dataclass(frozen=True)
class PublishOptions:
    """What goes into the published records."""

    prefixes: tuple[str, ...] = PREFIXES
    institution: str = "PRESSMARK"
    holdings_852: bool = False
    availability: bool = False
    rules: RuleSet | None = None


def render(
    record: Record, mms_id: str, inventory: Inventory, options: PublishOptions
) -> dict[str, bytes]:
    """Returns the published XML of ``record`` for each metadata prefix of ``options``."""
    blobs = {}
    marc21 = None
    if "marc21" in options.prefixes or options.rules is not None:
        marc21 = marc21_xml(record, mms_id, inventory, options)
    if options.rules is not None:
        record = options.rules.apply(record_from_xml(marc21))
        marc21 = marc21_xml(record, mms_id, EMPTY, PublishOptions(institution=options.institution))
    if "marc21" in options.prefixes:
        blobs["marc21"] = marc21
    if "oai_dc" in options.prefixes:
        blobs["oai_dc"] = record_to_dc(record)
    return blobs


# MARC21slim.xsd patterns -----------------------------------------------------------------------

_LEADER_OK = re.compile(
    r"[\d ]{5}[\dA-Za-z ][\dA-Za-z][\dA-Za-z ]{3}(2| )(2| )[\d ]{5}[\dA-Za-z ]{3}(4500|    )\Z"
)
_CONTROL_TAG = re.compile(r"00[1-9A-Za-z]\Z")
_DATA_TAG = re.compile(
    r"(0[1-9A-Z][0-9A-Z]|0[1-9a-z][0-9a-z]|[1-9A-Z][0-9A-Z]{2}|[1-9a-z][0-9a-z]{2})\Z"
)
_DIGITS = frozenset("0123456789")
_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_INDICATORS = frozenset("0123456789abcdefghijklmnopqrstuvwxyz ")
_CODES = _ALNUM | frozenset("!\"#$%&'()*+,-./:;<=>?{}_^`~[]\\")
#: (allowed characters, replacement) for each leader position
_LEADER_RULES = (
    [(_DIGITS | {" "}, "0")] * 5
    + [(_ALNUM | {" "}, " "), (_ALNUM, "a")]
    + [(_ALNUM | {" "}, " ")] * 3
    + [({"2", " "}, "2")] * 2
    + [(_DIGITS | {" "}, "0")] * 5
    + [(_ALNUM | {" "}, " ")] * 3
)


def repair_leader(leader: str) -> str:
    """Returns ``leader`` changed only where MARC21slim.xsd's leader pattern rejects it."""
    leader = clean_text(leader)
    if _LEADER_OK.match(leader):
        return leader
    leader = leader[:24].ljust(24)
    chars = [
        char if char in allowed else replacement
        for char, (allowed, replacement) in zip(leader[:20], _LEADER_RULES, strict=True)
    ]
    tail = leader[20:]
    return "".join(chars) + (tail if tail in ("4500", "    ") else "4500")


def _control(tag: str, data: str) -> str:
    return f'<marc:controlfield tag="{tag}">{escape_text(data)}</marc:controlfield>'


def _datafield(field: Field) -> str:
    """Returns a data field as MARCXML, or "" when no subfield survives the repair."""
    subfields = [
        f'<marc:subfield code="{escape_attr(code)}">{escape_text(value)}</marc:subfield>'
        for code, value in field.subfields
        if len(code) == 1 and code in _CODES
    ]
    if not subfields:
        return ""
    ind = field.indicators
    ind1 = ind.first if ind and ind.first in _INDICATORS and ind.first else " "
    ind2 = ind.second if ind and ind.second in _INDICATORS and ind.second else " "
    head = f'<marc:datafield tag="{field.tag}" ind1="{ind1}" ind2="{ind2}">'
    return f"{head}{''.join(subfields)}</marc:datafield>"


def original_035(record: Record) -> str | None:
    """Returns the 035 $a that keeps the source's 001, qualified by its 003: ``(003)001``."""
    f001 = record.get("001")
    value = (f001.data or "").strip() if f001 is not None else ""
    if not value:
        return None
    f003 = record.get("003")
    org = (f003.data or "").strip() if f003 is not None else ""
    return f"({org}){value}" if org else value


def marc21_xml(record: Record, mms_id: str, inventory: Inventory, options: PublishOptions) -> bytes:
    """Returns the published MARCXML of a record (see the module docstring for the changes)."""
    controls = [_control("001", mms_id)]
    data: list[tuple[str, str]] = []  # (tag, markup), in the record's order
    for field in record.fields:
        tag = field.tag
        if field.control_field:
            if tag not in ("001", "003") and _CONTROL_TAG.match(tag):
                controls.append(_control(tag, field.data or ""))
        elif _DATA_TAG.match(tag) and not (tag == "852" and options.holdings_852):
            markup = _datafield(field)
            if markup:
                data.append((tag, markup))
    added: list[Field] = []
    old_id = original_035(record)
    if old_id and old_id != mms_id:
        added.append(Field(tag="035", subfields=[Subfield(code="a", value=old_id)]))
    if options.holdings_852:
        added += holdings_852(inventory)
    for field in added:
        markup = _datafield(field)
        if not markup or (field.tag == "035" and markup in (m for _, m in data)):
            continue
        # numeric order: the new field goes after the last field with a tag not above its own
        at = len(data)
        while at and data[at - 1][0].isdigit() and data[at - 1][0] > field.tag:
            at -= 1
        data.insert(at, (field.tag, markup))
    if options.availability:
        data += [
            (f.tag, _datafield(f))
            for f in availability_fields(mms_id, inventory, options.institution)
        ]
    out = [
        f'<marc:record xmlns:marc="{MARC_NS}"><marc:leader>',
        repair_leader(str(record.leader)),
        "</marc:leader>",
        *controls,
        *(markup for _, markup in data if markup),
        "</marc:record>",
    ]
    return "".join(out).encode("utf-8")
