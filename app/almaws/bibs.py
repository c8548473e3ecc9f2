"""Retrieve Bib(s) with availability, as discovery layers call Alma.

- ``GET /almaws/v1/bibs/{mms_id}?expand=p_avail,e_avail,d_avail`` returns one ``bib``;
- ``GET /almaws/v1/bibs?mms_id=a,b&expand=...`` returns ``bibs`` with ``total_record_count``; unknown
  or deleted MMS IDs are left out of the list, as in Alma.

``expand=p_avail`` adds an AVA field per holding, ``e_avail`` an AVE per portfolio, ``d_avail`` an AVD
per representation (``indexer.marc.enrich.availability_fields``). They reflect the inventory at the time
of the call: a loan shows at once.

Ref: <https://developers.exlibrisgroup.com/alma/apis/docs/bibs/R0VUIC9hbG1hd3MvdjEvYmlicy97bW1zX2lkfQ==/>
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request, url_for
from lxml import etree
from pymarc import Record

from app.almaws.errors import NOT_NUMERIC, NOT_VALID, AlmaError, bad_parameter
from app.almaws.representation import (
    json_response,
    marc_element,
    text,
    wants_json,
    xml_response,
)
from app.resources import get_store
from indexer.marc.enrich import availability_fields
from indexer.store.records import RecordStore, StoredRecord

#: expand value -> the availability field it adds.
EXPANDS = {"p_avail": "AVA", "e_avail": "AVE", "d_avail": "AVD"}
VIEWS = ("full", "brief")


def parse_expand(value: str | None) -> frozenset[str]:
    """Returns the availability tags that ``expand`` asks for.

    Raises:
        AlmaError: an expand value that is not one of p_avail, e_avail, d_avail (or None).
    """
    tags = set()
    for part in (value or "").split(","):
        part = part.strip().lower()
        if not part or part == "none":
            continue
        if part not in EXPANDS:
            raise bad_parameter(f"expand must be among {', '.join(EXPANDS)}; got {part!r}")
        tags.add(EXPANDS[part])
    return frozenset(tags)


def parse_view(value: str | None) -> str:
    """Returns ``full`` or ``brief``.

    Raises:
        AlmaError: another view.
    """
    view = (value or "full").strip().lower()
    if view not in VIEWS:
        raise bad_parameter(f"view must be full or brief; got {view!r}")
    return view


def check_mms_id(mms_id: str) -> str:
    """Returns the MMS ID stripped.

    Raises:
        AlmaError: ``402204`` when it is not numeric.
    """
    mms_id = mms_id.strip()
    if not mms_id.isdigit() or not mms_id.isascii():
        raise AlmaError(NOT_NUMERIC, f"Input parameters mmsId {mms_id} is not numeric.")
    return mms_id


def _first(record: Record, specs: tuple[tuple[str, str], ...]) -> str | None:
    for tag, code in specs:
        for field in record.get_fields(tag):
            value = field.get(code)
            if value:
                return value.strip(" /:;,.")
    return None


def bib_summary(record: Record) -> dict[str, Any]:
    """Returns the brief fields that Alma's bib object carries beside the record."""
    title = " ".join(
        v.strip() for f in record.get_fields("245") for v in f.get_subfields("a", "b")
    ).strip(" /:;,.")
    return {
        "title": title or None,
        "author": _first(record, (("100", "a"), ("110", "a"), ("111", "a"))),
        "isbn": _first(record, (("020", "a"),)),
        "issn": _first(record, (("022", "a"),)),
        "network_number": [
            v.strip() for f in record.get_fields("035") for v in f.get_subfields("a") if v.strip()
        ],
        "place_of_publication": _first(record, (("264", "a"), ("260", "a"))),
        "date_of_publication": _first(record, (("264", "c"), ("260", "c"))),
        "publisher_const": _first(record, (("264", "b"), ("260", "b"))),
    }


def with_availability(
    store: RecordStore, stored: StoredRecord, tags: frozenset[str], institution: str
) -> Record:
    """Returns the stored record with the AVA/AVE/AVD fields of ``tags`` appended."""
    record = stored.marc
    if not tags:
        return record
    inventory = store.inventory.of(stored.identifier)
    extra = [
        f for f in availability_fields(stored.identifier, inventory, institution) if f.tag in tags
    ]
    record.fields = [f for f in record.fields if f.tag not in ("AVA", "AVE", "AVD")] + extra
    return record


