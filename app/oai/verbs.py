"""Request arguments -> validated arguments of one verb, or an OAIError.

Ref: <https://www.openarchives.org/OAI/openarchivesprotocol.html#ProtocolMessages>
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from app.oai.errors import BadArgument, BadVerb
from app.xml import parse_datestamp

#: verb -> (required arguments, optional arguments); resumptionToken is exclusive where allowed
VERBS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "Identify": (frozenset(), frozenset()),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"})),
    "ListSets": (frozenset(), frozenset({"resumptionToken"})),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset()),
    "ListIdentifiers": (
        frozenset({"metadataPrefix"}),
        frozenset({"from", "until", "set", "resumptionToken"}),
    ),
    "ListRecords": (
        frozenset({"metadataPrefix"}),
        frozenset({"from", "until", "set", "resumptionToken"}),
    ),
}

#: protocol argument names -> Python names
ARGUMENT_NAMES = {
    "identifier": "identifier",
    "metadataPrefix": "metadata_prefix",
    "from": "from_",
    "until": "until",
    "set": "set_",
    "resumptionToken": "resumption_token",
}

# patterns of OAI-PMH.xsd (metadataPrefixType, setSpecType) and a URI without forbidden characters
_PREFIX = re.compile(r"[A-Za-z0-9\-_.!~*'()]+\Z")
_SET_SPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*\Z")
_URI = re.compile(r"[^\s<>\"{}|\\^`\x00-\x1f\x7f]+\Z")


@dataclass(frozen=True)
class Arguments:
    """The validated arguments of one request (``from_``/``until`` as epoch seconds)."""

    verb: str
    echo: dict[str, str]
    identifier: str | None = None
    metadata_prefix: str | None = None
    from_: int | None = None
    until: int | None = None
    set_: str | None = None
    resumption_token: str | None = None


def parse(values: MultiDict) -> Arguments:
    """Returns the validated arguments of a request.

    Raises:
        BadVerb: the verb is missing, repeated or unknown.
        BadArgument: an argument is illegal, missing, repeated or malformed, the granularities of
            from and until differ, or from is later than until.
    """
    verbs = values.getlist("verb")
    if len(verbs) != 1:
        raise BadVerb("the verb is missing" if not verbs else "the verb is repeated")
    verb = verbs[0]
    if verb not in VERBS:
        raise BadVerb("illegal verb")
    required, optional = VERBS[verb]
    given: dict[str, str] = {}
    for name in values:
        if name == "verb":
            continue
        if name not in required | optional:
            raise BadArgument(f"illegal argument {name!r} for {verb}")
        found = values.getlist(name)
        if len(found) > 1:
            raise BadArgument(f"argument {name!r} is repeated")
        given[name] = found[0]
    if "resumptionToken" in given:
        if len(given) > 1:
            raise BadArgument("resumptionToken is an exclusive argument")
        return Arguments(verb, given, resumption_token=given["resumptionToken"])
    missing = sorted(required - given.keys())
    if missing:
        raise BadArgument(f"missing argument(s) for {verb}: {', '.join(missing)}")
    return Arguments(verb, given, **_checked(given))


def _checked(given: dict[str, str]) -> dict:
    """Returns the Python arguments of ``given``, checked against the protocol's syntax."""
    out: dict = {}
    if "metadataPrefix" in given:
        if not _PREFIX.match(given["metadataPrefix"]):
            raise BadArgument("metadataPrefix has characters that OAI-PMH does not allow")
        out["metadata_prefix"] = given["metadataPrefix"]
    if "identifier" in given:
        if not _URI.match(given["identifier"]):
            raise BadArgument("identifier is not a URI")
        out["identifier"] = given["identifier"]
    if "set" in given:
        if not _SET_SPEC.match(given["set"]):
            raise BadArgument("set is not a valid setSpec")
        out["set_"] = given["set"]
    granularities = set()
    for name, end_of_day in (("from", False), ("until", True)):
        if name in given:
            parsed = parse_datestamp(given[name], end_of_day=end_of_day)
            if parsed is None:
                raise BadArgument(f"{name} is not a date (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)")
            out[ARGUMENT_NAMES[name]] = parsed[0]
            granularities.add(parsed[1])
    if len(granularities) > 1:
        raise BadArgument("from and until have different granularities")
    if "from_" in out and "until" in out and out["from_"] > out["until"]:
        raise BadArgument("from is later than until")
    return out
