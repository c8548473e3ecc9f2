"""What the MARC readers yield (:class:`Entry`), and the file opening they share."""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from pymarc import Record

#: A raw record longer than this is rejected (ISO 2709 allows 99,999 bytes; some exports exceed it).
MAX_RECORD_BYTES = 1_000_000
#: Bytes read from a file at a time.
BLOCK = 1 << 16


@dataclass
class Entry:
    """One record found in a file: the record, or why it was rejected."""

    position: int
    offset: int  # byte offset in a binary file, line number in an XML file
    record: Record | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


def open_binary(path: str | Path) -> BinaryIO:
    """Opens a file for reading bytes, uncompressing it when it is gzipped.

    Raises:
        OSError: the file cannot be opened.
    """
    fh = open(path, "rb")  # noqa: SIM115 - handed to the caller
    if fh.read(2) == b"\x1f\x8b":
        fh.close()
        return gzip.open(path, "rb")  # type: ignore[return-value]
    fh.seek(0)
    return fh
