"""Read MARC files as a stream: binary ISO 2709 (.mrc) and MARCXML, plain or gzipped.

Readers yield :class:`Entry` objects in file order, one per record found: either a pymarc ``Record``
or the reason it was rejected, with its position (1-based) and byte offset. A bad record never ends
the file. Memory stays flat whatever the file size: binary records are cut at the record terminator
(0x1D) rather than trusted leader lengths, and MARCXML is parsed with ``iterparse`` and cleared as it
goes (:mod:`indexer.marc.xml_reader`). This module reads ISO 2709 and chooses the reader of a file.

Encodings (leader/09): ``a`` is UTF-8; blank is MARC-8, except that a record whose bytes are valid
UTF-8 and hold no MARC-8 escape is read as UTF-8 (records mislabelled by their exporters). A record
labelled UTF-8 whose bytes are not is read as MARC-8 when that works, else with U+FFFD replacements,
with a warning either way.

XML parsing never resolves entities, never loads a DTD and never reaches the network.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from pymarc import Field, Indicators, Leader, Record, Subfield
from pymarc.marc8 import marc8_to_unicode

from indexer.marc.entry import BLOCK, MAX_RECORD_BYTES, Entry, open_binary
from indexer.marc.xml_reader import RECORD_END, read_xml

logger = logging.getLogger(__name__)

__all__ = [
    "Entry",
    "count_records",
    "decode_iso2709",
    "open_binary",
    "read_file",
    "read_iso2709",
    "read_xml",
    "sniff_format",
]

RECORD_TERMINATOR = b"\x1d"
_MARC8_ESCAPE = b"\x1b"


def sniff_format(path: str | Path) -> str:
    """Returns ``"xml"`` or ``"iso2709"`` from the first bytes of the file."""
    with open_binary(path) as fh:
        head = fh.read(512).lstrip(b"\xef\xbb\xbf \t\r\n")
    return "xml" if head.startswith(b"<") else "iso2709"


def read_file(path: str | Path) -> Iterator[Entry]:
    """Yields every record of a binary MARC or MARCXML file (see the module docstring).

    Raises:
        OSError: the file cannot be opened or read.
    """
    if sniff_format(path) == "xml":
        yield from read_xml(path)
    else:
        with open_binary(path) as fh:
            yield from read_iso2709(fh)


# ISO 2709 -----------------------------------------------------------------------------------------


def split_records(fh: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
    """Yields (offset, raw record) cut at record terminators; None for a record over the size bound."""
    buffer = b""
    offset = 0
    skipping = False
    while True:
        block = fh.read(BLOCK)
        if not block:
            break
        buffer += block
        while True:
            end = buffer.find(RECORD_TERMINATOR)
            if end < 0:
                break
            raw, buffer = buffer[: end + 1], buffer[end + 1 :]
            if skipping:
                skipping = False
            elif raw.strip(b"\r\n \x00\x1a\x1d"):
                yield offset, raw
            offset += len(raw)
        if len(buffer) > MAX_RECORD_BYTES:
            if not skipping:
                yield offset, None
            offset += len(buffer)
            buffer = b""
            skipping = True
    if buffer.strip(b"\r\n \x00\x1a") and not skipping:
        yield offset, buffer


def _looks_utf8(data: bytes) -> bool:
    if _MARC8_ESCAPE in data or data.isascii():
        return False
    try:
        data.decode("utf-8", "strict")
    except UnicodeDecodeError:
        return False
    return True


def decode_iso2709(raw: bytes) -> tuple[Record, list[str]]:
    """Returns the record held by raw ISO 2709 bytes, and warnings about what had to be repaired.

    Raises:
        ValueError: the bytes cannot be read as a MARC record (the message says why).
    """
    notes: list[str] = []
    raw = raw.lstrip(b"\r\n \x00\x1a")
    if len(raw) < 25:
        raise ValueError(f"record too short ({len(raw)} bytes)")
    try:
        leader = raw[:24].decode("ascii")
    except UnicodeDecodeError as exc:
        raise ValueError("leader is not ASCII") from exc
    if leader[:5].isdigit() and int(leader[:5]) > len(raw):
        raise ValueError(f"TruncatedRecord: leader says {int(leader[:5])} bytes, found {len(raw)}")
    if not leader[:5].isdigit() or int(leader[:5]) != len(raw):
        # exporters that miscount (or records over 99,999 bytes): the terminator is what counts
        notes.append(f"leader length {leader[:5]!r} repaired to {len(raw)}")
        raw = b"%05d" % min(len(raw), 99999) + raw[5:]
    if not raw[12:17].isdigit():
        raise ValueError(f"base address {leader[12:17]!r} is not a number")
    body = raw[24:]
    use_utf8 = leader[9] == "a"
    if not use_utf8 and _looks_utf8(body):
        use_utf8 = True
        notes.append(f"leader/09 {leader[9]!r} but the data is UTF-8: read as UTF-8")
    if not _directory_consistent(raw):
        # lengths counted in characters rather than bytes, or edited by hand: trust the terminators
        try:
            record = _decode_by_terminators(raw, use_utf8)
        except ValueError:
            pass  # let pymarc say what is wrong
        else:
            notes.append(
                "directory lengths do not match the data: fields read by their terminators"
            )
            return record, notes
    attempts = (
        [("utf-8", "strict"), ("marc-8", ""), ("utf-8", "replace")]
        if use_utf8
        else [("marc-8", ""), ("utf-8", "replace")]
    )
    last: Exception | None = None
    for encoding, handling in attempts:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                record = Record(
                    raw,
                    to_unicode=True,
                    force_utf8=encoding == "utf-8",
                    hide_utf8_warnings=True,
                    utf8_handling=handling or "strict",
                )
        except Exception as exc:  # pymarc raises many kinds; each makes this attempt fail
            last = exc
            continue
        notes += [str(w.message) for w in caught]
        if (encoding, handling) != attempts[0]:
            notes.append(
                f"read as {encoding}{' with replacements' if handling == 'replace' else ''}"
            )
        if not record.fields:
            raise ValueError("record has no fields")
        return record, notes
    try:
        record = _decode_by_terminators(raw, use_utf8)
    except ValueError:
        raise ValueError(
            f"{type(last).__name__}: {last}" if str(last) else type(last).__name__
        ) from None
    notes.append(f"directory unusable ({type(last).__name__}): fields read by their terminators")
    return record, notes


def _directory_consistent(raw: bytes) -> bool:
    """Returns whether every directory entry ends its field on a field terminator."""
    end = raw.find(b"\x1e", 24)
    if end < 0 or (end - 24) % 12 or not raw[12:17].isdigit():
        return False
    base = int(raw[12:17])
    if base != end + 1:
        return False
    try:
        for i in range(24, end, 12):
            length, offset = int(raw[i + 3 : i + 7]), int(raw[i + 7 : i + 12])
            if length < 1 or raw[base + offset + length - 1] != 0x1E:
                return False
    except (ValueError, IndexError):
        return False
    return True


def _decode_by_terminators(raw: bytes, use_utf8: bool) -> Record:
    """Reads a record whose directory lengths or base address are wrong, by field terminators.

    The directory gives the tags in order; the fields are the data between field terminators (0x1E).
    Exporters that count characters instead of bytes produce such records.

    Raises:
        ValueError: the tags and the fields do not pair up.
    """
    end = raw.find(b"\x1e", 24)
    directory = raw[24:end]
    if end < 0 or len(directory) % 12 or not directory.isascii():
        raise ValueError("no usable directory")
    tags = [directory[i : i + 3].decode("ascii") for i in range(0, len(directory), 12)]
    chunks = raw[end + 1 :].rstrip(b"\x1d").split(b"\x1e")
    if chunks and chunks[-1] == b"":
        chunks.pop()
    if len(chunks) != len(tags):
        raise ValueError("directory and fields do not pair up")
    record = Record(leader=raw[:24].decode("ascii"), force_utf8=use_utf8)
    record.leader = Leader(raw[:24].decode("ascii"))

    def text(data: bytes) -> str:
        return data.decode("utf-8", "replace") if use_utf8 else marc8_to_unicode(data, True)

    for tag, chunk in zip(tags, chunks, strict=True):
        if tag < "010" and tag.isdigit():
            record.add_field(Field(tag=tag, data=text(chunk)))
            continue
        parts = chunk.split(b"\x1f")
        indicators = (parts[0].decode("ascii", "replace") + "  ")[:2]
        subfields = [
            Subfield(code=part[:1].decode("ascii", "replace"), value=text(part[1:]))
            for part in parts[1:]
            if part
        ]
        record.add_field(Field(tag=tag, indicators=Indicators(*indicators), subfields=subfields))
    if not record.fields:
        raise ValueError("record has no fields")
    return record


def read_iso2709(fh: BinaryIO) -> Iterator[Entry]:
    """Yields the records of a binary MARC stream."""
    for position, (offset, raw) in enumerate(split_records(fh), start=1):
        if raw is None:
            yield Entry(
                position, offset, error=f"no record terminator within {MAX_RECORD_BYTES} bytes"
            )
            continue
        try:
            record, notes = decode_iso2709(raw)
        except ValueError as exc:
            yield Entry(position, offset, error=str(exc))
        else:
            yield Entry(position, offset, record, warnings=notes)


def count_records(path: str | Path) -> int:
    """Returns a quick estimate of the number of records in a file (for progress bars)."""
    xml = sniff_format(path) == "xml"
    count = 0
    tail = b""
    with open_binary(path) as fh:
        while block := fh.read(1 << 20):
            if xml:
                data = tail + block
                count += len(RECORD_END.findall(data))
                tail = data[-16:] if not data.endswith(b">") else b""
            else:
                count += block.count(RECORD_TERMINATOR)
    return count
