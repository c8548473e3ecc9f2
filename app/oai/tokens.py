"""Signed, expiring resumption tokens: a keyset position in a list whose upper bound is frozen.

A token carries the list's arguments (metadataPrefix, from, set), the frozen ``until`` (the
first request's time, or the client's until when earlier), the last (datestamp, row id) sent,
the cursor and the complete list size. It is signed with ``URLSafeTimedSerializer(SECRET_KEY,
salt=verb)`` (invenio-oaiserver's ``resumption_token.py``): a token tampered with, issued for
another verb, or older than ``OAI_TOKEN_MAX_AGE`` raises BadResumptionToken.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from itsdangerous import BadData, URLSafeTimedSerializer

from app.oai.errors import BadResumptionToken


@dataclass(frozen=True)
class ListState:
    """Where a list stands: its arguments, its frozen bound and the position reached."""

    metadata_prefix: str
    from_: int | None
    until: int
    set_: str | None
    after: tuple[int, int] | None
    cursor: int
    total: int


def _serializer(secret_key: str, verb: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=verb)


def encode(state: ListState, *, secret_key: str, verb: str) -> str:
    """Returns the signed token of ``state`` for ``verb``."""
    return _serializer(secret_key, verb).dumps(asdict(state))


def decode(token: str, *, secret_key: str, verb: str, max_age: int) -> ListState:
    """Returns the state that a token carries.

    Raises:
        BadResumptionToken: the token is garbage, tampered, for another verb, or expired.
    """
    try:
        data = _serializer(secret_key, verb).loads(token, max_age=max_age)
    except BadData as exc:
        raise BadResumptionToken("the resumption token is invalid or has expired") from exc
    try:
        return _state(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise BadResumptionToken("the resumption token is invalid") from exc


def _int_or_none(value: object) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("not an integer")
    return value


def _state(data: dict) -> ListState:
    """Rebuilds a ListState from a token's JSON, checking every type."""
    after = data["after"]
    if after is not None:
        first, second = after
        after = (_int_or_none(first), _int_or_none(second))
        if None in after:
            raise ValueError("bad position")
    prefix, set_ = data["metadata_prefix"], data["set_"]
    if not isinstance(prefix, str) or not (set_ is None or isinstance(set_, str)):
        raise TypeError("bad arguments")
    until, cursor, total = (_int_or_none(data[k]) for k in ("until", "cursor", "total"))
    if until is None or cursor is None or total is None:
        raise ValueError("missing bound")
    return ListState(prefix, _int_or_none(data["from_"]), until, set_, after, cursor, total)
