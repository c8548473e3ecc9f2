"""Every OAI-PMH error, with HTTP 200, the request echoed as the spec says, and a fuzz battery."""

from __future__ import annotations

import random
import time

import pytest
from itsdangerous import URLSafeTimedSerializer
from werkzeug.datastructures import MultiDict

from tests.oai.protocol import NS, error_code, identifier, oai, validate, xpath

CASES = [
    # (arguments, error code, echoed)
    ({}, "badVerb", False),
    ({"verb": "Frobnicate"}, "badVerb", False),
    ({"verb": ["Identify", "Identify"]}, "badVerb", False),
    ({"verb": "Identify", "metadataPrefix": "marc21"}, "badArgument", False),
    ({"verb": "ListRecords"}, "badArgument", False),
    ({"verb": "ListRecords", "metadataPrefix": ["marc21", "oai_dc"]}, "badArgument", False),
    (
        {"verb": "ListRecords", "metadataPrefix": "marc21", "from": "2020-13-45"},
        "badArgument",
        False,
    ),
    (
        {"verb": "ListRecords", "metadataPrefix": "marc21", "from": "2020-01-01T00:00Z"},
        "badArgument",
        False,
    ),
    (
        {
            "verb": "ListRecords",
            "metadataPrefix": "marc21",
            "from": "2020-01-01",
            "until": "2021-01-01T00:00:00Z",
        },
        "badArgument",
        False,
    ),
    (
        {
            "verb": "ListRecords",
            "metadataPrefix": "marc21",
            "from": "2021-01-02",
            "until": "2021-01-01",
        },
        "badArgument",
        False,
    ),
    ({"verb": "ListRecords", "metadataPrefix": "marc21", "set": "bad set"}, "badArgument", False),
    ({"verb": "ListRecords", "metadataPrefix": "bad prefix"}, "badArgument", False),
    (
        {"verb": "ListRecords", "metadataPrefix": "marc21", "resumptionToken": "x"},
        "badArgument",
        False,
    ),
    ({"verb": "GetRecord", "identifier": "oai:x:1"}, "badArgument", False),
    ({"verb": "GetRecord", "identifier": "a b", "metadataPrefix": "marc21"}, "badArgument", False),
    ({"verb": "ListRecords", "resumptionToken": "garbage"}, "badResumptionToken", True),
    ({"verb": "ListIdentifiers", "resumptionToken": ""}, "badResumptionToken", True),
    ({"verb": "ListSets", "resumptionToken": "anything"}, "badResumptionToken", True),
    ({"verb": "ListRecords", "metadataPrefix": "mods"}, "cannotDisseminateFormat", True),
    ({"verb": "ListIdentifiers", "metadataPrefix": "mods"}, "cannotDisseminateFormat", True),
    (
        {"verb": "GetRecord", "identifier": identifier("9910101"), "metadataPrefix": "mods"},
        "cannotDisseminateFormat",
        True,
    ),
    (
        {"verb": "GetRecord", "identifier": identifier("990"), "metadataPrefix": "marc21"},
        "idDoesNotExist",
        True,
    ),
    (
        {"verb": "GetRecord", "identifier": "oai:other.org:9910101", "metadataPrefix": "marc21"},
        "idDoesNotExist",
        True,
    ),
    ({"verb": "ListMetadataFormats", "identifier": "oai:other.org:1"}, "idDoesNotExist", True),
    (
        {"verb": "ListRecords", "metadataPrefix": "marc21", "until": "1990-01-01"},
        "noRecordsMatch",
        True,
    ),
    (
        {"verb": "ListIdentifiers", "metadataPrefix": "marc21", "from": "2999-01-01T00:00:00Z"},
        "noRecordsMatch",
        True,
    ),
    ({"verb": "ListRecords", "metadataPrefix": "marc21", "set": "music"}, "noSetHierarchy", True),
    ({"verb": "ListSets"}, "noSetHierarchy", True),
]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("params", "code", "echoed"), CASES)
def test_error_is_http_200_with_code_and_request_echo(client, method, params, code, echoed):
    if method == "post":
        response = client.post("/oai", data=params)
    else:
        response = client.get("/oai", query_string=params)
    assert response.status_code == 200
    root = validate(response.data)
    assert error_code(root) == code
    request = root.find("oai:request", NS)
    expected = {}
    if echoed:
        expected = {k: v for k, v in params.items()}
    assert dict(request.attrib) == expected
    assert request.text == "http://localhost/oai"


