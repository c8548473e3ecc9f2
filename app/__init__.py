"""Pressmark's HTTP face: OAI-PMH data provider, SRU server, staff and Alma-style APIs.

Data flow::

    files (.mrc, MARCXML) -> indexer.marc -+
    remote OAI-PMH -------> harvester -----+-> indexer.store -> indexer.index (derived, rebuildable)
    OAI-PMH request -> app.oai -> store: records by datestamp/set --------------> XML response
    SRU request ----> app.sru -> index: CQL -> ids -> store: records by id ----> XML response
"""

from __future__ import annotations

import importlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Creates the application: defaults, then instance config, then environment, then ``test_config``."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=os.environ.get("PRESSMARK_INSTANCE_PATH") or None,
    )
    for module in config_modules():
        app.config.from_object(module)
    app.config.from_pyfile("config.py", silent=True)
    if os.environ.get("PRESSMARK_CONFIG"):
        app.config.from_pyfile(os.environ["PRESSMARK_CONFIG"])
    app.config.from_prefixed_env("PRESSMARK", loads=_loads)
    if test_config:
        app.config.update(test_config)
    instance = Path(app.instance_path)
    app.config["DATABASE"] = str(app.config["DATABASE"] or instance / "pressmark.db")
    app.config["INDEX_DIR"] = str(app.config["INDEX_DIR"] or instance / "index")
    app.config["SAMPLE_DIR"] = str(app.config["SAMPLE_DIR"] or PROJECT_ROOT / "sample_records")
    configure_logging(app.config["LOG_LEVEL"])

    from app import cli, resources

    resources.init_app(app)
    cli.init_app(app)
    _register_blueprints(app)
    return app


#: Modules of default settings: the core's, then each protocol's own (those that exist).
CONFIG_MODULES = (
    "app.config",
    "app.oai.config",
    "app.sru.config",
    "app.almaws.config",
    "app.staff.config",
)


def optional_modules(names: tuple[str, ...]) -> list[Any]:
    """Imports the modules of ``names`` that exist (a stage not built yet is simply absent)."""
    found = []
    for name in names:
        try:
            found.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if not exc.name or not (name == exc.name or name.startswith(exc.name + ".")):
                raise
    return found


def config_modules() -> list[Any]:
    """Returns the modules of default settings that are present, in order."""
    return optional_modules(CONFIG_MODULES)


def _loads(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def _register_blueprints(app: Flask) -> None:
    """Lets each protocol package that is present register its blueprint (``init_app(app)``)."""
    for module in optional_modules(
        ("app.oai", "app.sru", "app.almaws", "app.staff", "app.downloads")
    ):
        module.init_app(app)


def configure_logging(level: str) -> None:
    """Sends log records to standard error with a timestamp, unless a handler is already set."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)
    # pymarc logs every odd indicator at WARNING; our reader reports what matters per record
    logging.getLogger("pymarc").setLevel(logging.ERROR)
