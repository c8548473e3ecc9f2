"""``/health``: the store, the index and the last runs, as monitoring reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import create_app
from indexer.publishing.profile import PublishProfile
from indexer.publishing.profiles import Profiles
from indexer.publishing.runner import run_profile
from indexer.publishing.upload import UploadError
from indexer.search import index
from tests.publishing.upload_servers import closed_port


def test_ok_when_everything_serves(app, client, store):
    index.rebuild(store, app.config["INDEX_DIR"])
    response = client.get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["problems"] == []
    assert body["store"] == {
        "records": store.stats()["records"],
        "last_change": store.last_change(),
    }
    assert body["index"] == {"state": "current", "seq": store.last_change(), "behind": 0}


def test_degraded_without_an_index_or_after_a_failed_run(
    app, client, runner, store, tmp_path, monkeypatch
):
    body = client.get("/health").get_json()
    assert body["status"] == "degraded"
    assert body["index"]["state"] == "missing"
    assert body["problems"] == ["search index missing: SRU cannot search yet"]
    with index.write_lock(app.config["INDEX_DIR"]):
        assert client.get("/health").get_json()["index"]["state"] == "building"

    index.rebuild(store, app.config["INDEX_DIR"])
    store.delete(next(store.iter_records()).identifier)
    body = client.get("/health").get_json()
    assert body["status"] == "ok" and body["index"]["state"] == "behind"
    assert body["index"]["behind"] == 1

    monkeypatch.setenv("PRESSMARK_TEST_UPLOAD_PASSWORD", "secret")
    profile = PublishProfile(
        name="disc",
        output=str(tmp_path / "out"),
        upload=f"ftp://pub@127.0.0.1:{closed_port()}/in",
        upload_password_env="PRESSMARK_TEST_UPLOAD_PASSWORD",
        upload_timeout=0.5,
    )
    Profiles(store).save(profile)
    with pytest.raises(UploadError):
        run_profile(store, "disc")
    response = client.get("/health")
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "degraded"
    assert body["publish"] == {"failed": ["disc"]}
    assert body["problems"] == ["publishing profile disc: last run failed"]

    runner.invoke(args=["harvest", "profile", "add", "dead", "http://127.0.0.1:9/oai"])
    app.config.update(HARVEST_MAX_RETRIES=0, HARVEST_TIMEOUT=2)
    assert runner.invoke(args=["harvest", "run", "dead"]).exit_code == 1
    body = client.get("/health").get_json()
    assert body["harvest"] == {"failed": ["dead"]}
    assert "harvest profile dead: last run failed" in body["problems"]


def test_unavailable_without_a_store(tmp_path):
    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "none.db")})
    response = app.test_client().get("/health")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable" and "pressmark init" in body["problems"][0]
    assert not Path(tmp_path / "none.db").exists()


def test_unavailable_with_a_corrupt_store(tmp_path):
    (tmp_path / "p.db").write_bytes(b"garbage" * 1000)
    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "p.db")})
    response = app.test_client().get("/health")
    assert response.status_code == 503 and response.get_json()["status"] == "unavailable"
