"""The authenticated download page of file publishing: listing, downloads, ranges, refusals."""

from __future__ import annotations

import base64
import json
import logging
import os
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import lxml.html
import pytest

from app.downloads.credentials import basic_password
from indexer.publishing.profile import PublishProfile
from indexer.publishing.profiles import Profiles
from indexer.publishing.runner import run_profile
from tests.conftest import LiveServer

KEY = "dl-s3cret"
CHALLENGE = 'Basic realm="Pressmark downloads"'


def basic(password: str, user: str = "anyone") -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


HEADER = {"Authorization": f"apikey {KEY}"}


@pytest.fixture
def keyed(app):
    app.config["API_KEYS"] = [KEY, "another-key"]
    return app


@pytest.fixture
def client(keyed):
    return keyed.test_client()


@pytest.fixture
def published(store, tmp_path) -> dict[str, Path]:
    """Two profiles run once: ``disc`` (MARCXML packed as .tar.gz) and ``raw`` (binary MARC)."""
    profiles = Profiles(store)
    profiles.save(PublishProfile(name="disc", output=str(tmp_path / "out"), availability=True))
    profiles.save(
        PublishProfile(
            name="raw",
            output=str(tmp_path / "raw"),
            format="marc",
            compress=False,
            max_file_bytes=100_000,
        )
    )
    files = {}
    for name in ("disc", "raw"):
        run = run_profile(store, name)
        assert run.status == "done" and run.files
        files[name] = Path(run.files[0])
    return files


def get(client, target: str, **kwargs):
    """Returns a response read in full and closed (an open file must not outlive the test)."""
    with client.get(target, **kwargs) as response:
        response.get_data()
    return response


def url(profile: str, path: Path | str) -> str:
    return f"/publish/files/{profile}/{Path(path).name}"


ROUTES = ["/publish/", "/publish/api/files", "/publish/api/profiles/disc/files"]


@pytest.mark.parametrize(
    ("headers", "query"),
    [
        ({}, ""),
        ({}, "?apikey=wrong"),
        ({"Authorization": "apikey wrong"}, ""),
        (basic("wrong"), ""),
        (basic(""), ""),
        ({"Authorization": "Basic not-base64!"}, ""),
        ({"Authorization": "Bearer " + KEY}, ""),
    ],
)
def test_every_route_refuses_a_missing_or_wrong_key_with_a_basic_challenge(
    client, published, headers, query
) -> None:
    for route in [*ROUTES, url("disc", published["disc"])]:
        response = client.get(route + query, headers=headers)
        assert response.status_code == 401, route
        assert response.headers["WWW-Authenticate"] == CHALLENGE
        assert KEY not in response.get_data(as_text=True)
        if "/api/" in route:
            assert response.get_json()["status"] == 401
        else:
            assert lxml.html.fromstring(response.data).findtext(".//h1") == (
                "Authentication required"
            )


def test_no_configured_key_refuses_everything(app, published) -> None:
    app.config["API_KEYS"] = []
    response = app.test_client().get("/publish/", headers=basic(KEY))
    assert response.status_code == 401
    assert "set API_KEYS" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("headers", "query"),
    [
        (HEADER, ""),
        ({}, f"?apikey={KEY}"),
        (basic(KEY), ""),
        (basic(KEY, user=""), ""),
        (basic("another-key", user="vendor"), ""),
    ],
)
def test_key_as_header_parameter_or_basic_password_is_accepted(
    client, published, headers, query
) -> None:
    for route in [*ROUTES, url("disc", published["disc"])]:
        with client.get(route + query, headers=headers) as response:
            assert response.status_code == 200, route


def test_basic_password_parsing() -> None:
    assert basic_password(basic("pa:ss:word")["Authorization"]) == "pa:ss:word"
    latin = base64.b64encode("u:clé".encode("latin-1")).decode()
    assert basic_password(f"basic {latin}") == "clé"
    assert basic_password("Basic " + base64.b64encode(b"no colon").decode()) is None
    assert basic_password("Basic ###") is None
    assert basic_password(f"apikey {KEY}") is None
    assert basic_password("") is None


def test_page_lists_the_runs_and_links_their_files(client, published, store) -> None:
    response = client.get("/publish/", headers=basic(KEY))
    assert response.status_code == 200
    page = lxml.html.fromstring(response.data)
    links = {a.get("href"): a.text_content() for a in page.iter("a")}
    for profile, path in published.items():
        assert links[url(profile, path)] == path.name
    assert all("apikey" not in href for href in links)
    sections = {s.findtext("h2"): s for s in page.iter("section")}
    assert set(sections) == {"disc", "raw"}
    disc = sections["disc"].text_content()
    assert "AVA/AVE/AVD availability" in disc and ".tar.gz" in disc
    run = Profiles(store).runs("disc")[0]
    row = sections["disc"].xpath(".//tbody/tr")[0]
    cells = [c.text_content().strip() for c in row.xpath("th|td")]
    assert cells[:3] == [str(run.id), "full", "done"]
    assert cells[4:6] == [str(run.records), str(run.deleted)]
    assert str(published["disc"].stat().st_size) not in cells[6]  # sizes are readable: "1.2 MB"
    assert "kB" in cells[6] or "MB" in cells[6]


