"""The ``pressmark`` command line: the staff's way to load, inspect, harvest and publish the catalogue.

One module per command group: :mod:`~app.cli.records` (init, load, inventory, item, export, stats,
serve), :mod:`~app.cli.harvest`, :mod:`~app.cli.publish` (with republish), :mod:`~app.cli.sets`,
:mod:`~app.cli.index` and :mod:`~app.cli.backup`. What they share (the store a command opens, input
files, progress bars, CQL selections) is :mod:`~app.cli.common`. This module only registers them on
``app.cli`` (:func:`init_app`); the ``pressmark`` script itself is ``app.main``. Command modules
import ``common`` and the ``indexer`` and ``harvester`` packages, never this module or ``app``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.cli import backup, harvest, index, publish, records, sets

if TYPE_CHECKING:
    from flask import Flask

#: The command modules, in the order ``pressmark --help`` lists their commands.
MODULES = (records, backup, index, harvest, publish, sets)


def init_app(app: Flask) -> None:
    """Adds every command to ``app.cli`` (so ``flask --app app`` and the test runner have them)."""
    for module in MODULES:
        for command in module.commands:
            app.cli.add_command(command)
