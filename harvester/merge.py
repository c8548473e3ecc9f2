"""Merge policies: what an incoming record does to the stored record it matches.

- ``overlay``: the incoming record replaces the stored one;
- ``keep_local``: the incoming record replaces the stored one, but the stored record's local fields
  (tags matching the profile's patterns, ``9..`` by default, as Alma's "keep local fields") stay;
- ``add_only``: a record that matches a stored one is left alone; only new records are added.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pymarc import Record

MERGE_POLICIES = ("overlay", "keep_local", "add_only")
DEFAULT_LOCAL_FIELDS = ("9..",)


def tag_pattern(patterns: Sequence[str]) -> re.Pattern[str]:
    """Returns a regex matching tags like ``9..``, ``59.``, ``852`` (``.`` = any character).

    Raises:
        ValueError: a pattern that is not three characters of digits, letters and dots.
    """
    for pattern in patterns:
        if not re.fullmatch(r"[0-9A-Za-z.]{3}", pattern):
            raise ValueError(f"bad field pattern {pattern!r}: three characters, '.' for any")
    return re.compile("|".join(f"(?:{p})" for p in patterns) or r"(?!)")


def keep_local_fields(incoming: Record, stored: Record, patterns: Sequence[str]) -> Record:
    """Returns ``incoming`` with its local fields replaced by those of ``stored``."""
    local = tag_pattern(patterns)
    kept = [f for f in stored.fields if local.fullmatch(f.tag)]
    fields = [f for f in incoming.fields if not local.fullmatch(f.tag)]
    for field in kept:
        # before the first field with a greater tag, after those with the same tag
        at = next((i for i, f in enumerate(fields) if f.tag > field.tag), len(fields))
        fields.insert(at, field)
    incoming.fields = fields
    return incoming
