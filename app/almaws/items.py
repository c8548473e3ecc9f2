"""Item endpoints: read an item, loan it, return it, mark it missing (writes need an API key).

- ``GET  /almaws/v1/bibs/{mms_id}/holdings/{holding_id}/items/{item_pid}``: the item;
- ``POST .../items/{item_pid}?op=loan|return|scan|missing``: ``loan`` lends the item, ``return`` and
  ``scan`` (Alma's scan-in) put it back in place, ``missing`` marks it missing;
- ``POST .../items/{item_pid}/loans``: Alma's "Create user loan" (lends the item);
- ``PUT  .../items/{item_pid}``: an Item object whose ``item_data`` gives ``process_type`` (``LOAN``,
  ``MISSING``) or ``base_status`` 1 (in place) with no process, or simply ``{"status": "loaned"}``.

``holding_id`` may be ``ALL``; ``item_pid`` may be the item id or the barcode. Every change goes
through ``store.inventory.set_item_status``: the record's AVA $e/$f/$g, its published XML and its
datestamp change at once, so SRU, the availability API and incremental OAI harvests see the loan.

Ref: <https://developers.exlibrisgroup.com/alma/apis/docs/bibs/UE9TVCAvYWxtYXdzL3YxL2JpYnMve21tc19pZH0vaG9sZGluZ3Mve2hvbGRpbmdfaWR9L2l0ZW1zL3tpdGVtX3BpZH0=/>
"""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, request, url_for
from lxml import etree

from app.almaws.bibs import bib_summary, check_mms_id
from app.almaws.errors import NO_HOLDING, NO_ITEM, NOT_VALID, AlmaError, bad_parameter
from app.almaws.representation import json_response, text, wants_json, xml_response
from app.resources import get_store
from indexer.marc.inventory import Holding, Item
from indexer.marc.marcxml import SAFE_PARSER
from indexer.store.inventory import InventoryError

#: op -> item status.
OPERATIONS = {"loan": "loaned", "return": "available", "scan": "available", "missing": "missing"}
#: item status -> (base_status, its description, process_type, its description)
ALMA_STATUS = {
    "available": ("1", "Item in place", "", ""),
    "loaned": ("0", "Item not in place", "LOAN", "Loan"),
    "missing": ("0", "Item not in place", "MISSING", "Missing"),
}
PROCESS_TYPES = {"LOAN": "loaned", "MISSING": "missing", "LOST_LOAN": "missing"}


def _find(mms_id: str, holding_id: str, item_pid: str) -> tuple[Holding, Item]:
    """Returns the holding and item under the record.

    Raises:
        AlmaError: no such record, holding or item under it.
    """
    mms_id = check_mms_id(mms_id)
    store = get_store()
    stored = store.get(mms_id)
    if stored is None or stored.deleted:
        raise AlmaError(NOT_VALID, f"Input parameters mmsId {mms_id} is not valid.")
    inventory = store.inventory.of(mms_id)
    holdings = [
        h for h in inventory.holdings if holding_id.upper() == "ALL" or h.holding_id == holding_id
    ]
    if not holdings:
        raise AlmaError(NO_HOLDING, f"Holding {holding_id} was not found for record {mms_id}.")
    for holding in holdings:
        for item in holding.items:
            if item_pid in (item.item_id, item.barcode):
                return holding, item
    raise AlmaError(NO_ITEM, f"No items found for item ID {item_pid}.")


def _item_body(mms_id: str, holding: Holding, item: Item) -> dict[str, Any]:
    store = get_store()
    summary = bib_summary(store.get(mms_id).marc)
    base, base_desc, process, process_desc = ALMA_STATUS[item.status]
    link = url_for(
        "almaws.get_item",
        mms_id=mms_id,
        holding_id=holding.holding_id,
        item_pid=item.item_id,
        _external=True,
    )
    return {
        "bib_data": {
            "mms_id": mms_id,
            "title": summary["title"],
            "author": summary["author"],
            "isbn": summary["isbn"],
        },
        "holding_data": {"holding_id": holding.holding_id, "call_number": holding.call_number},
        "item_data": {
            "pid": item.item_id,
            "barcode": item.barcode,
            "base_status": {"value": base, "desc": base_desc},
            "process_type": {"value": process, "desc": process_desc},
            "library": {"value": holding.library_code, "desc": holding.library_name},
            "location": {"value": holding.location_code, "desc": holding.location_name},
            "description": item.description,
        },
        "link": link,
    }


