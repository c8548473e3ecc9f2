"""Alma-style errors: an exception rendered once as a ``web_service_result`` with an ``errorList``.

Alma answers errors with HTTP 400 (401 for a missing or wrong API key, 404 for an unknown path) and
a body that names an error code; the codes used here are Alma's where Alma documents one:

- ``402203`` the MMS ID is not valid (no such record, or a deleted one);
- ``402204`` the MMS ID is not numeric;
- ``401689`` / ``401890`` no such item / holding under that record;
- ``401652`` general error (bad parameter values, bodies that cannot be read);
- ``UNAUTHORIZED`` no API key or an unknown one (Alma's gateway error).

Ref: <https://developers.exlibrisgroup.com/alma/apis/#error>
"""

from __future__ import annotations

import json
import secrets
from http import HTTPStatus

from flask import Response
from lxml import etree

#: Namespace of Alma's ``web_service_result`` error document.
ALMA_WS_NS = "http://com/exlibris/urm/general/xmlbeans"

NOT_VALID = "402203"
NOT_NUMERIC = "402204"
NO_ITEM = "401689"
NO_HOLDING = "401890"
GENERAL = "401652"
UNAUTHORIZED = "UNAUTHORIZED"


class AlmaError(Exception):
    """An error answered in Alma's shape, with an HTTP status and an Alma error code."""

    def __init__(self, code: str, message: str, status: int = HTTPStatus.BAD_REQUEST) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = int(status)


def bad_parameter(message: str) -> AlmaError:
    """Returns the error for a parameter or body value that cannot be used (``401652``)."""
    return AlmaError(GENERAL, message)


def error_response(error: AlmaError, as_json: bool) -> Response:
    """Renders ``error`` as Alma does: ``web_service_result`` in XML, or the same keys in JSON."""
    tracking = f"E01-{secrets.token_hex(6).upper()}"
    if as_json:
        body = {
            "errorsExist": True,
            "errorList": {
                "error": [
                    {
                        "errorCode": error.code,
                        "errorMessage": error.message,
                        "trackingId": tracking,
                    }
                ]
            },
            "result": None,
        }
        return Response(json.dumps(body), error.status, mimetype="application/json")
    root = etree.Element(f"{{{ALMA_WS_NS}}}web_service_result", nsmap={None: ALMA_WS_NS})
    etree.SubElement(root, f"{{{ALMA_WS_NS}}}errorsExist").text = "true"
    error_list = etree.SubElement(root, f"{{{ALMA_WS_NS}}}errorList")
    item = etree.SubElement(error_list, f"{{{ALMA_WS_NS}}}error")
    etree.SubElement(item, f"{{{ALMA_WS_NS}}}errorCode").text = error.code
    etree.SubElement(item, f"{{{ALMA_WS_NS}}}errorMessage").text = error.message
    etree.SubElement(item, f"{{{ALMA_WS_NS}}}trackingId").text = tracking
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return Response(xml, error.status, mimetype="application/xml")
