"""Alma-style REST APIs under ``/almaws/v1``: availability, items, real-time ordering.

Routes (``{...}`` are path parameters):

==========================================================================  ======  ===========
path                                                                         method  API key
==========================================================================  ======  ===========
``/bibs/{mms_id}?expand=p_avail,e_avail,d_avail``                           GET     setting
``/bibs?mms_id=a,b&expand=...``                                             GET     setting
``/bibs/{mms_id}/holdings/{holding_id}/items/{item_pid}``                    GET     setting
``/bibs/{mms_id}/holdings/{holding_id}/items/{item_pid}?op=loan|return|...`` POST    always
``/bibs/{mms_id}/holdings/{holding_id}/items/{item_pid}/loans``              POST    always
``/bibs/{mms_id}/holdings/{holding_id}/items/{item_pid}``                    PUT     always
``/acq/po-lines``                                                            POST    always
``/acq/po-lines`` and ``/acq/po-lines/{number}``                             GET     always
==========================================================================  ======  ===========

Writes always need an API key (``app.auth``: ``?apikey=KEY`` or ``Authorization: apikey KEY``), and
so do reads of order lines (vendors, prices: staff data); reads of availability and items need one
when ``ALMAWS_READ_REQUIRES_KEY`` is true. Answers are XML unless ``format=json``
or ``Accept: application/json``; errors are Alma's ``web_service_result`` (see ``errors.py``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, current_app, request

from app.almaws import acq, bibs, items
from app.almaws.errors import AlmaError, bad_parameter, error_response
from app.almaws.representation import wants_json_quietly
from app.auth import require_api_key
from indexer.store.records import StoreError

logger = logging.getLogger(__name__)

bp = Blueprint("almaws", __name__, url_prefix="/almaws/v1")


def _read(view: Callable[..., Any]) -> Callable[..., Any]:
    """Protects a read with the API key when ``ALMAWS_READ_REQUIRES_KEY`` is set."""
    protected = require_api_key(view)

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_app.config["ALMAWS_READ_REQUIRES_KEY"]:
            return protected(*args, **kwargs)
        return view(*args, **kwargs)

    return wrapped


def _write(view: Callable[..., Any]) -> Callable[..., Any]:
    """Protects a write with the API key, and refuses bodies above ``ALMAWS_MAX_BODY``."""

    @functools.wraps(view)
    def limited(*args: Any, **kwargs: Any) -> Any:
        limit = int(current_app.config["ALMAWS_MAX_BODY"])
        if (request.content_length or 0) > limit:
            raise bad_parameter(f"the request body is larger than {limit} bytes")
        return view(*args, **kwargs)

    return require_api_key(limited)


ITEM = "/bibs/<mms_id>/holdings/<holding_id>/items/<item_pid>"
bp.add_url_rule("/bibs/<mms_id>", view_func=_read(bibs.get_bib), methods=["GET"])
bp.add_url_rule("/bibs", view_func=_read(bibs.get_bibs), methods=["GET"])
bp.add_url_rule(ITEM, view_func=_read(items.get_item), methods=["GET"])
bp.add_url_rule(ITEM, view_func=_write(items.operate_item), methods=["POST"])
bp.add_url_rule(ITEM, "update_item", view_func=_write(items.update_item), methods=["PUT"])
bp.add_url_rule(f"{ITEM}/loans", view_func=_write(items.loan_item), methods=["POST"])
bp.add_url_rule("/acq/po-lines", view_func=require_api_key(acq.list_po_lines), methods=["GET"])
bp.add_url_rule("/acq/po-lines", view_func=_write(acq.create_po_line), methods=["POST"])
bp.add_url_rule(
    "/acq/po-lines/<number>", view_func=require_api_key(acq.get_po_line), methods=["GET"]
)


@bp.errorhandler(AlmaError)
def handle_alma_error(error: AlmaError):
    """Renders an :class:`AlmaError` as Alma's ``web_service_result``."""
    return error_response(error, wants_json_quietly())


@bp.errorhandler(StoreError)
def handle_store_error(error: StoreError):
    """A store that cannot be opened (missing, locked) is a 503, never a traceback."""
    logger.error("record store unavailable: %s", error)
    failure = AlmaError("401652", "General Error - the catalogue is not available now.", 503)
    return error_response(failure, wants_json_quietly())


def init_app(app: Flask) -> None:
    """Registers the ``/almaws/v1`` blueprint."""
    app.register_blueprint(bp)
