"""API keys, as Alma's: ``?apikey=KEY`` or the header ``Authorization: apikey KEY``.

Any blueprint protects a view with :func:`require_api_key`; a missing or wrong key gets a 401 with
Alma's error shape (``UNAUTHORIZED``), in JSON or, when the client asks for XML, in XML.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, jsonify, request
from lxml import etree

ALMA_NS = "http://com/exlibris/urm/general/xmlbeans"


def configured_keys() -> list[str]:
    """Returns the accepted keys of the ``API_KEYS`` setting (a list or a comma-separated string)."""
    keys = current_app.config.get("API_KEYS") or []
    if isinstance(keys, str):
        keys = keys.split(",")
    return [str(k).strip() for k in keys if str(k).strip()]


def header_key() -> str | None:
    """Returns the key of an ``Authorization: apikey KEY`` header, or None."""
    scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "apikey" and value.strip():
        return value.strip()
    return None


def given_key() -> str | None:
    """Returns the key of the request: the ``apikey`` parameter or an ``apikey`` Authorization."""
    header = header_key()
    if header is not None:
        return header
    key = request.args.get("apikey")
    if key is None and request.mimetype == "application/x-www-form-urlencoded":
        key = request.form.get("apikey")
    return key or None


def check_api_key() -> str | None:
    """Returns why the request is not authorized, or None when its key is accepted."""
    keys = configured_keys()
    if not keys:
        return "No API key is configured on this server (set API_KEYS)."
    key = given_key()
    if key is None:
        return "API key missing: pass ?apikey=KEY or the header 'Authorization: apikey KEY'."
    if not key_accepted(key, keys):
        return "API key not defined or not configured to allow this API."
    return None


def key_accepted(key: str, keys: list[str]) -> bool:
    """Returns whether ``key`` is one of ``keys``, comparing every key in constant time."""
    accepted = False
    for candidate in keys:
        # no short cut: the time taken does not tell which key, or how much of one, matched
        accepted |= hmac.compare_digest(key.encode(), candidate.encode())
    return accepted


def wants_xml() -> bool:
    """Returns whether the client asked for XML (``format=xml`` or an Accept preferring it)."""
    if request.args.get("format") in ("xml", "json"):
        return request.args["format"] == "xml"
    best = request.accept_mimetypes.best_match(["application/json", "application/xml"])
    return best == "application/xml" and request.accept_mimetypes[best] > 0


def unauthorized(message: str) -> Response:
    """Returns Alma's 401 error answer."""
    if wants_xml():
        root = etree.Element(f"{{{ALMA_NS}}}web_service_result", nsmap={None: ALMA_NS})
        etree.SubElement(root, f"{{{ALMA_NS}}}errorsExist").text = "true"
        error_list = etree.SubElement(root, f"{{{ALMA_NS}}}errorList")
        error = etree.SubElement(error_list, f"{{{ALMA_NS}}}error")
        etree.SubElement(error, f"{{{ALMA_NS}}}errorCode").text = "UNAUTHORIZED"
        etree.SubElement(error, f"{{{ALMA_NS}}}errorMessage").text = message
        body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        response = Response(body, 401, mimetype="application/xml")
    else:
        response = jsonify(
            {
                "errorsExist": True,
                "errorList": {"error": [{"errorCode": "UNAUTHORIZED", "errorMessage": message}]},
                "result": None,
            }
        )
        response.status_code = 401
    response.headers["WWW-Authenticate"] = 'apikey realm="Pressmark"'
    return response


def require_api_key(view: Callable[..., Any]) -> Callable[..., Any]:
    """Decorates a view so that it answers 401 unless the request carries an accepted API key."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        problem = check_api_key()
        if problem:
            return unauthorized(problem)
        return view(*args, **kwargs)

    return wrapped
