"""Who may download: an API key given as Alma's (``?apikey=KEY``, ``Authorization: apikey KEY``) or
as the password of HTTP Basic authentication (any user name), so that browsers and ``curl -u`` work.

Ref: <https://www.rfc-editor.org/rfc/rfc7617> (the 'Basic' HTTP authentication scheme).
"""

from __future__ import annotations

import base64
import binascii

from flask import Request

from app.auth import configured_keys, header_key, key_accepted

REALM = "Pressmark downloads"
CHALLENGE = f'Basic realm="{REALM}"'
"""The ``WWW-Authenticate`` value of a refused request: browsers then ask for a user and password."""


def basic_password(header: str) -> str | None:
    """Returns the password of a ``Basic`` Authorization header value, or None when it is not one.

    The credentials are ``base64(user ":" password)``; the password may contain colons. They are
    read as UTF-8 (RFC 7617 ``charset``), else as ISO-8859-1, which browsers still send.
    """
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        return None
    try:
        raw = base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    user, colon, password = text.partition(":")
    return password if colon else None


def given_credential(request: Request) -> tuple[str | None, str | None]:
    """Returns (key, where it came from) of a request: ``header``, ``basic``, ``param`` or None.

    The header ``Authorization: apikey KEY`` comes first, then Basic, then the ``apikey``
    parameter; a malformed header counts as no credential.
    """
    key = header_key()
    if key is not None:
        return key, "header"
    password = basic_password(request.headers.get("Authorization", ""))
    if password:
        return password, "basic"
    key = request.args.get("apikey")
    if key:
        return key, "param"
    return None, None


def check(request: Request) -> tuple[str | None, str | None]:
    """Returns (where the accepted key came from, None), or (None, why the request is refused)."""
    keys = configured_keys()
    if not keys:
        return None, "No API key is configured on this server (set API_KEYS)."
    key, source = given_credential(request)
    if key is None:
        return None, (
            "Send an API key: as the password of HTTP Basic authentication (any user name),"
            " as ?apikey=KEY, or in the header 'Authorization: apikey KEY'."
        )
    if not key_accepted(key, keys):
        return None, "The API key is not accepted."
    return source, None
