"""Shared fixtures: a real store loaded from ``sample_records/`` in ``tmp_path``, the app over it, a
CLI runner, and the app served on 127.0.0.1 for end-to-end tests with real clients.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.resources import open_store
from indexer.load.inventory import load_inventory
from indexer.load.records import load_file
from indexer.store.records import RecordStore

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
SAMPLES = ROOT / "sample_records"
#: The shared corpus sits beside the project (CI clones the project next to ``shared/``).
SHARED = Path(os.environ.get("PRESSMARK_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus"


def corpus_file(relative: str) -> Path:
    """Returns a file of the shared corpus, skipping the test when the corpus is absent."""
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"shared corpus file {relative} is not here")
    return path


def sample_files() -> list[Path]:
    return sorted(p for p in SAMPLES.iterdir() if p.suffix in (".mrc", ".xml"))


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store file loaded once per session from the samples; tests get copies of it."""
    path = tmp_path_factory.mktemp("sample") / "pressmark.db"
    config = create_app({"DATABASE": str(path), "INDEX_DIR": str(path.parent / "index")}).config
    store = open_store(config, create=True)
    for file in sample_files():
        load_file(store, file)
    load_inventory(store, SAMPLES / "inventory.csv")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path


@pytest.fixture
def app(tmp_path: Path, sample_db: Path):
    """The app over a private copy of the sample store."""
    db = tmp_path / "pressmark.db"
    shutil.copy(sample_db, db)
    return create_app(
        {
            "TESTING": True,
            "DATABASE": str(db),
            "INDEX_DIR": str(tmp_path / "index"),
            "SECRET_KEY": "test-secret",
        }
    )


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def store(app):
    """The app's record store, opened for the test and closed after it."""
    store = open_store(app.config)
    yield store
    store.close()


@pytest.fixture
def empty(tmp_path):
    """A new, empty record store of its own."""
    store = RecordStore(tmp_path / "s.db", create=True)
    yield store
    store.close()


class LiveServer:
    """The app served by werkzeug in a thread on 127.0.0.1 and a free port."""

    def __init__(self, flask_app) -> None:
        self.app = flask_app
        self.server = make_server("127.0.0.1", 0, flask_app, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server
