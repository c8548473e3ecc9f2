"""Fixtures of the Alma-style API tests."""

from __future__ import annotations

import pytest

#: The API key the ``api`` client's app accepts.
KEY = "test-api-key"


@pytest.fixture
def api(app):
    """A client of the app with an API key configured."""
    app.config["API_KEYS"] = [KEY]
    return app.test_client()
