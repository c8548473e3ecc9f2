"""The one table that maps MARC tags and subfields to search fields.

The Whoosh schema (:mod:`indexer.search.index`) and the SRU explain index list are both generated from
:data:`FIELDS` (search fields, what MARC feeds them) and :data:`INDEXES` (the CQL index names that
reach each search field). Availability comes from the store's inventory, summarized as AVA $e does
(:func:`indexer.marc.enrich.availability_status`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lxml import etree

from indexer.marc.enrich import availability_status
from indexer.marc.inventory import Inventory
from indexer.marc.marcxml import MARC_NS

TEXT = "text"
"""Words, with positions: any/all/adj/=, masking, proximity; ``==`` and anchors on whole values."""
KEYWORD = "keyword"
"""Whole normalized values (codes, identifiers): =, ==, <>, masking, ordering relations."""
NUMBER = "number"
"""An integer (a year): =, ==, <>, <, <=, >, >=, within."""


@dataclass(frozen=True)
class SearchField:
    """A search field of the index: its kind, the MARC that feeds it, whether it sorts."""

    name: str
    kind: str
    marc: tuple[tuple[str, str], ...]
    title: str
    sortable: bool = False


#: Search fields. ``marc`` lists (tag, subfield codes); ``*`` as codes means every subfield,
#: ``9XX`` every local field. Fields fed from elsewhere have an empty ``marc``.
FIELDS: tuple[SearchField, ...] = (
    SearchField(
        "title",
        TEXT,
        (
            ("245", "abfgknps"),
            ("246", "abnp"),
            ("130", "adfklmnoprs"),
            ("240", "adfklmnoprs"),
            ("242", "abnp"),
            ("730", "adfklmnoprst"),
            ("740", "anp"),
        ),
        "Title",
        sortable=True,
    ),
    SearchField(
        "creator",
        TEXT,
        (
            ("100", "abcdq"),
            ("110", "abcdn"),
            ("111", "acdenq"),
            ("700", "abcdq"),
            ("710", "abcdn"),
            ("711", "acdenq"),
            ("720", "a"),
        ),
        "Creator (author, contributor)",
        sortable=True,
    ),
    SearchField(
        "subjects",
        TEXT,
        (
            ("600", "abcdqtvxyz"),
            ("610", "abtvxyz"),
            ("611", "acdentvxyz"),
            ("630", "adptvxyz"),
            ("650", "abcdvxyz"),
            ("651", "avxyz"),
            ("653", "a"),
            ("655", "avxyz"),
        ),
        "Subjects",
    ),
    SearchField("publisher", TEXT, (("260", "b"), ("264", "b")), "Publisher"),
    SearchField(
        "description", TEXT, (("500", "a"), ("505", "agrt"), ("520", "ab")), "Notes, summary"
    ),
    SearchField("series", TEXT, (("440", "anpv"), ("490", "av"), ("830", "anpv")), "Series"),
    SearchField("isbn", KEYWORD, (("020", "az"),), "ISBN"),
    SearchField("issn", KEYWORD, (("022", "ayz"),), "ISSN"),
    SearchField("mms_id", KEYWORD, (), "MMS ID (record identifier)", sortable=True),
    SearchField(
        "identifier",
        KEYWORD,
        (("020", "a"), ("022", "a"), ("024", "a"), ("035", "a")),
        "Any identifier: ISBN, ISSN, other standard numbers, system numbers, MMS ID",
    ),
    SearchField(
        "main_pub_date",
        NUMBER,
        (("008", "7-10"), ("260", "c"), ("264", "c")),
        "Main publication year",
        sortable=True,
    ),
    SearchField("language", KEYWORD, (("008", "35-37"), ("041", "a")), "Language (MARC code)"),
    SearchField("local_field", TEXT, (("9XX", "*"),), "Local fields 9XX (one index per tag)"),
    SearchField("library", KEYWORD, (), "Library code of a holding"),
    SearchField("location", KEYWORD, (), "Location code of a holding"),
    SearchField(
        "availability",
        KEYWORD,
        (),
        "Availability of a holding or portfolio: available, unavailable, check_holdings",
    ),
    SearchField("available_library", KEYWORD, (), "Library code where a copy is available now"),
    SearchField(
        "other", TEXT, (), "Words of every subfield that no other word index takes (in all_for_ui)"
    ),
)
FIELD_BY_NAME = {field.name: field for field in FIELDS}

#: Search fields indexed together under another name, as one index field of its own (one term
#: lookup instead of a union of seven): ``all_for_ui`` is every word of the record.
COMBINED = {
    "all_for_ui": ("title", "creator", "subjects", "publisher", "description", "series", "other"),
}
COMBINED_TITLES = {"all_for_ui": "All fields (keywords)"}
#: Search fields the index keeps under another index field: the MMS ID is each document's ``id``.
INDEX_FIELD = {"mms_id": "id"}

#: Context sets: prefix -> identifier.
CONTEXT_SETS = {
    "alma": "info:pressmark/cql-context-set/alma-v1",  # Alma's index names, as Pressmark serves them
    "dc": "info:srw/cql-context-set/1/dc-v1.1",
    "cql": "info:srw/cql-context-set/1/cql-v1.2",
    "rec": "info:srw/cql-context-set/2/rec-1.1",
}

#: CQL index (``set.name``) -> search field. ``alma.local_field_9XX`` indexes are added per tag.
INDEXES: dict[str, str] = {
    "alma.title": "title",
    "alma.creator": "creator",
    "alma.subjects": "subjects",
    "alma.publisher": "publisher",
    "alma.description": "description",
    "alma.series": "series",
    "alma.isbn": "isbn",
    "alma.issn": "issn",
    "alma.mms_id": "mms_id",
    "alma.standard_number": "identifier",
    "alma.main_pub_date": "main_pub_date",
    "alma.language": "language",
    "alma.library": "library",
    "alma.location": "location",
    "alma.availability": "availability",
    "alma.available_library": "available_library",
    "alma.all_for_ui": "all_for_ui",
    "dc.title": "title",
    "dc.creator": "creator",
    "dc.subject": "subjects",
    "dc.publisher": "publisher",
    "dc.description": "description",
    "dc.identifier": "identifier",
    "dc.date": "main_pub_date",
    "dc.language": "language",
    "rec.id": "mms_id",
    "cql.serverChoice": "all_for_ui",
    "cql.anywhere": "all_for_ui",
}
ALL_RECORDS = "cql.allRecords"
LOCAL_PREFIX = "local_field_"

_WORD = re.compile(r"\w+", re.UNICODE)
_SPACES = re.compile(r"\s+")
_TRAILING = re.compile(r"[\s/:;,.=]+$")
_ISBN_ISSN = re.compile(r"[0-9Xx-]{8,17}")
_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})\b")
_SUB = f"{{{MARC_NS}}}subfield"


def fold(value: str) -> str:
    """Returns ``value`` lower-cased, without accents (NFKD with combining marks dropped)."""
    if value.isascii():
        return value.lower()
    value = unicodedata.normalize("NFKD", value.lower())
    return "".join(c for c in value if not unicodedata.combining(c))


def words(value: str) -> list[str]:
    """Returns the words of ``value`` as the index sees them (folded ``\\w+`` runs)."""
    return _WORD.findall(fold(value))


def whole(value: str) -> str:
    """Returns a whole value normalized for ``==`` and anchors: folded words joined by spaces."""
    return " ".join(words(value))


def keyword(value: str) -> str:
    """Returns a code or identifier normalized: folded, no spaces or trailing punctuation."""
    return _SPACES.sub("", _TRAILING.sub("", fold(value.strip())))


def standard_number(value: str) -> str | None:
    """Returns an ISBN or ISSN without hyphens and qualifiers (``0-19-852663-6 (pbk.)``)."""
    found = _ISBN_ISSN.search(value)
    return found.group().replace("-", "").lower() if found else None


@dataclass
class Extracted:
    """The values of one record for each search field (text joined, keywords listed)."""

    values: dict[str, list[str]]
    local: dict[str, list[str]]
    sort_title: str
    sort_creator: str
    year: int | None


def _routes() -> dict[str, list[tuple[str, str]]]:
    """Returns tag -> [(search field, codes)] for the data fields of :data:`FIELDS`."""
    routes: dict[str, list[tuple[str, str]]] = {}
    for field in FIELDS:
        for tag, codes in field.marc:
            if tag.isdigit() and not tag.startswith("00"):
                routes.setdefault(tag, []).append((field.name, codes))
    return routes


ROUTES = _routes()
#: tag -> subfield codes that a word (TEXT) field takes; the other subfields go to ``other``.
TEXT_CODES = {
    tag: "".join(codes for name, codes in routes if FIELD_BY_NAME[name].kind == TEXT)
    for tag, routes in ROUTES.items()
}


def extract(root: etree._Element, mms_id: str, inventory: Inventory) -> Extracted:
    """Returns the search values of a MARCXML record element and its inventory."""
    values: dict[str, list[str]] = {field.name: [] for field in FIELDS}
    local: dict[str, list[str]] = {}
    other = values["other"]
    control_008 = ""
    first_title = first_creator = ""
    for child in root:
        tag = child.get("tag")
        if tag is None:
            continue
        if tag.startswith("00"):
            if tag == "008" and not control_008:  # the first 008, as pymarc's record["008"]
                control_008 = child.text or ""
            continue
        subfields = [
            (sub.get("code", ""), sub.text) for sub in child.iterchildren(_SUB) if sub.text
        ]
        if not subfields:
            continue
        if tag[:1] == "9" and tag.isdigit():
            text = " ".join(value for _, value in subfields)
            local.setdefault(tag, []).append(text)
            other.append(text)
            continue
        taken = TEXT_CODES.get(tag, "")
        rest = " ".join(value for code, value in subfields if code not in taken)
        if rest:
            other.append(rest)
        for name, codes in ROUTES.get(tag, ()):
            joined = " ".join(value for code, value in subfields if code in codes)
            if not joined:
                continue
            values[name].append(joined)
            if name == "title" and tag == "245" and not first_title:
                skip = child.get("ind2", "0")
                first_title = joined[int(skip) :] if skip.isdigit() else joined
            elif name == "creator" and not first_creator and tag in ("100", "110", "111"):
                first_creator = joined
    values["mms_id"] = [mms_id]
    keys = [standard_number(v) for v in values["isbn"] + values["issn"]]
    values["isbn"] = [k for k in (standard_number(v) for v in values["isbn"]) if k]
    values["issn"] = [k for k in (standard_number(v) for v in values["issn"]) if k]
    values["identifier"] = [keyword(v) for v in values["identifier"]] + [k for k in keys if k]
    values["identifier"].append(mms_id)
    year = _year(control_008, values["main_pub_date"])
    values["main_pub_date"] = []
    language = control_008[35:38].strip() if len(control_008) >= 38 else ""
    values["language"] = [keyword(v) for v in [language, *values["language"]] if v.strip()]
    _availability(values, inventory)
    return Extracted(values, local, whole(first_title), whole(first_creator), year)


def _year(control_008: str, dates: list[str]) -> int | None:
    """Returns the main publication year: 008/07-10 when numeric, else the first year in 260/264 $c."""
    head = control_008[7:11] if len(control_008) >= 11 else ""
    if head.isdigit() and head != "0000":
        return int(head)
    for value in dates:
        found = _YEAR.search(value)
        if found:
            return int(found.group())
    return None


def _availability(values: dict[str, list[str]], inventory: Inventory) -> None:
    for holding in inventory.holdings:
        status = availability_status(holding)
        values["library"].append(keyword(holding.library_code))
        if holding.location_code:
            values["location"].append(keyword(holding.location_code))
        values["availability"].append(status)
        if status == "available":
            values["available_library"].append(keyword(holding.library_code))
    for portfolio in inventory.portfolios:
        values["availability"].append("available" if portfolio.available else "unavailable")
        if portfolio.library:
            values["library"].append(keyword(portfolio.library))
            if portfolio.available:
                values["available_library"].append(keyword(portfolio.library))


def index_names(local_tags: Iterable[str] = ()) -> Iterator[tuple[str, str]]:
    """Yields (CQL index, search field) for every index, the local ``9XX`` ones included."""
    yield from INDEXES.items()
    for tag in sorted(local_tags):
        yield f"alma.{LOCAL_PREFIX}{tag}", f"{LOCAL_PREFIX}{tag}"
