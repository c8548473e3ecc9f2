"""Pressmark's HTTP face: OAI-PMH data provider, SRU server, staff and Alma-style APIs, and the CLI.

Data flow::

    files (.mrc, MARCXML) -> indexer.load -----+
    remote OAI-PMH -------> harvester ---------+-> indexer.store -> indexer.search (derived)
    OAI-PMH request -> app.oai -> store: published records by datestamp/set ---> XML response
    SRU request ----> app.sru -> search: CQL -> ids -> store: records by id ---> XML response

Packages: ``oai``, ``sru``, ``almaws`` (Alma-style APIs), ``staff`` (harvest profiles, ``/health``),
``downloads`` (``/publish/``) and ``cli`` (the ``pressmark`` commands). Each protocol package keeps
its own default settings in a ``config`` module; :func:`create_app` reads them in order.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask
from flask.cli import FlaskGroup

from app import almaws, cli, downloads, oai, resources, sru, staff
from app import config as core_config
from app.almaws import config as almaws_config
from app.oai import config as oai_config
from app.sru import config as sru_config
from app.staff import config as staff_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Creates the application: defaults, then instance config, then environment, then ``test_config``."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=os.environ.get("PRESSMARK_INSTANCE_PATH") or None,
    )
    for module in CONFIG_MODULES:
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

    resources.init_app(app)
    cli.init_app(app)
    for package in BLUEPRINT_PACKAGES:
        package.init_app(app)
    return app


#: Modules of default settings: the core's, then each protocol's own.
CONFIG_MODULES = (core_config, oai_config, sru_config, almaws_config, staff_config)

#: Packages that register their blueprints (``init_app(app)``).
BLUEPRINT_PACKAGES = (oai, sru, almaws, staff, downloads)


def _loads(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


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


#: The ``pressmark`` script (``[project.scripts]``): a FlaskGroup that creates the app and runs the
#: commands :mod:`app.cli` registered on it.
main = FlaskGroup(
    create_app=create_app,
    add_default_commands=False,
    help="Pressmark: publish a library catalogue over OAI-PMH and SRU, harvest others into it.",
)
