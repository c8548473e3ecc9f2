"""Per-request resources: the record store, opened once per request on ``g`` and closed at teardown."""

from __future__ import annotations

import functools
from pathlib import Path

from flask import Flask, current_app, g

from indexer.marc.published import PublishOptions
from indexer.rules import RuleSet, compile_rules, read_rule_file
from indexer.store.records import RecordStore, StoreError


def publish_options(config) -> PublishOptions:
    """Returns the publishing options that the settings describe.

    Raises:
        StoreError: the ``PUBLISH_RULES`` file cannot be read or its rules do not compile.
    """
    return PublishOptions(
        institution=config["INSTITUTION_CODE"],
        holdings_852=bool(config["PUBLISH_HOLDINGS_852"]),
        availability=bool(config["PUBLISH_AVAILABILITY"]),
        rules=publish_rules(config.get("PUBLISH_RULES")),
    )


def publish_rules(setting: str | None) -> RuleSet | None:
    """Returns the compiled rules of the ``PUBLISH_RULES`` setting (a rule file), or None.

    The compiled rules are kept per file and modification time, so each request does not parse
    the file again, and an edited file is read again.

    Raises:
        StoreError: the file cannot be read or its rules do not compile (with line and column).
    """
    if not setting or not str(setting).strip():
        return None
    path = Path(str(setting))
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise StoreError(f"PUBLISH_RULES: cannot read {path}: {exc.strerror or exc}") from exc
    return _compiled(str(path), mtime)


@functools.lru_cache(maxsize=8)
def _compiled(path: str, mtime: int) -> RuleSet:
    try:
        text = read_rule_file(path)
    except OSError as exc:
        raise StoreError(f"PUBLISH_RULES: cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return compile_rules(text)
    except ValueError as exc:
        raise StoreError(f"PUBLISH_RULES: {path}: {exc}") from exc


def open_store(config, *, create: bool = False) -> RecordStore:
    """Opens the record store that the settings name.

    Raises:
        StoreError: missing (unless ``create``), locked, corrupt; or bad ``PUBLISH_RULES``.
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
