"""Match keys: how an incoming record finds the stored record it overlays.

A load or a harvest matches on an ordered list of methods (the first method that finds a record wins):

- ``001``: the control number, qualified by 003 when present: ``(DLC)12345``; an incoming 001 that is an
  MMS ID of this store matches that record too (records exported from Pressmark and loaded back);
- ``035``: each 035 $a (system control numbers such as ``(OCoLC)123``);
- ``isbn``: each 020 $a, normalized to ISBN-13 without hyphens;
- ``issn``: each 022 $a, normalized to ``NNNN-NNNN``;
- ``oai``: the OAI identifier a harvested record came with (given by the harvester).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from pymarc import Record

METHODS = ("001", "035", "isbn", "issn", "oai")
DEFAULT_METHODS = ("001", "035")

_ISBN_CHARS = re.compile(r"[0-9Xx][0-9Xx\- ]{8,}[0-9Xx]")
_ISSN = re.compile(r"(\d{4})-?(\d{3}[\dXx])")


def parse_methods(value: str | Sequence[str]) -> tuple[str, ...]:
    """Returns match methods from ``"001,035"`` or a sequence, checking each name.

    Raises:
        ValueError: an unknown method name.
    """
    names = value.split(",") if isinstance(value, str) else list(value)
    methods = tuple(n.strip().lower() for n in names if n.strip())
    unknown = [m for m in methods if m not in METHODS and m != "none"]
    if unknown:
        raise ValueError(f"unknown match method {unknown[0]!r}; choose from {', '.join(METHODS)}")
    return tuple(m for m in methods if m != "none")


def normalize_isbn(value: str) -> str | None:
    """Returns the ISBN-13 (digits only) found at the start of ``value``, or None."""
    found = _ISBN_CHARS.search(value)
    if not found:
        return None
    digits = re.sub(r"[^0-9Xx]", "", found.group()).upper()
    if len(digits) == 10:
        core = "978" + digits[:9]
    elif len(digits) == 13 and "X" not in digits:
        return digits
    else:
        return None
    if not core.isdigit():
        return None
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(core))
    return core + str((10 - total % 10) % 10)


def normalize_issn(value: str) -> str | None:
    """Returns the ISSN found in ``value`` as ``NNNN-NNNN``, or None."""
    found = _ISSN.search(value)
    return f"{found.group(1)}-{found.group(2).upper()}" if found else None


def control_number(record: Record) -> str | None:
    """Returns 001 qualified by 003, as ``(003)001``, or 001 alone."""
    f001 = record.get("001")
    if f001 is None or not (f001.data or "").strip():
        return None
    f003 = record.get("003")
    prefix = (f003.data or "").strip() if f003 is not None else ""
    number = f001.data.strip()
    return f"({prefix}){number}" if prefix else number


def _subfield_values(record: Record, tag: str, code: str) -> Iterable[str]:
    for field in record.get_fields(tag):
        yield from field.get_subfields(code)


def match_keys(
    record: Record, methods: Sequence[str] = METHODS, oai_identifier: str | None = None
) -> list[tuple[str, str]]:
    """Returns the (method, key) pairs of ``record`` for the given methods, without duplicates."""
    keys: list[tuple[str, str]] = []
    for method in methods:
        if method == "001":
            number = control_number(record)
            if number:
                keys.append(("001", number))
                # the bare 001, as holdings records name their bib in 004; never a load match
                keys.append(("ctl", record["001"].data.strip()))
        elif method == "035":
            keys += [("035", v.strip()) for v in _subfield_values(record, "035", "a") if v.strip()]
        elif method == "isbn":
            for value in _subfield_values(record, "020", "a"):
                isbn = normalize_isbn(value)
                if isbn:
                    keys.append(("isbn", isbn))
        elif method == "issn":
            for value in _subfield_values(record, "022", "a"):
                issn = normalize_issn(value)
                if issn:
                    keys.append(("issn", issn))
        elif method == "oai" and oai_identifier:
            keys.append(("oai", oai_identifier))
    return list(dict.fromkeys(keys))
