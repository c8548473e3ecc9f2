"""Metadata formats of the data provider: prefix -> (schema, namespace)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.resources import publish_options
from app.xml import MARC_NS, MARC_SCHEMA_LOCATION, OAI_DC_NS, OAI_DC_SCHEMA

FORMATS: dict[str, tuple[str, str]] = {
    "marc21": (MARC_SCHEMA_LOCATION, MARC_NS),
    "oai_dc": (OAI_DC_SCHEMA, OAI_DC_NS),
}
"""metadataPrefix -> (schema URL, namespace) of every format Pressmark can publish."""


def offered(config: Mapping[str, Any]) -> list[str]:
    """Returns the prefixes that the store publishes with these settings, in publishing order."""
    return [p for p in publish_options(config).prefixes if p in FORMATS]
