"""The staff API and page: API keys on every route, profiles, background runs and their reports."""

from __future__ import annotations

import time

import pytest
from lxml import etree

from tests.harvest.sources import OAIFixtureServer, build_source_store, fake_records

KEY = "staff-key"


@pytest.fixture
def staff(app):
    app.config["API_KEYS"] = [KEY, "other-key"]
    app.config["HARVEST_BACKOFF"] = 0.05
    return app.test_client()


@pytest.fixture(scope="module")
def source_records(tmp_path_factory):
    store = build_source_store(tmp_path_factory.mktemp("source"))
    yield fake_records(store)[:40]
    store.close()


def auth(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"apikey {key}"}


def wait_for_run(staff, url: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = staff.get(url, headers=auth()).get_json()
        if run["status"] != "running":
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {url} did not end")


WRITES = [
    ("post", "/staff/api/profiles"),
    ("put", "/staff/api/profiles/p"),
    ("patch", "/staff/api/profiles/p"),
    ("delete", "/staff/api/profiles/p"),
    ("post", "/staff/api/profiles/p/runs"),
    ("post", "/staff/profiles/p/run"),
]
READS = [
    "/staff/",
    "/staff/api/profiles",
    "/staff/api/profiles/p",
    "/staff/api/profiles/p/runs",
    "/staff/api/runs/1",
]


@pytest.mark.parametrize(("method", "url"), WRITES)
def test_every_write_requires_the_api_key(staff, method, url):
    send = getattr(staff, method)
    missing = send(url, json={"name": "p", "base_url": "http://h/oai"})
    assert missing.status_code == 401
    assert "API key missing" in missing.get_json()["errorList"]["error"][0]["errorMessage"]
    wrong = send(url + "?apikey=nope", json={"name": "p", "base_url": "http://h/oai"})
    assert wrong.status_code == 401
    assert wrong.get_json()["errorList"]["error"][0]["errorCode"] == "UNAUTHORIZED"
    assert wrong.headers["WWW-Authenticate"].startswith("apikey")
    assert staff.get("/staff/api/profiles", headers=auth()).get_json() == {"profiles": []}


@pytest.mark.parametrize("url", READS)
def test_reads_require_the_api_key_too(staff, url):
    assert staff.get(url).status_code == 401
    assert staff.get(url, headers=auth("bad")).status_code == 401


def test_unauthorized_in_xml_when_asked(staff):
    response = staff.get("/staff/api/profiles?format=xml")
    assert response.status_code == 401
    root = etree.fromstring(response.data)
    ns = {"w": "http://com/exlibris/urm/general/xmlbeans"}
    assert root.xpath("string(//w:errorCode)", namespaces=ns) == "UNAUTHORIZED"


def test_no_configured_key_refuses_everything(app):
    app.config["API_KEYS"] = []
    response = app.test_client().get("/staff/api/profiles?apikey=anything")
    assert response.status_code == 401
    assert "No API key is configured" in response.get_data(as_text=True)


def test_key_as_parameter_header_or_comma_separated_setting(app):
    app.config["API_KEYS"] = "one, two"
    client = app.test_client()
    assert client.get("/staff/api/profiles?apikey=two").status_code == 200
    assert client.get("/staff/api/profiles", headers=auth("one")).status_code == 200
    assert (
        client.get("/staff/api/profiles", headers={"Authorization": "Bearer one"}).status_code
        == 401
    )


def test_profile_crud(staff):
    created = staff.post(
        "/staff/api/profiles",
        headers=auth(),
        json={"name": "loc", "base_url": "http://h/oai", "match": "001,oai", "interval": 60},
    )
    assert created.status_code == 201
    assert created.headers["Location"].endswith("/staff/api/profiles/loc")
    assert created.get_json()["match"] == ["001", "oai"]
    assert created.get_json()["last_run"] is None
    again = staff.post(
        "/staff/api/profiles", headers=auth(), json={"name": "loc", "base_url": "http://h/oai"}
    )
    assert again.status_code == 409
    bad = staff.post(
        "/staff/api/profiles", headers=auth(), json={"name": "x", "base_url": "ftp://h"}
    )
    assert bad.status_code == 400
    assert "base_url" in bad.get_json()["error"]
    assert staff.post("/staff/api/profiles", headers=auth(), data="nope").status_code == 400
    changed = staff.patch("/staff/api/profiles/loc", headers=auth(), json={"merge": "keep_local"})
    assert changed.status_code == 200
    assert changed.get_json()["merge"] == "keep_local"
    assert (
        staff.put("/staff/api/profiles/loc", headers=auth(), json={"merge": "x"}).status_code == 400
    )
    assert staff.put("/staff/api/profiles/nope", headers=auth(), json={}).status_code == 404
    listed = staff.get("/staff/api/profiles", headers=auth()).get_json()["profiles"]
    assert [p["name"] for p in listed] == ["loc"]
    assert staff.delete("/staff/api/profiles/loc", headers=auth()).status_code == 204
    assert staff.get("/staff/api/profiles/loc", headers=auth()).status_code == 404
    assert staff.delete("/staff/api/profiles/loc", headers=auth()).status_code == 404


def test_start_a_run_and_follow_it_to_its_report(staff, recorded, app):
    staff.post(
        "/staff/api/profiles", headers=auth(), json={"name": "alma", "base_url": recorded.url}
    )
    started = staff.post("/staff/api/profiles/alma/runs", headers=auth())
    assert started.status_code == 202
    url = started.headers["Location"]
    run = wait_for_run(staff, url)
    assert run["status"] == "done", run["errors"]
    assert run["counts"]["new"] == 3
    assert run["counts"]["rejected"] == 1
    assert run["rejections"][0][0] == "oai:alma.01EXAMPLE_INST:991000000030101"
    assert run["pages"] == 2
    history = staff.get("/staff/api/profiles/alma/runs", headers=auth()).get_json()["runs"]
    assert [r["run_id"] for r in history] == [run["run_id"]]
    # the harvested records are published: the store lists them for OAI-PMH
    from app.resources import open_store

    store = open_store(app.config)
    try:
        sources = store.conn.execute(
            "SELECT COUNT(*) FROM records WHERE source = 'harvest:alma'"
        ).fetchone()[0]
        assert sources == 3
        latest = store.list_records(from_=int(time.time()) - 60, limit=5000, prefix="marc21")
        assert len([r for r in latest if r.xml and b"Kokoro" in r.xml]) == 1
    finally:
        store.close()


def test_a_second_run_of_a_busy_profile_is_refused(staff, app, source_records):
    with OAIFixtureServer(source_records, page_size=5, delay=0.3) as server:
        staff.post(
            "/staff/api/profiles", headers=auth(), json={"name": "slow", "base_url": server.url}
        )
        first = staff.post("/staff/api/profiles/slow/runs", headers=auth())
        assert first.status_code == 202
        second = staff.post("/staff/api/profiles/slow/runs", headers=auth())
        assert second.status_code == 409
        assert "being harvested" in second.get_json()["error"]
        live = staff.get(first.headers["Location"], headers=auth()).get_json()
        assert live["status"] == "running"
        assert staff.get("/staff/api/profiles/slow", headers=auth()).get_json()["running"]
        run = wait_for_run(staff, first.headers["Location"])
    assert run["status"] == "done"
    assert run["counts"]["new"] == len(source_records)


def test_staff_page_lists_profiles_and_runs_and_starts_runs(staff, recorded):
    staff.post(
        "/staff/api/profiles", headers=auth(), json={"name": "alma", "base_url": recorded.url}
    )
    page = staff.get(f"/staff/?apikey={KEY}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "alma" in html
    assert f"/staff/profiles/alma/run?apikey={KEY}" in html
    assert "No runs yet" in html
    posted = staff.post(f"/staff/profiles/alma/run?apikey={KEY}", data={"full": "0"})
    assert posted.status_code == 303
    assert "started" in posted.headers["Location"]
    deadline = time.monotonic() + 30
    while 'class="done"' not in staff.get(f"/staff/?apikey={KEY}").get_data(as_text=True):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    html = staff.get(f"/staff/?apikey={KEY}").get_data(as_text=True)
    assert "<td>3</td>" in html  # new records of the run


@pytest.mark.parametrize(
    "body",
    [
        {"name": 5, "base_url": "http://h/oai"},
        {"name": "x", "base_url": ["http://h/oai"]},
        {"name": "x", "base_url": "http://h/oai", "match": 5},
        {"name": "x", "base_url": "http://h/oai", "match": [1, 2]},
        {"name": "x", "base_url": "http://h/oai", "interval": "daily"},
        {"name": "x", "base_url": "http://h/oai", "interval": True},
        {"name": "x", "base_url": "http://h/oai", "local_fields": "9.."},
        {"name": "x", "base_url": "http://h/oai", "deleted": None},
        {"name": "x"},
        [],
    ],
)
def test_garbage_profiles_are_400_never_500(staff, body):
    response = staff.post("/staff/api/profiles", headers=auth(), json=body)
    assert response.status_code == 400
    assert response.get_json()["error"]
