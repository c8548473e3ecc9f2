"""Fixtures of the harvest tests: OAI-PMH sources served on 127.0.0.1 by :mod:`tests.harvest.sources`."""

from __future__ import annotations

import pytest

from tests.harvest.sources import RESPONSES, OAIFixtureServer, build_source_store


@pytest.fixture(scope="module")
def source_store(tmp_path_factory):
    """The sample records in a store of their own, read by the fake OAI-PMH providers."""
    store = build_source_store(tmp_path_factory.mktemp("source"))
    yield store
    store.close()


@pytest.fixture
def recorded():
    """A source that answers with the recorded real pages of ``tests/harvest/responses/``."""
    with OAIFixtureServer(recorded=RESPONSES) as server:
        yield server