def _holdings_link(mms_id: str) -> str:
    return url_for("almaws.get_bib", mms_id=mms_id, _external=True) + "/holdings"


def bib_element(stored: StoredRecord, record: Record, view: str) -> etree._Element:
    """Returns the ``bib`` element of Alma's Bib object."""
    mms_id = stored.identifier
    bib = etree.Element("bib", link=url_for("almaws.get_bib", mms_id=mms_id, _external=True))
    text(bib, "mms_id", mms_id)
    text(bib, "record_format", "marc21")
    summary = bib_summary(record)
    for key in ("title", "author", "isbn", "issn"):
        text(bib, key, summary[key])
    numbers = text(bib, "network_numbers", None)
    for number in summary["network_number"]:
        text(numbers, "network_number", number)
    for key in ("place_of_publication", "date_of_publication", "publisher_const"):
        text(bib, key, summary[key])
    text(bib, "holdings", None, link=_holdings_link(mms_id))
    text(bib, "last_modified_date", stored.datestamp.strftime("%Y-%m-%dZ"))
    text(bib, "suppress_from_publishing", "false")
    if view == "full":
        bib.append(marc_element(record))
    return bib


def bib_json(stored: StoredRecord, record: Record, view: str) -> dict[str, Any]:
    """Returns Alma's Bib object in JSON: the record as a MARCXML string in ``anies``."""
    mms_id = stored.identifier
    body: dict[str, Any] = {"mms_id": mms_id, "record_format": "marc21"}
    body.update(bib_summary(record))
    body["network_number"] = body.pop("network_number")
    body["holdings"] = {"link": _holdings_link(mms_id)}
    body["last_modified_date"] = stored.datestamp.strftime("%Y-%m-%dZ")
    body["suppress_from_publishing"] = "false"
    if view == "full":
        body["anies"] = [etree.tostring(marc_element(record), encoding="unicode")]
    body["link"] = url_for("almaws.get_bib", mms_id=mms_id, _external=True)
    return body


def _live(store: RecordStore, mms_id: str) -> StoredRecord | None:
    stored = store.get(mms_id)
    return None if stored is None or stored.deleted else stored


def get_bib(mms_id: str):
    """``GET /almaws/v1/bibs/{mms_id}``: one bib with the availability ``expand`` asks for.

    Raises:
        AlmaError: ``402204`` not numeric, ``402203`` no such live record, ``401652`` bad parameter.
    """
    as_json = wants_json()
    tags = parse_expand(request.args.get("expand"))
    view = parse_view(request.args.get("view"))
    mms_id = check_mms_id(mms_id)
    store = get_store()
    stored = _live(store, mms_id)
    if stored is None:
        raise AlmaError(NOT_VALID, f"Input parameters mmsId {mms_id} is not valid.")
    record = with_availability(store, stored, tags, current_app.config["INSTITUTION_CODE"])
    if as_json:
        return json_response(bib_json(stored, record, view))
    return xml_response(bib_element(stored, record, view))


def get_bibs():
    """``GET /almaws/v1/bibs?mms_id=a,b``: the live bibs among the MMS IDs, in the order asked.

    Raises:
        AlmaError: no mms_id, too many, a non-numeric one, or a bad parameter (``401652``/``402204``).
    """
    as_json = wants_json()
    tags = parse_expand(request.args.get("expand"))
    view = parse_view(request.args.get("view"))
    raw = ",".join(request.args.getlist("mms_id"))
    ids = list(dict.fromkeys(check_mms_id(p) for p in raw.split(",") if p.strip()))
    if not ids:
        raise bad_parameter("mms_id is required: one or more MMS IDs separated by commas")
    limit = int(current_app.config["ALMAWS_MAX_BIBS"])
    if len(ids) > limit:
        raise bad_parameter(f"at most {limit} MMS IDs per request; got {len(ids)}")
    store = get_store()
    institution = current_app.config["INSTITUTION_CODE"]
    found = []
    for mms_id in ids:
        stored = _live(store, mms_id)
        if stored is not None:
            found.append((stored, with_availability(store, stored, tags, institution)))
    if as_json:
        return json_response(
            {
                "bib": [bib_json(s, r, view) for s, r in found],
                "total_record_count": len(found),
            }
        )
    root = etree.Element("bibs", total_record_count=str(len(found)))
    for stored, record in found:
        root.append(bib_element(stored, record, view))
    return xml_response(root)
