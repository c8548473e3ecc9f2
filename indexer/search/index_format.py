"""How the search index is written: the Whoosh codec and field types that Pressmark builds it with.

Building the index is Whoosh's posting work more than anything Pressmark does (measured on the
corpus in one process: reading and extracting the MARC takes about a seventh of the time), so three
costs of Whoosh 2.7.4 are avoided here. Each keeps what the index holds exactly as Whoosh's own
classes would write it.

- A term found in fewer than :data:`INLINE_BELOW` documents (four in five terms of a catalogue: most
  identifiers, names and rare words) has its postings kept inside its term entry instead of a block
  of its own in the postings file. Whoosh reads such entries already; writing them fails in 2.7.4,
  whose postings writer calls ``set_inline`` where its term info has ``set_inlined``, and merging
  segments fails on them, because a posting without a value reads as ``''`` instead of None.
- While writing postings Whoosh asks each posting's field length from the lengths column on disk;
  :class:`Codec` reads a field's lengths once, as bytes.
- :class:`Words` and :class:`Values` turn a value into postings with one regular expression pass
  instead of a token object per word, and a word found once in a value takes its encoded position
  from a table; they stay Whoosh's ``TEXT`` and ``ID`` for searching.

The codec and the field types are recorded in the index (its table of contents), so an index written
with them opens only where this module can be imported.
"""

from __future__ import annotations

import re
from collections import defaultdict

from whoosh.analysis import RegexTokenizer
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    W3Codec,
    W3PerDocReader,
    W3PostingsWriter,
    _lenfield,
)
from whoosh.fields import ID, TEXT
from whoosh.formats import Positions
from whoosh.matching import ListMatcher
from whoosh.util.numeric import byte_to_length

INLINE_BELOW = 8
"""Terms with fewer postings than this are kept inline (measured: 2 to 32 build about as fast)."""
#: Field length of each length byte (a zero byte answers None, as Whoosh answers it).
_LENGTH_OF_BYTE = (None, *(byte_to_length(b) for b in range(1, 256)))
#: The encoded positions of a word found once, at each of the first positions of a value.
_ONCE_AT = tuple(Positions().encode([position]) for position in range(1024))


def length_bytes(perdoc, fieldname: str) -> bytes | None:
    """Returns a segment's field lengths, one byte per document, or None if it cannot read them.

    ``perdoc`` is a whoosh3 per-document reader; the bytes are Whoosh's own length encoding.
    """
    try:
        column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if column is None:
            return b""
        return column._dbfile.get(column._basepos, column._count)
    except AttributeError:  # not a whoosh3 segment
        return None


class _PostingsWriter(W3PostingsWriter):
    """Whoosh's postings writer, able to inline short posting lists (see the module docstring)."""

    def finish_postings(self):
        if self.written() or len(self) >= self._inlinelimit:
            return super().finish_postings()
        terminfo = self._terminfo
        terminfo.add_block(self)
        terminfo.set_inlined(self._ids, self._weights, self._values)
        self._terminfo = None
        return terminfo


class _PerDocReader(W3PerDocReader):
    """Whoosh's per-document reader, reading each field's lengths once."""

    def __init__(self, storage, segment) -> None:
        super().__init__(storage, segment)
        self._length_bytes: dict[str, bytes | None] = {}

    def doc_field_length(self, docnum, fieldname, default=0):
        if fieldname not in self._length_bytes:
            self._length_bytes[fieldname] = length_bytes(self, fieldname)
        lengths = self._length_bytes[fieldname]
        if lengths is None or docnum >= len(lengths):
            return super().doc_field_length(docnum, fieldname, default)
        if not lengths:
            return default  # the field has no lengths column
        return _LENGTH_OF_BYTE[lengths[docnum]]


class _InlineMatcher(ListMatcher):
    """Whoosh's matcher of inlined postings; a posting without a value reads as None, as in a block."""

    def value(self):
        return super().value() if self._values else None


class Codec(W3Codec):
    """Whoosh's whoosh3 codec with inlined short posting lists and lengths read once."""

    def __init__(self) -> None:
        # posting blocks are not zlib-compressed (each block says whether it is): about 15% less
        # build time and no decompression when searching, for an index about a third larger
        super().__init__(compression=0, inlinelimit=INLINE_BELOW)

    def postings_writer(self, dbfile, byteids=False):
        return _PostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if not terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        ids, weights, values = terminfo.inlined_postings()
        return _InlineMatcher(
            ids, weights, values, format_, scorer=scorer, term=term, terminfo=terminfo
        )

    def per_document_reader(self, storage, segment):
        return _PerDocReader(storage, segment)


class Words(TEXT):
    """A ``TEXT`` field with positions whose words are the matches of ``pattern``."""

    def __init__(self, pattern: str) -> None:
        super().__init__(analyzer=RegexTokenizer(pattern), phrase=True)
        self.pattern = re.compile(pattern)

    def index(self, value, **kwargs):
        """Yields (word, frequency, weight, positions) as the ``Positions`` format does."""
        positions: dict[str, list[int]] = defaultdict(list)
        for position, word in enumerate(self.pattern.findall(value)):
            positions[word].append(position)
        encode, boost = self.format.encode, self.format.field_boost
        for word, found in positions.items():
            if len(found) == 1 and found[0] < len(_ONCE_AT):
                yield word.encode("utf-8"), 1, boost, _ONCE_AT[found[0]]
            else:
                yield word.encode("utf-8"), len(found), len(found) * boost, encode(found)


class Values(ID):
    """An ``ID`` field holding several whole values: the matches of ``pattern``."""

    def __init__(self, pattern: str) -> None:
        super().__init__(analyzer=RegexTokenizer(pattern))
        self.pattern = re.compile(pattern)

    def index(self, value, **kwargs):
        """Yields (value, 1, weight, b"") for each distinct value, as the ``Existence`` format does."""
        boost = self.format.field_boost
        for word in set(self.pattern.findall(value)):
            yield word.encode("utf-8"), 1, boost, b""
