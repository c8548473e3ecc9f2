"""Real-time ordering: ``POST /almaws/v1/acq/po-lines`` and ``GET`` of PO lines.

The body is Alma's PO Line object, in JSON or XML. Pressmark reads its ``resource_metadata`` (``mms_id``,
``title``, ``author``, ``isbn``, ``issn``, ``publisher``, ``publication_place``, ``publication_year``,
``edition``) and ``type`` (an ``E_...`` type orders electronic inventory), and keeps ``owner``,
``vendor``, ``vendor_account``, ``acquisition_method``, ``vendor_reference_number``, ``price`` and
``note`` as given. How the record is found is in ``indexer.orders``; the answer carries it in
``resource_metadata.mms_id`` and, as a Pressmark extension, ``matched_by`` (``mms_id``, ``isbn``,
``issn`` or ``created``).

Ref: <https://developers.exlibrisgroup.com/alma/apis/docs/acq/UE9TVCAvYWxtYXdzL3YxL2FjcS9wby1saW5lcw==/>
"""

from __future__ import annotations

import json
import time
from typing import Any

from flask import current_app, request, url_for
from lxml import etree

from app.almaws.errors import GENERAL, AlmaError, bad_parameter
from app.almaws.representation import json_response, text, wants_json, xml_response
from app.resources import get_store
from indexer.marc.marcxml import SAFE_PARSER
from indexer.orders import METADATA_KEYS, OrderError, Orders, PoLine
from indexer.store import matching

NO_SUCH_LINE = "401875"
BAD_MMS_ID = "60143"
DETAIL_KEYS = (
    "owner",
    "vendor",
    "vendor_account",
    "acquisition_method",
    "vendor_reference_number",
    "note",
)
STATUSES = ("ACTIVE", "CLOSED", "CANCELLED")


def _orders() -> Orders:
    return Orders(get_store(), brief_source=current_app.config["ORDERS_BRIEF_SOURCE"])


def _value(node: Any) -> str:
    """Returns a JSON value that Alma may wrap as ``{"value": ...}``, as a string."""
    if isinstance(node, dict):
        node = node.get("value")
    if node is None or isinstance(node, dict | list):
        return ""
    return str(node).strip()


def parse_json(data: bytes) -> dict[str, Any]:
    """Returns the order of a JSON PO Line: metadata, mms_id, type and details.

    Raises:
        AlmaError: not JSON, not an object, or a resource_metadata that is not an object.
    """
    try:
        body = json.loads(data)
    except ValueError as exc:
        raise bad_parameter(f"the JSON body cannot be read: {exc}") from exc
    if not isinstance(body, dict):
        raise bad_parameter("the JSON body must be a PO Line object")
    meta = body.get("resource_metadata")
    if not isinstance(meta, dict):
        raise bad_parameter("the PO line needs resource_metadata")
    details = {k: _value(body.get(k)) for k in DETAIL_KEYS if _value(body.get(k))}
    price = body.get("price")
    if isinstance(price, dict):
        details["price"] = _value(price.get("sum"))
        details["currency"] = _value(price.get("currency"))
    return {
        "metadata": {k: _value(meta.get(k)) for k in METADATA_KEYS},
        "mms_id": _value(meta.get("mms_id")),
        "type": _value(body.get("type")) or "PRINTED_BOOK_OT",
        "details": {k: v for k, v in details.items() if v},
    }


