"""MARC 21 to simple Dublin Core (``oai_dc``), after the Library of Congress crosswalk.

Ref: <https://www.loc.gov/marc/marc2dc.html> (unqualified Dublin Core) and LoC's
MARC21slim2OAIDC.xsl.

The table :data:`CROSSWALK` maps each MARC tag to a DC element and the subfields whose values are
joined with a space. The leader and the 008 give ``type`` and ``language`` and, without a
260/264 $c, ``date``. Creators are the 1XX fields; the added entries (700, 710, 711, 720) are
contributors, as the crosswalk allows. ISBNs and ISSNs become ``URN:ISBN:`` / ``URN:ISSN:``
identifiers. The output is built as escaped text for speed: this runs for every record loaded.
"""

from __future__ import annotations

from pymarc import Record

from indexer.marc.marcxml import escape_text

OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

_SUBJECT = "abcdefghjklmnopqrstuvxyz"
_NAME = "abcdq"
#: tag -> (DC element, subfields joined with a space)
CROSSWALK: dict[str, tuple[str, str]] = {
    "020": ("identifier", "a"),
    "022": ("identifier", "a"),
    "024": ("identifier", "a"),
    "050": ("subject", "ab"),
    "060": ("subject", "ab"),
    "080": ("subject", "ab"),
    "082": ("subject", "a"),
    "100": ("creator", _NAME),
    "110": ("creator", "abcdn"),
    "111": ("creator", "acdenq"),
    "130": ("title", "adfklmnoprs"),
    "245": ("title", "abfgknps"),
    "246": ("title", "abnp"),
    "250": ("description", "ab"),
    "255": ("coverage", "abc"),
    "260": ("publisher", "ab"),
    "300": ("format", "abce"),
    "340": ("format", "abcdefhi"),
    "440": ("relation", "anpv"),
    "490": ("relation", "av"),
    "506": ("rights", "a"),
    "530": ("relation", "a"),
    "534": ("source", "t"),
    "540": ("rights", "a"),
    "546": ("language", "a"),
    "600": ("subject", _SUBJECT),
    "610": ("subject", _SUBJECT),
    "611": ("subject", _SUBJECT),
    "630": ("subject", _SUBJECT),
    "650": ("subject", _SUBJECT),
    "651": ("coverage", "a"),
    "653": ("subject", "a"),
    "655": ("type", "a"),
    "662": ("coverage", "abcdfgh"),
    "700": ("contributor", _NAME),
    "710": ("contributor", "abcdn"),
    "711": ("contributor", "acdenq"),
    "720": ("contributor", "a"),
    "752": ("coverage", "abcd"),
    "786": ("source", "ot"),
    "856": ("identifier", "u"),
}
for _tag in ("760", "762", "765", "767", "770", "772", "773", "774", "775", "776", "777", "780"):
    CROSSWALK[_tag] = ("relation", "ot")
for _tag in ("785", "787"):
    CROSSWALK[_tag] = ("relation", "ot")
# notes 500-599 other than those mapped above are descriptions
for _n in range(500, 600):
    CROSSWALK.setdefault(str(_n), ("description", "a"))
CROSSWALK["520"] = ("description", "ab")
_LOOKUP = {tag: (element, frozenset(codes)) for tag, (element, codes) in CROSSWALK.items()}

#: leader/06 -> DC type (MARC21slim2OAIDC.xsl)
TYPES = {
    "a": "text",
    "t": "text",
    "e": "cartographic",
    "f": "cartographic",
    "c": "notated music",
    "d": "notated music",
    "i": "sound recording",
    "j": "sound recording",
    "k": "still image",
    "g": "moving image",
    "r": "three dimensional object",
    "m": "software, multimedia",
    "p": "mixed material",
}

#: the 15 DC elements in the order they are written
ELEMENTS = (
    "title",
    "creator",
    "subject",
    "description",
    "publisher",
    "contributor",
    "date",
    "type",
    "format",
    "identifier",
    "source",
    "language",
    "relation",
    "coverage",
    "rights",
)

_OPEN = (
    f'<oai_dc:dc xmlns:oai_dc="{OAI_DC_NS}" xmlns:dc="{DC_NS}" xmlns:xsi="{XSI_NS}"'
    f' xsi:schemaLocation="{OAI_DC_NS} {OAI_DC_SCHEMA}">'
)


def _trim(value: str) -> str:
    """Strips ISBD punctuation that ends a MARC subfield (`` /``, `` :``, ``;``, ``,``, ``.``)."""
    value = value.strip().rstrip(" /:;,=")
    if value.endswith(".") and not value.endswith("..") and len(value) > 3 and value[-3] != " ":
        value = value[:-1]
    return value.strip()


def dublin_core(record: Record) -> dict[str, list[str]]:
    """Returns the DC elements of a record: element -> values, in record order, no duplicates."""
    found: dict[str, list[str]] = {name: [] for name in ELEMENTS}
    leader = str(record.leader)
    dates: list[str] = []
    for field in record.fields:
        tag = field.tag
        if field.control_field:
            if tag == "008" and field.data and len(field.data) >= 38:
                language = field.data[35:38].strip()
                if language.isalpha():
                    found["language"].append(language)
                year = field.data[7:11]
                if year.strip() and year.strip("u| ").isdigit():
                    dates.append(year)
            continue
        if tag in ("260", "264"):
            if tag == "264" and field.indicators and field.indicators.second not in ("1", " "):
                continue
            publisher = " ".join(_trim(v) for v in field.get_subfields("a", "b") if _trim(v))
            if publisher:
                found["publisher"].append(publisher)
            date = " ".join(_trim(v) for v in field.get_subfields("c") if _trim(v))
            if date and not found["date"]:
                found["date"].append(date)
            continue
        if tag == "041":
            found["language"] += [v.strip() for v in field.get_subfields("a", "d") if v.strip()]
            continue
        mapping = _LOOKUP.get(tag)
        if mapping is None:
            continue
        element, codes = mapping
        values = [_trim(v) for c, v in field.subfields if c in codes]
        value = " ".join(v for v in values if v)
        if not value:
            continue
        if tag == "020":
            value = f"URN:ISBN:{value.split()[0]}"
        elif tag == "022":
            value = f"URN:ISSN:{value.split()[0]}"
        elif tag in ("600", "610", "611", "630", "650") and len(values) > 1:
            value = "--".join(v for v in values if v)
        found[element].append(value)
    if not found["date"] and dates:
        found["date"].append(dates[0])
    if len(leader) > 7:
        kind = TYPES.get(leader[6])
        if kind:
            found["type"].insert(0, kind)
        if leader[7] in "cs":
            found["type"].insert(0, "collection")
    return {name: list(dict.fromkeys(values)) for name, values in found.items() if values}


def record_to_dc(record: Record) -> bytes:
    """Returns the ``oai_dc:dc`` element of a record (valid against oai_dc.xsd), UTF-8 bytes."""
    out = [_OPEN]
    for name, values in dublin_core(record).items():
        for value in values:
            out.append(f"<dc:{name}>{escape_text(value)}</dc:{name}>")
    out.append("</oai_dc:dc>")
    return "".join(out).encode("utf-8")
