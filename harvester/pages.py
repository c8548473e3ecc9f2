"""Strict parsing of OAI-PMH responses, and the harvester's errors.

No recovery, no DTD, no entities, no network: a page cut off mid-transfer is an error (and is
retried), never a silently short list. Only records whose own bytes are bad (invalid UTF-8,
characters XML forbids) are cut out of a page that is otherwise intact.
"""

from __future__ import annotations

import re

from lxml import etree

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
_OAI = f"{{{OAI_NS}}}"

#: Strict: no recovery, no DTD, no entity expansion, no network, no huge text nodes.
STRICT_PARSER = etree.XMLParser(
    recover=False,
    resolve_entities=False,
    load_dtd=False,
    no_network=True,
    huge_tree=False,
    remove_blank_text=False,
)

# an OAI <record> of a page (with or without a prefix), for cutting out bad records: it starts with
# its header and ends where the next record, the token or the list's end begins, so that a MARC
# <record> inside it (default namespace, no prefix) does not end it
_RECORD_CHUNK = re.compile(
    rb"<(?P<p>(?:[A-Za-z_][\w.-]*:)?)record\s*>\s*<(?P=p)header[\s>].*?</(?P=p)record\s*>"
    rb"(?=\s*(?:<(?P=p)record\s*>|<(?P=p)resumptionToken[\s>/]|</(?P=p)ListRecords\s*>))",
    re.DOTALL,
)
_IDENTIFIER = re.compile(rb"<(?:[\w.-]+:)?identifier\s*>([^<]{1,500})</", re.DOTALL)
_ENCODING_PROBLEMS = ("utf-8", "char value", "xmlchar", "invalid char", "encoding", "bytes:")


class HarvestError(Exception):
    """A page could not be obtained: transport, HTTP status, size, time, or a malformed response."""


class ProtocolError(HarvestError):
    """The repository answered with an OAI-PMH error (``code`` as the spec spells it)."""

    def __init__(self, code: str, message: str, response_date: str | None = None) -> None:
        super().__init__(f"OAI-PMH error {code}: {message}".strip())
        self.code = code
        self.message = message
        self.response_date = response_date


class RetryableError(HarvestError):
    """A failure that may go away if the request is made again (truncation, timeout, 5xx)."""


def parse_page(
    body: bytes, *, salvage: bool = False
) -> tuple[etree._Element, list[tuple[str, str]]]:
    """Parses a response strictly; with ``salvage``, cuts out records whose bytes are bad.

    Only records that fail on their own for a character or encoding problem are cut out, and the
    rest of the page must then parse strictly: a truncated page is never shortened.

    Raises:
        RetryableError: the response is not well-formed XML (for example cut off mid-transfer).
        HarvestError: the response declares a DTD or entities (refused), or is not OAI-PMH.
    """
    if b"<!DOCTYPE" in body[:4096] or b"<!ENTITY" in body:
        raise HarvestError("response declares a DTD or entities: refused (no entity expansion)")
    rejected: list[tuple[str, str]] = []
    try:
        root = etree.fromstring(body, STRICT_PARSER)
    except etree.XMLSyntaxError as exc:
        message = str(exc)
        if not (salvage and any(p in message.lower() for p in _ENCODING_PROBLEMS)):
            raise RetryableError(f"malformed XML ({len(body)} bytes): {message}") from exc
        body, rejected = _cut_bad_records(body)
        try:
            root = etree.fromstring(body, STRICT_PARSER)
        except etree.XMLSyntaxError as exc2:
            raise RetryableError(f"malformed XML ({len(body)} bytes): {exc2}") from exc2
    if root.tag != f"{_OAI}OAI-PMH":
        raise HarvestError(f"not an OAI-PMH response (root element {root.tag})")
    return root, rejected


def _cut_bad_records(body: bytes) -> tuple[bytes, list[tuple[str, str]]]:
    rejected: list[tuple[str, str]] = []
    head = body[:2048]
    namespaces = b" ".join(re.findall(rb"xmlns(?::[\w.-]+)?=\"[^\"]*\"", head))

    def check(match: re.Match) -> bytes:
        chunk = match.group(0)
        wrapper = b"<wrap " + namespaces + b">" + chunk + b"</wrap>"
        try:
            etree.fromstring(wrapper, STRICT_PARSER)
        except etree.XMLSyntaxError as exc:
            found = _IDENTIFIER.search(chunk)
            ident = found.group(1).decode("utf-8", "replace").strip() if found else "(unknown)"
            rejected.append((ident, f"unreadable record: {exc}"))
            return b""
        return chunk

    return _RECORD_CHUNK.sub(check, body), rejected
