"""The quoted paths of the rule language: ``"245.{1,#}.a.value"`` and ``"008.{7,4}.2010"``.

A **field path** is ``tag[.{ind1,ind2}][.code[.value]]``:

- ``tag`` is three characters; ``.`` matches any one character (``"9.."`` is every 9XX field);
- indicators: ``#``, ``_`` or a space is a blank, ``*`` or ``?`` (or nothing) is any indicator;
- ``code`` is one subfield code; ``value`` is the rest of the string, dots included: ``*`` matches
  any run of characters, anything else matches itself; the whole subfield value must match
  (``"035.a.(OCoLC)*"`` is every 035 $a that starts with ``(OCoLC)``). Matching is case-sensitive.

A **control path** is ``tag[.{position,length}][.value]``: ``"008.{7,4}.2010"`` is an 008 whose
characters 7 to 10 are ``2010``; ``LDR`` is the leader. Without a position the value is matched
against the whole field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from indexer.rules.lexer import RuleSyntaxError, Token

_BLANK = frozenset("#_ ")
_ANY = frozenset("*?")
_TAG_CHARS = re.compile(r"[A-Za-z0-9.]{3}")


@dataclass(frozen=True, slots=True)
class ValuePattern:
    """A value with ``*`` wildcards; matches a whole string."""

    text: str
    parts: tuple[str, ...] | None  # the text split at "*", None without wildcards

    @property
    def wildcard(self) -> bool:
        """Returns whether the pattern has ``*`` wildcards."""
        return self.parts is not None

    def matches(self, value: str) -> bool:
        """Returns whether ``value`` matches the pattern as a whole.

        Matching walks the fixed parts left to right (no regular expression), so a pattern with
        many ``*`` costs time in proportion to the value, never a backtracking blow-up.
        """
        parts = self.parts
        if parts is None:
            return value == self.text
        first, last = parts[0], parts[-1]
        if len(value) < len(first) + len(last):
            return False
        if not (value.startswith(first) and value.endswith(last)):
            return False
        pos, end = len(first), len(value) - len(last)
        for part in parts[1:-1]:
            found = value.find(part, pos, end)
            if found < 0:
                return False
            pos = found + len(part)
        return True


def tag_test(tag: str):
    """Returns a fast test of a field tag against a tag pattern (``.`` is any character)."""
    if "." not in tag:
        return tag.__eq__
    return re.compile("".join("[^\\n]" if c == "." else re.escape(c) for c in tag)).fullmatch


def value_pattern(text: str) -> ValuePattern:
    """Compiles a value with ``*`` wildcards."""
    if "*" not in text:
        return ValuePattern(text, None)
    return ValuePattern(text, tuple(text.split("*")))


@dataclass(frozen=True, slots=True)
class FieldPath:
    """A parsed field path (see the module docstring)."""

    text: str
    tag: str
    tag_test: Callable[[str], object]
    ind1: str | None
    ind2: str | None
    code: str | None
    value: ValuePattern | None

    def tag_matches(self, tag: str) -> bool:
        """Returns whether a field tag matches the tag pattern."""
        return bool(self.tag_test(tag))

    def field_matches(self, field) -> bool:
        """Returns whether a data field has this tag and these indicators."""
        if not self.tag_test(field.tag) or field.control_field:
            return False
        if self.ind1 is not None or self.ind2 is not None:
            ind = field.indicators
            if self.ind1 is not None and (ind[0] or " ") != self.ind1:
                return False
            if self.ind2 is not None and (ind[1] or " ") != self.ind2:
                return False
        return True

    def subfield_matches(self, code: str, value: str) -> bool:
        """Returns whether a subfield has this code and a matching value."""
        return code == self.code and (self.value is None or self.value.matches(value))

    def selects(self, field) -> bool:
        """Returns whether a data field matches the path (and has a matching subfield if given)."""
        if not self.field_matches(field):
            return False
        if self.code is None:
            return True
        return any(self.subfield_matches(c, v) for c, v in field.subfields)


@dataclass(frozen=True, slots=True)
class ControlPath:
    """A parsed control path (see the module docstring)."""

    text: str
    tag: str
    tag_test: Callable[[str], object]
    start: int | None
    length: int | None
    value: ValuePattern | None

    def tag_matches(self, tag: str) -> bool:
        """Returns whether a field tag matches the tag pattern."""
        return bool(self.tag_test(tag))

    def data_matches(self, data: str) -> bool:
        """Returns whether control data (or the leader) has the value at the position."""
        if self.value is None:
            return True
        if self.start is not None:
            data = data[self.start : self.start + (self.length or 0)]
        return self.value.matches(data)


def _fail(token: Token, message: str) -> RuleSyntaxError:
    return RuleSyntaxError(f"{message} in {token.value!r}", token.line, token.column)


def _tag(text: str, token: Token, *, leader: bool = False) -> str:
    tag = text[:3]
    if not _TAG_CHARS.fullmatch(tag) or (tag == "LDR" and not leader):
        raise _fail(token, "a path starts with a three-character tag")
    return tag


def _indicator(char: str, token: Token) -> str | None:
    if char == "" or char in _ANY:
        return None
    if char in _BLANK:
        return " "
    if len(char) != 1:
        raise _fail(token, "an indicator is one character")
    return char


def _braces(rest: str, token: Token) -> tuple[list[str], str]:
    """Splits ``{x,y}...`` into ["x", "y"] and what follows the closing brace."""
    close = rest.find("}")
    if close < 0:
        raise _fail(token, "missing '}'")
    parts = rest[1:close].split(",")
    if len(parts) != 2:
        raise _fail(token, "braces hold two values separated by a comma")
    return [p if len(p) <= 1 else p.strip() for p in parts], rest[close + 1 :]


def _next_part(rest: str, token: Token) -> str | None:
    """Returns what follows the dot that separates two parts, or None at the end."""
    if rest == "":
        return None
    if rest[0] != ".":
        raise _fail(token, "parts of a path are separated by '.'")
    return rest[1:]


def field_path(
    token: Token, *, need_code: bool = False, need_value: bool = False, no_value: bool = False
) -> FieldPath:
    """Parses the field path held by a string token.

    Raises:
        RuleSyntaxError: a malformed path, or one without a part the action needs.
    """
    text = token.value
    tag = _tag(text, token)
    ind1 = ind2 = None
    code = None
    value = None
    rest = _next_part(text[3:], token)
    if rest is not None and rest.startswith("{"):
        (i1, i2), after = _braces(rest, token)
        ind1, ind2 = _indicator(i1, token), _indicator(i2, token)
        rest = _next_part(after, token)
    if rest is not None:
        if rest == "":
            raise _fail(token, "a subfield code is missing")
        code = rest[0]
        after = rest[1:]
        value_text = _next_part(after, token)
        if value_text is not None:
            value = value_pattern(value_text)
    if need_code and code is None:
        raise _fail(token, "a subfield code is needed")
    if need_value and value is None:
        raise _fail(token, "a value is needed")
    if no_value and value is not None:
        raise _fail(token, "no value is expected")
    return FieldPath(text, tag, tag_test(tag), ind1, ind2, code, value)


def control_path(token: Token, *, need_value: bool = False) -> ControlPath:
    """Parses the control path held by a string token.

    Raises:
        RuleSyntaxError: a malformed path or position.
    """
    text = token.value
    tag = _tag(text, token, leader=True)
    start = length = None
    value = None
    rest = _next_part(text[3:], token)
    if rest is not None and rest.startswith("{"):
        (first, second), after = _braces(rest, token)
        if not (first.isdigit() and second.isdigit()) or int(second) < 1:
            raise _fail(token, "a position is {start,length} with a length of at least 1")
        start, length = int(first), int(second)
        rest = _next_part(after, token)
        if rest is None:
            raise _fail(token, "a value is needed after the position")
    if rest is not None:
        value = value_pattern(rest)
    if need_value and value is None:
        raise _fail(token, "a value is needed")
    return ControlPath(text, tag, tag_test(tag), start, length, value)
