"""The output files of a publishing run: records split into numbered files by size, then packed.

A file is cut before it would pass its limit (a single record larger than the limit gets a file of
its own). MARCXML files are ``marc:collection`` documents, ``oai_dc`` files ``<records>``
documents, binary MARC files plain ISO 2709 streams.
"""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import BinaryIO

from indexer.marc.marcxml import MARC_NS

_HEADERS = {
    "marcxml": (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<marc:collection xmlns:marc="{MARC_NS}">\n'.encode(),
        b"</marc:collection>\n",
    ),
    "oai_dc": (b'<?xml version="1.0" encoding="UTF-8"?>\n<records>\n', b"</records>\n"),
    "marc": (b"", b""),
}
_SUFFIX = {"marcxml": "xml", "oai_dc": "xml", "marc": "mrc"}


class FileSplitter:
    """Writes records into numbered files, starting a new file before one would pass the limit."""

    def __init__(self, directory: Path, stem: str, fmt: str, limit: int) -> None:
        self.directory, self.stem, self.fmt, self.limit = directory, stem, fmt, limit
        self.head, self.foot = _HEADERS[fmt]
        self.files: list[Path] = []
        self.out: BinaryIO | None = None
        self.size = 0

    def write(self, data: bytes) -> None:
        """Adds one record's bytes to the current file (or to a new one)."""
        extra = len(data) + 1
        if self.out is None or (self.size > len(self.head) and self.size + extra > self.limit):
            self._next()
        assert self.out is not None
        self.out.write(data)
        if self.fmt != "marc":
            self.out.write(b"\n")
        self.size += extra

    def _next(self) -> None:
        self.close()
        path = self.directory / f"{self.stem}_{len(self.files) + 1:03d}.{_SUFFIX[self.fmt]}"
        self.out = open(path, "wb")  # noqa: SIM115 - closed by close()
        self.out.write(self.head)
        self.size = len(self.head) + len(self.foot)
        self.files.append(path)

    def close(self) -> None:
        """Ends the current file."""
        if self.out is not None:
            self.out.write(self.foot)
            self.out.close()
            self.out = None


def pack(directory: Path, stem: str, files: list[Path]) -> list[Path]:
    """Packs the files into ``STEM.tar.gz`` and removes them; returns the archive alone."""
    archive = directory / f"{stem}.tar.gz"
    # level 6: near level 9 in size for XML, several times faster
    with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
        for path in files:
            tar.add(path, arcname=path.name)
    for path in files:
        path.unlink()
    return [archive]
