"""Read MARC files as a stream: binary ISO 2709 (.mrc) and MARCXML, plain or gzipped.

Readers yield :class:`Entry` objects in file order, one per record found: either a pymarc ``Record``
or the reason it was rejected, with its position (1-based) and byte offset. A bad record never ends
the file. Memory stays flat whatever the file size: binary records are cut at the record terminator
(0x1D) rather than trusted leader lengths, and MARCXML is parsed with ``iterparse`` and cleared as it
goes.

Encodings (leader/09): ``a`` is UTF-8; blank is MARC-8, except that a record whose bytes are valid
UTF-8 and hold no MARC-8 escape is read as UTF-8 (records mislabelled by their exporters). A record
labelled UTF-8 whose bytes are not is read as MARC-8 when that works, else with U+FFFD replacements,
with a warning either way.

XML parsing never resolves entities, never loads a DTD and never reaches the network.
"""

from __future__ import annotations

import gzip
import logging
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from lxml import etree
from pymarc import Field, Indicators, Leader, Record, Subfield
from pymarc.marc8 import marc8_to_unicode

from indexer.marcxml import record_from_element

logger = logging.getLogger(__name__)

RECORD_TERMINATOR = b"\x1d"
#: A raw record longer than this is rejected (ISO 2709 allows 99,999 bytes; some exports exceed it).
MAX_RECORD_BYTES = 1_000_000
_BLOCK = 1 << 16
_MARC8_ESCAPE = b"\x1b"


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
        block = fh.read(_BLOCK)
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


# MARCXML ------------------------------------------------------------------------------------------

_RECORD_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?record(?=[\s>/])")
_RECORD_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?record\s*>")
_NS_DECL = re.compile(rb"""\sxmlns(?::[A-Za-z_][\w.-]*)?\s*=\s*("[^"]*"|'[^']*')""")
_MARC_CHILDREN = {"leader", "controlfield", "datafield"}


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _is_marc_record(el: etree._Element) -> bool:
    return _local(el.tag) == "record" and any(_local(c.tag) in _MARC_CHILDREN for c in el)


def _element_entry(position: int, offset: int, el: etree._Element) -> Entry:
    try:
        record = record_from_element(el)
    except ValueError as exc:
        return Entry(position, offset, error=str(exc))
    if not record.fields:
        return Entry(position, offset, error="record has no fields")
    if not any(_local(c.tag) == "leader" for c in el):
        return Entry(position, offset, record, warnings=["no leader: pymarc's default leader used"])
    return Entry(position, offset, record)


def read_xml(path: str | Path) -> Iterator[Entry]:
    """Yields the MARCXML records of a file, in the MARC21 namespace, another, or none.

    A file that is not well-formed is read up to the error, then record by record: each
    ``<record>...</record>`` chunk is parsed on its own, so one broken record costs only itself.
    """
    done = 0
    with open_binary(path) as fh:
        try:
            context = etree.iterparse(
                fh,
                events=("end",),
                resolve_entities=False,
                no_network=True,
                load_dtd=False,
                huge_tree=False,
                remove_comments=True,
                remove_pis=True,
            )
            for _event, el in context:
                if not _is_marc_record(el):
                    continue
                done += 1
                yield _element_entry(done, el.sourceline or 0, el)
                el.clear(keep_tail=False)
                parent = el.getparent()
                if parent is not None:
                    while el.getprevious() is not None:
                        del parent[0]
            return
        except etree.XMLSyntaxError as exc:
            logger.warning("%s is not well-formed (%s); reading it record by record", path, exc)
    yield from _read_xml_chunks(path, skip=done)


def _read_xml_chunks(path: str | Path, skip: int) -> Iterator[Entry]:
    with open_binary(path) as fh:
        data = b""
        namespaces = b""
        position = 0
        line = 1  # line number at the start of ``data``
        eof = False
        while True:
            start = _RECORD_START.search(data)
            end = _RECORD_END.search(data, start.end()) if start else None
            if end is None:
                if eof:
                    if start is not None:
                        position += 1
                        if position > skip:
                            yield Entry(
                                position,
                                line + data.count(b"\n", 0, start.start()),
                                error="record not closed before the end of the file",
                            )
                    return
                block = fh.read(_BLOCK)
                eof = not block
                data += block
                if start is not None and len(data) - start.start() > MAX_RECORD_BYTES:
                    position += 1
                    if position > skip:
                        yield Entry(
                            position,
                            line + data.count(b"\n", 0, start.start()),
                            error=f"record longer than {MAX_RECORD_BYTES} bytes",
                        )
                    line += data.count(b"\n", 0, start.end())
                    data = data[start.end() :]
                continue
            if not namespaces and position == 0:
                namespaces = b" ".join(
                    m.group(0).strip() for m in _NS_DECL.finditer(data[: start.start()])
                )
            position += 1
            chunk = data[start.start() : end.end()]
            if position > skip:
                where = line + data.count(b"\n", 0, start.start())
                yield _chunk_entry(position, where, chunk, namespaces)
            line += data.count(b"\n", 0, end.end())
            data = data[end.end() :]


def _chunk_entry(position: int, offset: int, chunk: bytes, namespaces: bytes) -> Entry:
    wrapped = b"<wrapper " + namespaces + b">" + chunk + b"</wrapper>"
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(wrapped, parser)
    except etree.XMLSyntaxError as exc:
        return Entry(position, offset, error=f"XML not well-formed: {exc.msg}")
    records = [el for el in root.iter() if _is_marc_record(el)]
    if not records:
        return Entry(position, offset, error="no leader, controlfield or datafield in <record>")
    return _element_entry(position, offset, records[0])


def count_records(path: str | Path) -> int:
    """Returns a quick estimate of the number of records in a file (for progress bars)."""
    xml = sniff_format(path) == "xml"
    count = 0
    tail = b""
    with open_binary(path) as fh:
        while block := fh.read(1 << 20):
            if xml:
                data = tail + block
                count += len(_RECORD_END.findall(data))
                tail = data[-16:] if not data.endswith(b">") else b""
            else:
                count += block.count(RECORD_TERMINATOR)
    return count