def _to_xml(body: dict[str, Any]) -> etree._Element:
    root = etree.Element("item", link=body["link"])
    for section in ("bib_data", "holding_data", "item_data"):
        el = text(root, section, None)
        for key, value in body[section].items():
            if isinstance(value, dict):
                text(el, key, value["value"], desc=value["desc"] or "")
            else:
                text(el, key, value or "")
    return root


def _respond(mms_id: str, holding_id: str, item_pid: str):
    holding, item = _find(mms_id, holding_id, item_pid)
    body = _item_body(check_mms_id(mms_id), holding, item)
    return json_response(body) if wants_json() else xml_response(_to_xml(body))


def _set_status(mms_id: str, holding_id: str, item_pid: str, status: str):
    _, item = _find(mms_id, holding_id, item_pid)
    try:
        get_store().inventory.set_item_status(item.item_id, status)
    except InventoryError as exc:
        raise bad_parameter(str(exc)) from exc
    current_app.logger.info("item %s of %s is now %s", item.item_id, mms_id, status)
    return _respond(mms_id, holding_id, item.item_id)


def get_item(mms_id: str, holding_id: str, item_pid: str):
    """``GET .../items/{item_pid}``: the item in Alma's Item shape."""
    wants_json()
    return _respond(mms_id, holding_id, item_pid)


def operate_item(mms_id: str, holding_id: str, item_pid: str):
    """``POST .../items/{item_pid}?op=loan|return|scan|missing``.

    Raises:
        AlmaError: a missing or unknown ``op`` (``401652``), or no such item.
    """
    wants_json()
    op = request.args.get("op", "").strip().lower()
    if op not in OPERATIONS:
        raise bad_parameter(f"op must be one of {', '.join(OPERATIONS)}; got {op!r}")
    return _set_status(mms_id, holding_id, item_pid, OPERATIONS[op])


def loan_item(mms_id: str, holding_id: str, item_pid: str):
    """``POST .../items/{item_pid}/loans``: lends the item."""
    wants_json()
    return _set_status(mms_id, holding_id, item_pid, "loaned")


def update_item(mms_id: str, holding_id: str, item_pid: str):
    """``PUT .../items/{item_pid}``: sets the status an Item object (JSON or XML) describes.

    Raises:
        AlmaError: a body that cannot be read or that names no status (``401652``).
    """
    wants_json()
    return _set_status(mms_id, holding_id, item_pid, status_from_body(request.get_data()))


def _status_of(process: str, base: str, plain: str) -> str:
    if plain:
        if plain not in ALMA_STATUS:
            raise bad_parameter(f"status must be one of {', '.join(ALMA_STATUS)}; got {plain!r}")
        return plain
    if process:
        if process.upper() not in PROCESS_TYPES:
            raise bad_parameter(f"process_type {process!r} is not supported (LOAN, MISSING)")
        return PROCESS_TYPES[process.upper()]
    if base == "1":
        return "available"
    raise bad_parameter("the item needs item_data.process_type, base_status 1, or status")


def status_from_body(data: bytes) -> str:
    """Returns the item status that a PUT body asks for.

    Raises:
        AlmaError: an unreadable body or one without a status.
    """
    stripped = data.strip()
    if not stripped:
        raise bad_parameter("the request body is empty: send an Item object")
    if stripped[:1] in (b"{", b"["):
        try:
            body = json.loads(stripped)
        except ValueError as exc:
            raise bad_parameter(f"the JSON body cannot be read: {exc}") from exc
        if not isinstance(body, dict):
            raise bad_parameter("the JSON body must be an object")
        item_data = body.get("item_data") if isinstance(body.get("item_data"), dict) else {}

        def value(key: str) -> str:
            found = item_data.get(key)
            found = found.get("value") if isinstance(found, dict) else found
            return str(found or "").strip()

        return _status_of(
            value("process_type"), value("base_status"), str(body.get("status") or "")
        )
    try:
        root = etree.fromstring(stripped, SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        raise bad_parameter(f"the XML body cannot be read: {exc}") from exc
    return _status_of(
        (root.findtext("item_data/process_type") or "").strip(),
        (root.findtext("item_data/base_status") or "").strip(),
        (root.findtext("status") or "").strip(),
    )