def test_page_links_carry_the_key_only_when_the_page_was_opened_with_it(client, published) -> None:
    page = lxml.html.fromstring(client.get(f"/publish/?apikey={KEY}").data)
    hrefs = [a.get("href") for a in page.iter("a") if "/files/" in a.get("href")]
    assert hrefs
    for href in hrefs:
        assert parse_qs(urlsplit(href).query) == {"apikey": [KEY]}
        with client.get(href) as response:
            assert response.status_code == 200
    page = lxml.html.fromstring(client.get("/publish/", headers=HEADER).data)
    assert not [a for a in page.iter("a") if "apikey" in a.get("href")]


def test_json_listing_matches_the_files_on_disk(client, published) -> None:
    data = client.get("/publish/api/files", headers=HEADER).get_json()
    by_name = {p["name"]: p for p in data["profiles"]}
    assert set(by_name) == {"disc", "raw"}
    raw = by_name["raw"]
    assert (raw["format"], raw["compress"], raw["problem"]) == ("marc", False, None)
    files = raw["runs"][0]["files"]
    on_disk = sorted(published["raw"].parent.iterdir())
    assert [f["name"] for f in files] == [p.name for p in on_disk]
    for entry, path in zip(files, on_disk, strict=True):
        assert entry["size"] == path.stat().st_size
        assert entry["state"] == "available"
        assert entry["media_type"] == "application/marc"
        assert entry["url"] == "http://localhost" + url("raw", path)
    one = client.get("/publish/api/profiles/disc/files", headers=HEADER).get_json()
    assert one == by_name["disc"]
    assert one["runs"][0]["files"][0]["media_type"] == "application/gzip"
    missing = client.get("/publish/api/profiles/nope/files", headers=HEADER)
    assert missing.status_code == 404 and "nope" in missing.get_json()["error"]


def test_download_is_the_file_on_disk_with_validators(client, published) -> None:
    for profile, media_type in (("disc", "application/gzip"), ("raw", "application/marc")):
        path = published[profile]
        response = get(client, url(profile, path), headers=basic(KEY))
        assert response.status_code == 200
        assert response.data == path.read_bytes()
        assert response.mimetype == media_type
        assert "Content-Encoding" not in response.headers
        assert response.headers["Content-Disposition"] == f"attachment; filename={path.name}"
        assert response.headers["Accept-Ranges"] == "bytes"
        assert response.content_length == path.stat().st_size
        etag, modified = response.headers["ETag"], response.headers["Last-Modified"]
        again = get(client, url(profile, path), headers={**HEADER, "If-None-Match": etag})
        assert again.status_code == 304 and again.data == b""
        since = get(client, url(profile, path), headers={**HEADER, "If-Modified-Since": modified})
        assert since.status_code == 304


def test_range_requests_return_the_asked_bytes(client, published) -> None:
    path = published["disc"]
    data = path.read_bytes()
    response = get(client, url("disc", path), headers={**HEADER, "Range": "bytes=10-99"})
    assert response.status_code == 206
    assert response.data == data[10:100]
    assert response.headers["Content-Range"] == f"bytes 10-99/{len(data)}"
    tail = get(client, url("disc", path), headers={**HEADER, "Range": "bytes=-7"})
    assert (tail.status_code, tail.data) == (206, data[-7:])
    beyond = get(client, url("disc", path), headers={**HEADER, "Range": f"bytes={len(data)}-"})
    assert beyond.status_code == 416
    several = get(client, url("disc", path), headers={**HEADER, "Range": "bytes=0-1,5-6"})
    assert (several.status_code, several.data) == (200, data)


def test_traversal_and_unpublished_files_are_404(client, published, tmp_path, app) -> None:
    out = published["disc"].parent
    secret = tmp_path / "secret.txt"
    secret.write_text("not to be served")
    (out / "stray.xml").write_text("<x/>")  # in the directory, in no run's history
    (out / "link.xml").symlink_to(secret)
    db = Path(app.config["DATABASE"]).name
    attempts = [
        "../secret.txt",
        f"../{db}",
        "%2e%2e/secret.txt",
        "%2e%2e%2fsecret.txt",
        "..%2F..%2Fsecret.txt",
        quote(str(secret), safe=""),
        quote(str(published["raw"]), safe=""),
        "..",
        ".",
        "stray.xml",
        "link.xml",
        published["raw"].name,  # a file of the other profile
        f"sub/{published['disc'].name}",
    ]
    for attempt in attempts:
        response = client.get(f"/publish/files/disc/{attempt}", headers=HEADER)
        assert response.status_code == 404, attempt
        assert b"not to be served" not in response.data
    other = client.get(f"/publish/files/nope/{published['disc'].name}", headers=HEADER)
    assert other.status_code == 404