def test_no_metadata_formats_for_a_deleted_record(client, store):
    dead = store.conn.execute("SELECT mms_id FROM records WHERE deleted = 1").fetchone()[0]
    root = oai(client, verb="ListMetadataFormats", identifier=identifier(dead))
    assert error_code(root) == "noMetadataFormats"


def test_unknown_set_gives_no_records_match(client, store):
    store.define_set("music", "Music")
    root = oai(client, verb="ListRecords", metadataPrefix="marc21", set="unknown")
    assert error_code(root) == "noRecordsMatch"


def first_token(app, client, verb="ListRecords") -> str:
    app.config["OAI_PAGE_SIZE"] = app.config["OAI_IDENTIFIERS_PAGE_SIZE"] = 10
    root = oai(client, verb=verb, metadataPrefix="marc21")
    return root.find(f"oai:{verb}/oai:resumptionToken", NS).text


def test_tampered_token_is_bad_resumption_token(app, client):
    token = first_token(app, client)
    assert error_code(oai(client, verb="ListRecords", resumptionToken=token)) is None
    for i in (5, len(token) // 2, len(token) - 2):
        tampered = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
        root = oai(client, verb="ListRecords", resumptionToken=tampered)
        assert error_code(root) == "badResumptionToken"
        assert xpath(root, "string(oai:request/@resumptionToken)") == tampered


def test_token_of_another_verb_or_key_is_bad_resumption_token(app, client):
    token = first_token(app, client, "ListIdentifiers")
    assert (
        error_code(oai(client, verb="ListRecords", resumptionToken=token)) == "badResumptionToken"
    )
    forged = URLSafeTimedSerializer("another-key", salt="ListRecords").dumps(
        {
            "metadata_prefix": "marc21",
            "from_": None,
            "until": 2**40,
            "set_": None,
            "after": None,
            "cursor": 0,
            "total": 1,
        }
    )
    assert (
        error_code(oai(client, verb="ListRecords", resumptionToken=forged)) == "badResumptionToken"
    )


def test_well_signed_token_with_bad_content_is_bad_resumption_token(app, client):
    signer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="ListRecords")
    for payload in (
        {},
        [1, 2],
        {"metadata_prefix": 3},
        "x",
        {
            "metadata_prefix": "marc21",
            "from_": None,
            "until": "x",
            "set_": None,
            "after": [1],
            "cursor": 0,
            "total": 1,
        },
    ):
        root = oai(client, verb="ListRecords", resumptionToken=signer.dumps(payload))
        assert error_code(root) == "badResumptionToken"


def test_expired_token_is_bad_resumption_token(app, client):
    token = first_token(app, client)
    app.config["OAI_TOKEN_MAX_AGE"] = 1
    time.sleep(2.1)
    root = oai(client, verb="ListRecords", resumptionToken=token)
    assert error_code(root) == "badResumptionToken"


VALUES = [
    "",
    " ",
    "marc21",
    "oai_dc",
    "Identify",
    "ListRecords",
    "GetRecord",
    "ListSets",
    "ListIdentifiers",
    "ListMetadataFormats",
    "2020-01-01",
    "2020-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "0000-00-00",
    "-1",
    "oai:pressmark.example.org:9910101",
    "oai:pressmark.example.org:",
    "%00",
    "\x00",
    "\ufffd",
    "<x>&amp;",
    "'\"",
    "a" * 3000,
    "music",
    "a:b:c",
    "é",
    "\u202e",
    "..",
    "1e999",
    "null",
    "[]",
    "{}",
]
NAMES = ["verb", "metadataPrefix", "from", "until", "set", "identifier", "resumptionToken", "x", ""]


def fuzz_cases(seed: int, count: int) -> list[list[tuple[str, str]]]:
    """Returns a deterministic battery of random argument lists."""
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        pairs = [("verb", rng.choice(VALUES[4:10]))] if rng.random() < 0.8 else []
        for _ in range(rng.randint(0, 4)):
            value = rng.choice(VALUES)
            if rng.random() < 0.2:
                value = "".join(chr(rng.randint(1, 0x2FFF)) for _ in range(rng.randint(1, 12)))
            pairs.append((rng.choice(NAMES), value))
        cases.append(pairs)
    return cases


def test_fuzzed_arguments_never_give_a_500(app, client, store):
    store.define_set("music", "Music")
    app.config["OAI_PAGE_SIZE"] = 5
    for pairs in fuzz_cases(seed=20261123, count=600):
        method = random.Random(str(pairs)).choice(["get", "post"])
        if method == "get":
            response = client.get("/oai", query_string=MultiDict(pairs))
        else:
            response = client.post("/oai", data=MultiDict(pairs))
        assert response.status_code == 200, pairs
        validate(response.data)
