"""The normalization hook: a profile's ``rules`` turned into a callable applied to each record.

A harvest takes ``normalize: Callable[[Record], Record | None] | None``; returning None drops the
record (counted ``skipped``). :func:`load_rules` builds that callable from a profile's ``rules``
setting (a rule file's path, or the rules text) with the rules engine ``indexer.rules``
(Alma's normalization rule language).
"""

from __future__ import annotations

from collections.abc import Callable

from pymarc import Record

from indexer.rules import compile_rules, rule_text

Normalizer = Callable[[Record], "Record | None"]


class RulesError(ValueError):
    """The rules cannot be read or compiled."""


def load_rules(rules: str) -> Normalizer:
    """Returns the normalizer of ``rules``: a path to a rule file, or the rules text itself.

    Raises:
        RulesError: the file cannot be read, or the rules do not compile.
    """
    try:
        text = rule_text(rules)
    except OSError as exc:
        raise RulesError(f"cannot read rules file {rules}: {exc.strerror or exc}") from exc
    try:
        compiled = compile_rules(text)
    except ValueError as exc:  # the engine's syntax errors carry line and column
        raise RulesError(f"rules do not compile: {exc}") from exc
    return compiled.apply
