"""The rule: a condition and the actions it guards, with its name, salience and line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from indexer.rules.actions import Action
    from indexer.rules.conditions import Condition


@dataclass(frozen=True)
class Rule:
    """``rule "name" [salience N] when <condition> then <actions> end``."""

    name: str
    salience: int
    when: Condition
    actions: tuple[Action, ...] = field(default=())
    line: int = 0
