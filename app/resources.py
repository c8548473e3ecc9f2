"""Per-request resources: the record store, opened once per request on ``g`` and closed at teardown."""

from __future__ import annotations

from flask import Flask, current_app, g

from indexer.publish import PublishOptions
from indexer.store import RecordStore


def publish_options(config) -> PublishOptions:
    """Returns the publishing options that the settings describe."""
    return PublishOptions(
        institution=config["INSTITUTION_CODE"],
        holdings_852=bool(config["PUBLISH_HOLDINGS_852"]),
        availability=bool(config["PUBLISH_AVAILABILITY"]),
    )


def open_store(config, *, create: bool = False) -> RecordStore:
    """Opens the record store that the settings name.

    Raises:
        StoreError: missing (unless ``create``), locked, corrupt.
    """
    return RecordStore(
        config["DATABASE"],
        create=create,
        publish=publish_options(config),
        institution_suffix=str(config["INSTITUTION_SUFFIX"]),
    )


def get_store() -> RecordStore:
    """Returns the request's record store, opening it on first use."""
    if "store" not in g:
        g.store = open_store(current_app.config)
    return g.store


def close_store(exc: BaseException | None = None) -> None:
    store = g.pop("store", None)
    if store is not None:
        store.close()


def init_app(app: Flask) -> None:
    """Closes the per-request resources when each request ends."""
    app.teardown_appcontext(close_store)
