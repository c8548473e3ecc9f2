"""Conditions of the rule language: what a rule's ``when`` and an action's ``if`` test.

A condition is evaluated against the record as it is when the rule's turn comes (after the rules of
higher salience ran). Inside an action's ``if (...)``, a test whose path has the same tag as the
action's own path is evaluated against the one field that the action is about to change (Alma's
``removeField "900" if (exists "900.a.Local")`` removes only the 900 fields with $a ``Local``);
every other test looks at the whole record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pymarc import Field, Record

    from indexer.rules.paths import ControlPath, FieldPath


class Condition:
    """Base of the condition nodes."""

    __slots__ = ()

    def test(self, record: Record, current: Field | None = None, scope: str | None = None) -> bool:
        """Returns whether the condition holds (``current``/``scope``: see the module docstring)."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Const(Condition):
    """``TRUE`` or ``FALSE``."""

    value: bool

    def test(self, record, current=None, scope=None) -> bool:
        return self.value


def _field_selected(path: FieldPath, fld: Field) -> bool:
    if fld.control_field:
        # exists "001": a control field matches a bare tag
        return (
            path.code is None
            and path.ind1 is None
            and path.ind2 is None
            and (path.tag_matches(fld.tag))
        )
    return path.selects(fld)


@dataclass(frozen=True, slots=True)
class Exists(Condition):
    """``exists "tag.{i,i}.code.value"``: some field matches the path."""

    path: FieldPath

    def test(self, record, current=None, scope=None) -> bool:
        path = self.path
        if current is not None and scope == path.tag:
            return _field_selected(path, current)
        test = path.tag_test
        return any(test(f.tag) and _field_selected(path, f) for f in record.fields)


@dataclass(frozen=True, slots=True)
class ExistsMoreThanOnce(Condition):
    """``existsMoreThanOnce "tag..."``: at least two fields match the path."""

    path: FieldPath

    def test(self, record, current=None, scope=None) -> bool:
        count = 0
        test = self.path.tag_test
        for fld in record.fields:
            if test(fld.tag) and _field_selected(self.path, fld):
                count += 1
                if count > 1:
                    return True
        return False


@dataclass(frozen=True, slots=True)
class ExistsControl(Condition):
    """``existsControl "008.{7,4}.2010"``: a control field (or the leader) matches the path."""

    path: ControlPath

    def test(self, record, current=None, scope=None) -> bool:
        path = self.path
        if path.tag == "LDR":
            return path.data_matches(str(record.leader))
        if current is not None and scope == path.tag:
            return current.control_field and path.data_matches(current.data or "")
        test = path.tag_test
        return any(
            f.control_field and test(f.tag) and path.data_matches(f.data or "")
            for f in record.fields
        )


@dataclass(frozen=True, slots=True)
class Not(Condition):
    """``not <condition>``."""

    operand: Condition

    def test(self, record, current=None, scope=None) -> bool:
        return not self.operand.test(record, current, scope)


@dataclass(frozen=True, slots=True)
class And(Condition):
    """``<condition> AND <condition> ...``."""

    operands: tuple[Condition, ...]

    def test(self, record, current=None, scope=None) -> bool:
        return all(c.test(record, current, scope) for c in self.operands)


@dataclass(frozen=True, slots=True)
class Or(Condition):
    """``<condition> OR <condition> ...``."""

    operands: tuple[Condition, ...]

    def test(self, record, current=None, scope=None) -> bool:
        return any(c.test(record, current, scope) for c in self.operands)
