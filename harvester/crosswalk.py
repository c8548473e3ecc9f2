"""Simple Dublin Core (oai_dc) to MARC 21, for sources that offer no MARC.

The mapping follows the Library of Congress "Dublin Core to MARC Crosswalk" (unqualified DC):
Ref: <https://www.loc.gov/marc/dccross.html>
"""

from __future__ import annotations

import re

from lxml import etree
from pymarc import Field, Indicators, Leader, Record, Subfield

from indexer.marc.marcxml import clean_text

DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_ELEMENTS_NS = "http://purl.org/dc/elements/1.1/"

#: DC element -> (MARC tag, indicators, subfield); creator/identifier/date/language are special.
DC_TO_MARC: dict[str, tuple[str, tuple[str, str], str]] = {
    "title": ("245", ("0", "0"), "a"),
    "subject": ("653", (" ", " "), "a"),
    "description": ("520", (" ", " "), "a"),
    "publisher": ("260", (" ", " "), "b"),
    "contributor": ("720", (" ", " "), "a"),
    "type": ("655", (" ", "7"), "a"),
    "format": ("856", (" ", " "), "q"),
    "source": ("786", ("0", " "), "n"),
    "relation": ("787", ("0", " "), "n"),
    "coverage": ("500", (" ", " "), "a"),
    "rights": ("540", (" ", " "), "a"),
}

_URL = re.compile(r"^https?://", re.IGNORECASE)
_ISBN = re.compile(r"^(?:urn:)?isbn[:\s]*", re.IGNORECASE)
_YEAR = re.compile(r"\d{4}")


def _field(tag: str, indicators: tuple[str, str], code: str, value: str) -> Field:
    return Field(
        tag=tag, indicators=Indicators(*indicators), subfields=[Subfield(code=code, value=value)]
    )


def dc_to_marc(dc: etree._Element) -> Record:
    """Returns a MARC record (leader type ``a``, level ``m``) built from an ``oai_dc:dc`` element.

    Raises:
        ValueError: the element holds no Dublin Core value at all.
    """
    values: list[tuple[str, str]] = []
    for child in dc:
        if not isinstance(child.tag, str) or not child.tag.startswith(f"{{{DC_ELEMENTS_NS}}}"):
            continue
        text = clean_text(" ".join((child.text or "").split()))
        if text:
            values.append((child.tag.rpartition("}")[2], text))
    if not values:
        raise ValueError("oai_dc record without any Dublin Core element")
    record = Record()
    record.leader = Leader("00000nam a2200000 u 4500")
    fields: list[Field] = []
    creators = [v for name, v in values if name == "creator"]
    for i, creator in enumerate(creators):
        fields.append(_field("100" if i == 0 else "700", ("1", " "), "a", creator))
    titles = [v for name, v in values if name == "title"]
    year = None
    for name, value in values:
        if name == "title":
            if value is titles[0]:
                fields.append(_field("245", ("1" if creators else "0", "0"), "a", value))
            else:
                fields.append(_field("246", ("3", " "), "a", value))
        elif name == "identifier":
            if _URL.match(value):
                fields.append(_field("856", ("4", "0"), "u", value))
            elif _ISBN.match(value):
                fields.append(_field("020", (" ", " "), "a", _ISBN.sub("", value)))
            else:
                fields.append(_field("024", ("8", " "), "a", value))
        elif name == "date":
            fields.append(_field("260", (" ", " "), "c", value))
            found = _YEAR.search(value)
            year = year or (found.group() if found else None)
        elif name == "language":
            fields.append(_field("546", (" ", " "), "a", value))
        elif name in DC_TO_MARC:
            tag, indicators, code = DC_TO_MARC[name]
            fields.append(_field(tag, indicators, code, value))
    # 008: date entered unknown, type s, date 1, place xx, language und, source d (other)
    f008 = "000000s" + (year or "    ") + "    " + "xx " + " " * 17 + "und" + " d"
    fields.insert(0, Field(tag="008", data=f008))
    record.fields = sorted(fields, key=lambda f: f.tag)
    return record
