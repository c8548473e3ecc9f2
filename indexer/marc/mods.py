"""MARC 21 to MODS 3, after the Library of Congress MARC to MODS mapping (the common fields).

Ref: <https://www.loc.gov/standards/mods/mods-mapping.html>
"""

from __future__ import annotations

from lxml import etree
from pymarc import Field, Record

from indexer.marc.marcxml import clean_text

MODS_NS = "http://www.loc.gov/mods/v3"
MODS_SCHEMA = "http://www.loc.gov/standards/mods/v3/mods-3-6.xsd"
_M = f"{{{MODS_NS}}}"

#: leader/06 -> typeOfResource
RESOURCE_TYPES = {
    "a": "text",
    "t": "text",
    "c": "notated music",
    "d": "notated music",
    "e": "cartographic",
    "f": "cartographic",
    "g": "moving image",
    "i": "sound recording-nonmusical",
    "j": "sound recording-musical",
    "k": "still image",
    "m": "software, multimedia",
    "o": "mixed material",
    "p": "mixed material",
    "r": "three dimensional object",
}
NAME_TYPES = {
    "100": "personal",
    "700": "personal",
    "110": "corporate",
    "710": "corporate",
    "111": "conference",
    "711": "conference",
}
SUBJECTS = {"650": "topic", "651": "geographic", "653": "topic"}
_TRIM = " /:;,.="


def _text(field: Field, codes: str) -> str:
    value = " ".join(v.strip() for v in field.get_subfields(*codes) if v and v.strip())
    return clean_text(value.rstrip(_TRIM).strip())


def _add(parent: etree._Element, name: str, text: str, **attrib: str) -> etree._Element | None:
    if not text:
        return None
    el = etree.SubElement(parent, _M + name, attrib)
    el.text = text
    return el


def record_to_mods(record: Record, mms_id: str) -> etree._Element:
    """Returns a ``mods:mods`` element for ``record``."""
    mods = etree.Element(_M + "mods", nsmap={"mods": MODS_NS}, version="3.6")
    for field in record.get_fields("245", "246"):
        info = etree.Element(_M + "titleInfo")
        if field.tag == "246":
            info.set("type", "alternative")
        title = _text(field, "a")
        skip = field.indicator2 if field.tag == "245" else "0"
        if skip and skip.isdigit() and 0 < int(skip) < len(title):
            _add(info, "nonSort", title[: int(skip)])
            title = title[int(skip) :]
        _add(info, "title", title)
        _add(info, "subTitle", _text(field, "b"))
        _add(info, "partNumber", _text(field, "n"))
        _add(info, "partName", _text(field, "p"))
        if len(info):
            mods.append(info)
    for field in record.get_fields("100", "110", "111", "700", "710", "711"):
        name_text = _text(field, "abcq" if field.tag.endswith("00") else "abcdn")
        if not name_text:
            continue
        name = etree.SubElement(mods, _M + "name", type=NAME_TYPES[field.tag])
        _add(name, "namePart", name_text)
        if field.tag.endswith("00"):
            _add(name, "namePart", _text(field, "d"), type="date")
        for relator in field.get_subfields("e"):
            role = etree.SubElement(name, _M + "role")
            _add(role, "roleTerm", clean_text(relator.strip(_TRIM)), type="text")
    leader = str(record.leader)
    kind = RESOURCE_TYPES.get(leader[6:7]) if len(leader) > 6 else None
    if kind:
        _add(mods, "typeOfResource", kind)
    for field in record.get_fields("655"):
        _add(mods, "genre", _text(field, "a"))
    _origin(mods, record)
    control_008 = record.get("008")
    language = control_008.data[35:38].strip() if control_008 and control_008.data else ""
    if len(language) == 3 and language.isalpha():
        lang = etree.SubElement(mods, _M + "language")
        _add(lang, "languageTerm", language, authority="iso639-2b", type="code")
    for field in record.get_fields("300"):
        extent = _text(field, "abc")
        if extent:
            _add(etree.SubElement(mods, _M + "physicalDescription"), "extent", extent)
    for field in record.get_fields("520"):
        _add(mods, "abstract", _text(field, "a"))
    for field in record.get_fields("505"):
        _add(mods, "tableOfContents", _text(field, "agrt"))
    for field in record.get_fields("500"):
        _add(mods, "note", _text(field, "a"))
    _subjects(mods, record)
    for field in record.get_fields("050"):
        _add(mods, "classification", _text(field, "ab"), authority="lcc")
    for field in record.get_fields("082"):
        _add(mods, "classification", _text(field, "a"), authority="ddc")
    for field in record.get_fields("490", "830"):
        title = _text(field, "a")
        if title:
            related = etree.SubElement(mods, _M + "relatedItem", type="series")
            _add(etree.SubElement(related, _M + "titleInfo"), "title", title)
    for tag, kind_ in (("020", "isbn"), ("022", "issn"), ("010", "lccn")):
        for field in record.get_fields(tag):
            _add(mods, "identifier", _text(field, "a"), type=kind_)
    for field in record.get_fields("856"):
        for url in field.get_subfields("u"):
            location = etree.SubElement(mods, _M + "location")
            _add(location, "url", clean_text(url.strip()))
    info = etree.SubElement(mods, _M + "recordInfo")
    _add(info, "recordIdentifier", mms_id)
    return mods


def _origin(mods: etree._Element, record: Record) -> None:
    fields = record.get_fields("260", "264")
    if not fields:
        return
    origin = etree.SubElement(mods, _M + "originInfo")
    for field in fields:
        for place in field.get_subfields("a"):
            term = clean_text(place.strip(_TRIM + "[]"))
            if term:
                _add(etree.SubElement(origin, _M + "place"), "placeTerm", term, type="text")
        _add(origin, "publisher", _text(field, "b"))
        _add(origin, "dateIssued", _text(field, "c"))
    if not len(origin):
        mods.remove(origin)


def _subjects(mods: etree._Element, record: Record) -> None:
    for field in record.get_fields("600", "610", "611", "650", "651", "653"):
        subject = etree.Element(_M + "subject")
        if field.tag in SUBJECTS:
            _add(subject, SUBJECTS[field.tag], _text(field, "a"))
        else:
            name = etree.SubElement(subject, _M + "name")
            _add(name, "namePart", _text(field, "abcdq" if field.tag == "600" else "abcdn"))
            if not len(name):
                subject.remove(name)
        for code, element in (
            ("x", "topic"),
            ("y", "temporal"),
            ("z", "geographic"),
            ("v", "genre"),
        ):
            for value in field.get_subfields(code):
                _add(subject, element, clean_text(value.strip(_TRIM)))
        if len(subject):
            mods.append(subject)
