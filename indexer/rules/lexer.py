"""Tokens of Alma's normalization rule language (a Drools dialect).

Comments run from ``#`` or ``//`` to the end of the line, or between ``/*`` and ``*/``. Strings
are in double quotes and understand the escapes ``\\"``, ``\\\\``, ``\\n``, ``\\t`` and
``\\uXXXX`` (Alma's examples write ``"\\u202B"``); typographic quotes (“ ”), which copy-paste
from Alma's pages brings in, count as straight ones. The parser matches words case-insensitively.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class RuleSyntaxError(ValueError):
    """A rule file that cannot be parsed: the message names the line and column (both from 1)."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"line {line}, column {column}: {message}")
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True, slots=True)
class Token:
    """One token; ``kind``: ``word``, ``string``, ``number`` or the punctuation itself."""

    kind: str
    value: str
    line: int
    column: int


_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"'})
_SCANNER = re.compile(
    r"""
    (?P<space>[ \t\r\n\f]+)
  | (?P<comment>(?:\#|//)[^\n]*|/\*.*?\*/)
  | (?P<string>")
  | (?P<number>[-+]?\d+)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>&&|\|\||[()!])
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "'": "'"}


def tokenize(text: str) -> list[Token]:
    """Returns the tokens of ``text``.

    Raises:
        RuleSyntaxError: an unknown character, an unterminated string or comment, a bad escape.
    """
    text = text.translate(_QUOTES)
    tokens: list[Token] = []
    pos, line, line_start = 0, 1, 0
    end = len(text)
    while pos < end:
        column = pos - line_start + 1
        found = _SCANNER.match(text, pos)
        if found is None:
            if text.startswith("/*", pos):
                raise RuleSyntaxError("unterminated comment", line, column)
            raise RuleSyntaxError(f"unexpected character {text[pos]!r}", line, column)
        kind = found.lastgroup
        if kind == "string":
            value, new_pos = _read_string(text, pos + 1, line, column)
            tokens.append(Token("string", value, line, column))
        else:
            new_pos = found.end()
            if kind == "number":
                tokens.append(Token("number", found.group(), line, column))
            elif kind == "word":
                tokens.append(Token("word", found.group(), line, column))
            elif kind == "punct":
                tokens.append(Token(found.group(), found.group(), line, column))
        newlines = text.count("\n", pos, new_pos)
        if newlines:
            line += newlines
            line_start = text.rindex("\n", pos, new_pos) + 1
        pos = new_pos
    return tokens


def _read_string(text: str, pos: int, line: int, column: int) -> tuple[str, int]:
    """Reads a string body from ``pos`` (after the opening quote); returns it and where it ends."""
    out: list[str] = []
    end = len(text)
    start = pos
    while True:
        stop = pos
        while stop < end and text[stop] not in '"\\\n':
            stop += 1
        out.append(text[pos:stop])
        if stop >= end or text[stop] == "\n":
            raise RuleSyntaxError("unterminated string", line, column)
        if text[stop] == '"':
            return "".join(out), stop + 1
        escape = text[stop + 1 : stop + 2]
        if escape == "u":
            digits = text[stop + 2 : stop + 6]
            if len(digits) != 4 or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise RuleSyntaxError(
                    "\\u must be followed by four hex digits", line, column + 1 + stop - start
                )
            out.append(chr(int(digits, 16)))
            pos = stop + 6
        elif escape in _ESCAPES:
            out.append(_ESCAPES[escape])
            pos = stop + 2
        else:
            raise RuleSyntaxError(f"unknown escape \\{escape}", line, column + 1 + stop - start)