def parse_xml(data: bytes) -> dict[str, Any]:
    """Returns the order of an XML ``po_line`` document (same keys as :func:`parse_json`).

    Raises:
        AlmaError: not well-formed, or not a po_line with resource_metadata.
    """
    try:
        root = etree.fromstring(data, SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        raise bad_parameter(f"the XML body cannot be read: {exc}") from exc
    if root.tag != "po_line" or root.find("resource_metadata") is None:
        raise bad_parameter("the XML body must be a po_line with resource_metadata")

    def get(path: str) -> str:
        return (root.findtext(path) or "").strip()

    details = {k: get(k) for k in DETAIL_KEYS}
    details["price"] = get("price/sum")
    details["currency"] = get("price/currency")
    return {
        "metadata": {k: get(f"resource_metadata/{k}") for k in METADATA_KEYS},
        "mms_id": get("resource_metadata/mms_id"),
        "type": get("type") or "PRINTED_BOOK_OT",
        "details": {k: v for k, v in details.items() if v},
    }


def _line_json(line: PoLine) -> dict[str, Any]:
    details = dict(line.details)
    body: dict[str, Any] = {"number": line.number}
    for key in ("owner", "vendor", "acquisition_method"):
        if key in details:
            body[key] = {"value": details.pop(key)}
    body["type"] = {"value": details.pop("type", "")} if "type" in details else None
    body["status"] = {"value": line.status}
    metadata: dict[str, Any] = {
        "mms_id": {
            "value": line.mms_id,
            "link": url_for("almaws.get_bib", mms_id=line.mms_id, _external=True),
        }
    }
    metadata.update({k: line.metadata.get(k) for k in METADATA_KEYS})
    body["resource_metadata"] = metadata
    if "price" in details or "currency" in details:
        body["price"] = {
            "sum": details.pop("price", ""),
            "currency": {"value": details.pop("currency", "")},
        }
    body.update(details)
    body["created_date"] = time.strftime("%Y-%m-%dZ", time.gmtime(line.created))
    body["matched_by"] = line.matched_by
    body["link"] = url_for("almaws.get_po_line", number=line.number, _external=True)
    if body["type"] is None:
        del body["type"]
    return body


def _line_xml(line: PoLine) -> etree._Element:
    body = _line_json(line)
    root = etree.Element("po_line", link=body.pop("link"))
    for key, value in body.items():
        if key == "resource_metadata":
            meta = text(root, key, None)
            mms = value.pop("mms_id")
            text(meta, "mms_id", mms["value"], link=mms["link"])
            for name, item in value.items():
                text(meta, name, item or "")
        elif key == "price":
            price = text(root, key, None)
            text(price, "sum", value["sum"])
            text(price, "currency", value["currency"]["value"])
        elif isinstance(value, dict):
            text(root, key, value["value"])
        else:
            text(root, key, str(value))
    return root


def _respond(line: PoLine, as_json: bool):
    return json_response(_line_json(line)) if as_json else xml_response(_line_xml(line))


def create_po_line():
    """``POST /almaws/v1/acq/po-lines``: creates a PO line (and a brief record when nothing matches).

    Raises:
        AlmaError: an unreadable body (``401652``), an unknown mms_id (``60143``), no title.
    """
    as_json = wants_json()
    data = request.get_data()
    if not data.strip():
        raise bad_parameter("the request body is empty: send a PO Line object")
    mimetype = request.mimetype or ""
    order = parse_json(data) if "json" in mimetype or data.lstrip()[:1] == b"{" else parse_xml(data)
    try:
        methods = matching.parse_methods(current_app.config["ORDERS_MATCH"])
        line = _orders().create(
            order["metadata"],
            {**order["details"], "type": order["type"]},
            mms_id=order["mms_id"] or None,
            methods=methods,
            order_type=order["type"],
        )
    except OrderError as exc:
        code = BAD_MMS_ID if order["mms_id"] else GENERAL
        raise AlmaError(code, str(exc)) from exc
    return _respond(line, as_json)


def get_po_line(number: str):
    """``GET /almaws/v1/acq/po-lines/{number}``.

    Raises:
        AlmaError: no such PO line (``401875``).
    """
    as_json = wants_json()
    line = _orders().get(number.strip())
    if line is None:
        raise AlmaError(NO_SUCH_LINE, f"PO line {number} was not found.")
    return _respond(line, as_json)


def _int_arg(name: str, default: int, top: int) -> int:
    raw = request.args.get(name, str(default)).strip()
    if not raw.isdigit() or not 0 <= int(raw) <= top:
        raise bad_parameter(f"{name} must be a whole number from 0 to {top}; got {raw!r}")
    return int(raw)


def list_po_lines():
    """``GET /almaws/v1/acq/po-lines?limit=10&offset=0&status=ACTIVE``: newest first."""
    as_json = wants_json()
    limit = _int_arg("limit", 10, 100)
    offset = _int_arg("offset", 0, 10**9)
    status = request.args.get("status", "").strip().upper() or None
    if status == "ALL":
        status = None
    if status is not None and status not in STATUSES:
        raise bad_parameter(f"status must be one of ALL, {', '.join(STATUSES)}; got {status!r}")
    lines, total = _orders().list(limit=limit, offset=offset, status=status)
    if as_json:
        return json_response(
            {"po_line": [_line_json(x) for x in lines], "total_record_count": total}
        )
    root = etree.Element("po_lines", total_record_count=str(total))
    for line in lines:
        root.append(_line_xml(line))
    return xml_response(root)