def test_a_recorded_file_replaced_by_a_link_outside_is_refused(client, published, tmp_path) -> None:
    path = published["disc"]
    secret = tmp_path / "secret.txt"
    secret.write_text("not to be served")
    path.unlink()
    path.symlink_to(secret)
    response = get(client, url("disc", path), headers=HEADER)
    assert response.status_code == 404
    assert b"not to be served" not in response.data
    files = client.get("/publish/api/profiles/disc/files", headers=HEADER).get_json()
    assert files["runs"][0]["files"][0]["state"] == "unavailable"


def test_a_removed_file_is_gone_and_shown_so(client, published) -> None:
    path = published["disc"]
    path.unlink()
    response = get(client, url("disc", path), headers=HEADER)
    assert response.status_code == 410
    assert path.name in lxml.html.fromstring(response.data).text_content()
    page = lxml.html.fromstring(client.get("/publish/", headers=HEADER).data)
    assert url("disc", path) not in [a.get("href") for a in page.iter("a")]
    gone = page.xpath(f"//li[@class='gone'][contains(., '{path.name}')]")
    assert gone and "removed from disk" in gone[0].text_content()
    entry = client.get("/publish/api/files", headers=HEADER).get_json()["profiles"][0]
    assert entry["runs"][0]["files"][0] | {"modified": None} == {
        "name": path.name,
        "state": "gone",
        "size": None,
        "modified": None,
        "media_type": "application/gzip",
        "url": None,
    }


def test_unknown_profile_is_a_404_page(client) -> None:
    response = client.get("/publish/files/nope/x.xml", headers=HEADER)
    assert response.status_code == 404
    assert lxml.html.fromstring(response.data).findtext(".//h1") == "Not found"


def test_an_unreadable_output_directory_is_reported(client, store, tmp_path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where the directory should be")
    Profiles(store).save(PublishProfile(name="broken", output=str(blocker)))
    page = client.get("/publish/", headers=HEADER)
    assert page.status_code == 200
    alert = lxml.html.fromstring(page.data).xpath("//p[@role='alert']")
    assert "is not a directory" in alert[0].text_content()
    data = client.get("/publish/api/profiles/broken/files", headers=HEADER).get_json()
    assert "is not a directory" in data["problem"]


def test_the_page_without_profiles_says_how_to_make_one(client) -> None:
    page = lxml.html.fromstring(client.get("/publish/", headers=HEADER).data)
    assert "pressmark publish define" in page.text_content()


def test_an_unavailable_store_is_a_503(keyed, tmp_path) -> None:
    keyed.config["DATABASE"] = str(tmp_path / "missing" / "none.db")
    client = keyed.test_client()
    assert client.get("/publish/", headers=HEADER).status_code == 503
    assert client.get("/publish/api/files", headers=HEADER).get_json()["status"] == 503


def test_downloads_are_logged(client, published, caplog) -> None:
    path = published["raw"]
    with caplog.at_level(logging.INFO, logger="app.downloads.views"):
        client.get(
            url("raw", path), headers=HEADER, environ_base={"REMOTE_ADDR": "192.0.2.7"}
        ).close()
    message = caplog.records[-1].getMessage()
    assert f"raw/{path.name}" in message and "192.0.2.7" in message


def test_a_browser_answers_the_challenge_over_http(keyed, published, runner, tmp_path) -> None:
    result = runner.invoke(
        args=["publish", "define", "cli", "-o", str(tmp_path / "cli"), "--no-compress"]
    )
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["publish", "run", "cli"]).exit_code == 0
    with LiveServer(keyed) as server:
        passwords = urllib.request.HTTPPasswordMgr()
        passwords.add_password("Pressmark downloads", server.url, "librarian", KEY)
        opener = urllib.request.build_opener(urllib.request.HTTPBasicAuthHandler(passwords))
        with opener.open(f"{server.url}/publish/api/profiles/cli/files", timeout=10) as answer:
            listing = json.load(answer)
        file = listing["runs"][0]["files"][0]
        with opener.open(file["url"].replace("http://localhost", server.url), timeout=10) as got:
            body = got.read()
        assert body == (tmp_path / "cli" / file["name"]).read_bytes()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{server.url}/publish/", timeout=10)
        assert refused.value.code == 401
        refused.value.close()
    assert os.path.getsize(tmp_path / "cli" / file["name"]) == file["size"]
