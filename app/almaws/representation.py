"""XML or JSON, as Alma chooses: ``format=json|xml`` first, then ``Accept``; XML by default.

Alma's JSON holds a MARC record as a MARCXML string in ``anies``; its XML holds the ``record``
element itself, in no namespace.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, request
from lxml import etree
from pymarc import Record

from app.almaws.errors import bad_parameter
from indexer.marc.marcxml import clean_text


def wants_json() -> bool:
    """Returns whether the request asks for JSON.

    Raises:
        AlmaError: a ``format`` other than ``json`` or ``xml``.
    """
    fmt = request.args.get("format", "").strip().lower()
    if fmt:
        if fmt not in ("json", "xml"):
            raise bad_parameter(f"format must be json or xml, not {fmt!r}")
        return fmt == "json"
    best = request.accept_mimetypes.best_match(["application/xml", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes["application/json"]
        > (request.accept_mimetypes["application/xml"])
    )


def wants_json_quietly() -> bool:
    """Like :func:`wants_json`, but never raises (for rendering errors)."""
    try:
        return wants_json()
    except Exception:  # noqa: BLE001 - an error page must always render
        return False


def xml_response(root: etree._Element, status: int = 200) -> Response:
    """Returns an XML document response."""
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return Response(xml, status, mimetype="application/xml")


def json_response(body: Any, status: int = 200) -> Response:
    """Returns a JSON response."""
    return Response(json.dumps(body, ensure_ascii=False), status, mimetype="application/json")


def text(parent: etree._Element, name_: str, value: str | None, **attrs: str) -> etree._Element:
    """Appends ``<name_>value</name_>`` (no namespace, as Alma's objects) and returns it."""
    el = etree.SubElement(parent, name_, {k: clean_text(v) for k, v in attrs.items()})
    if value is not None:
        el.text = clean_text(value)
    return el


def marc_element(record: Record) -> etree._Element:
    """Returns ``record`` as Alma embeds it: a ``record`` element in no namespace."""
    root = etree.Element("record")
    text(root, "leader", str(record.leader))
    for field in record.fields:
        if field.control_field:
            text(root, "controlfield", field.data or "", tag=field.tag)
            continue
        ind = field.indicators
        el = text(root, "datafield", None, tag=field.tag, ind1=ind[0] or " ", ind2=ind[1] or " ")
        for code, value in field.subfields:
            text(el, "subfield", value, code=code)
    return root
