"""The normalization hook: a profile's ``rules`` turned into a callable applied to each record.

A harvest takes ``normalize: Callable[[Record], Record | None] | None``; returning None drops the
record (counted ``skipped``). :func:`load_rules` builds that callable from a profile's ``rules``
setting (a rule file's path, or the rules text) with the rules engine ``indexer.rules``
(Alma's normalization rule language) when it is installed.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from pymarc import Record

Normalizer = Callable[[Record], "Record | None"]


class RulesError(ValueError):
    """The rules cannot be read or compiled."""


def load_rules(rules: str) -> Normalizer:
    """Returns the normalizer of ``rules``: a path to a rule file, or the rules text itself.

    Raises:
        RulesError: the file cannot be read, the rules do not compile, or no rules engine exists.
    """
    text = rules
    if "\n" not in rules and not rules.lstrip().startswith("rule"):
        try:
            text = Path(rules).read_text(encoding="utf-8")
        except OSError as exc:
            raise RulesError(f"cannot read rules file {rules}: {exc.strerror or exc}") from exc
    try:
        engine = importlib.import_module("indexer.rules")
    except ModuleNotFoundError as exc:
        raise RulesError("no rules engine (indexer.rules) is installed") from exc
    try:
        compiled = engine.compile_rules(text)
    except Exception as exc:  # noqa: BLE001 - the engine's syntax errors carry line and column
        raise RulesError(f"rules do not compile: {exc}") from exc
    return compiled.apply
