"""The MARCXML reader: records in the MARC21 namespace, another, or none, streamed.

The file is parsed with ``iterparse`` and cleared as it goes, so memory stays flat. A file that is not
well-formed is read up to the error, then record by record, so one broken record costs only itself.
Parsing never resolves entities, never loads a DTD and never reaches the network.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from indexer.marc.entry import BLOCK, MAX_RECORD_BYTES, Entry, open_binary
from indexer.marc.marcxml import record_from_element

logger = logging.getLogger(__name__)

_RECORD_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?record(?=[\s>/])")
RECORD_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?record\s*>")
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
            end = RECORD_END.search(data, start.end()) if start else None
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
                block = fh.read(BLOCK)
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
