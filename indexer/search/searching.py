"""Searching the Whoosh index fast: pages of hits with exact counts, scoring, year ranges, MMS IDs.

Whoosh's own collector stops counting exactly once it holds a page of hits (it replaces the matchers
of a union by the branches that can still beat them), and its BM25F scorer reads each matched
document's field length from disk: :func:`search_page` scores and counts every match itself, with
:class:`FastBM25F`, which keeps each segment's field lengths in memory. What a segment holds never
changes once written, so its lengths, its MMS IDs (:func:`ids_of`) and its year column
(:class:`ColumnRange`) are read once per process and kept.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from heapq import heappush, heapreplace
from itertools import islice
from typing import TYPE_CHECKING

from whoosh import query as wq
from whoosh import sorting
from whoosh.matching import ListMatcher, Matcher, NullMatcher, ReadTooFar
from whoosh.query import Every
from whoosh.scoring import BM25F, BM25FScorer
from whoosh.util.numeric import byte_to_length

from indexer.search.index_format import length_bytes

if TYPE_CHECKING:
    from whoosh.searching import Searcher


class _Kept:
    """Per-segment data read once per process, by (segment id, name); bounded."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.data: dict[tuple[str, str], object] = {}
        self.lock = threading.Lock()

    def get(self, reader, name: str, load):
        segment = reader.segment() if hasattr(reader, "segment") else None
        key = (segment.segment_id(), name) if segment is not None else None
        found = self.data.get(key) if key is not None else None
        if found is None:
            found = load(reader, name)
            if key is not None:
                with self.lock:
                    if len(self.data) >= self.size:
                        self.data.clear()
                    self.data[key] = found
        return found


# pages of hits -------------------------------------------------------------------------------


def search_page(searcher: Searcher, translated, start: int, count: int) -> tuple[int, list[str]]:
    """Returns the number of hits of a translated query and the MMS IDs of hits ``start``.. on.

    Hits are in relevance order (ties in index order), or in the order of the query's sort keys.
    """
    limit = start - 1 + count
    if isinstance(translated.query, Every) and not translated.sort:
        # every record, in index order: no need to score or count them one by one
        docnums = list(islice(searcher.reader().all_doc_ids(), start - 1, limit))
        return searcher.doc_count(), ids_of(searcher, docnums)
    if limit <= 0:
        return _count(searcher, translated.query), []
    if not translated.sort:
        total, docnums = _top(searcher, translated.query, limit)
        return total, ids_of(searcher, docnums[start - 1 :])
    facets = [sorting.FieldFacet(column, reverse=reverse) for column, reverse in translated.sort]
    results = searcher.search(
        translated.query,
        limit=limit,
        sortedby=facets[0] if len(facets) == 1 else sorting.MultiFacet(facets),
        scored=False,
        optimize=False,
    )
    total = len(results)
    docnums = [results.docnum(i) for i in range(start - 1, min(limit, results.scored_length()))]
    return total, ids_of(searcher, docnums)


def _count(searcher: Searcher, query) -> int:
    """Returns the number of documents a query matches, without scoring them.

    A term's postings are read in blocks (``all_ids``); a compound matcher is stepped through, so
    that an intersection skips along its rarest part (its ``all_ids`` builds a set of each side).
    """
    context = searcher.boolean_context()
    total = 0
    for sub, _offset in searcher.leaf_searchers():
        matcher = query.matcher(sub, context)
        if matcher.is_leaf():
            total += sum(1 for _ in matcher.all_ids()) if matcher.is_active() else 0
            continue
        is_active, next_ = matcher.is_active, matcher.next
        while is_active():
            total += 1
            next_()
    return total


def _top(searcher: Searcher, query, limit: int) -> tuple[int, list[int]]:
    """Returns the number of documents a query matches and the ``limit`` best scored ones.

    Every match is scored and counted: Whoosh's collector, once it holds ``limit`` hits, replaces
    the matchers of a union with the branches that can still beat them, and its count then falls
    short of the matches.
    """
    context = searcher.context()
    heap: list[tuple[float, int]] = []
    total = 0
    for sub, offset in searcher.leaf_searchers():
        matcher = query.matcher(sub, context)
        is_active, next_, docnum, score = matcher.is_active, matcher.next, matcher.id, matcher.score
        while is_active():
            total += 1
            value = score()
            if len(heap) < limit:
                heappush(heap, (value, -offset - docnum()))
            elif value > heap[0][0]:
                heapreplace(heap, (value, -offset - docnum()))
            next_()
    heap.sort(reverse=True)
    return total, [-negated for _, negated in heap]


# MMS IDs ---------------------------------------------------------------------------------------


_segment_ids = _Kept(256)


def ids_of(searcher: Searcher, docnums) -> list[str]:
    """Returns the MMS IDs of document numbers.

    Each segment's ids are read once per process (from the ``id`` column) and kept: a segment never
    changes once written, and loading a column per request would cost more than the search.
    """
    tables = [
        (base, _segment_ids.get(leaf, "id", lambda r, f: list(r.column_reader(f))))
        for leaf, base in searcher.reader().leaf_readers()
    ]
    bases = [base for base, _ in tables]
    out = []
    for docnum in docnums:
        base, ids = tables[bisect_right(bases, docnum) - 1]
        out.append(ids[docnum - base])
    return out


# scoring ------------------------------------------------------------------------------------------


def _load_lengths(reader, fieldname: str) -> list[float]:
    """Returns the length of a field in each document of a segment, as BM25F reads it."""
    count = reader.doc_count_all()
    raw = length_bytes(getattr(reader, "_perdoc", None), fieldname)
    if raw is None:
        return [reader.doc_field_length(n, fieldname, 1) for n in range(count)]
    raw = bytes(raw[:count]).ljust(count, b"\0")
    table = [1] + [byte_to_length(b) for b in range(1, 256)]
    return [table[b] for b in raw]


_lengths = _Kept(256)


class FastBM25F(BM25F):
    """Whoosh's BM25F, with the field lengths of each segment kept in memory."""

    def scorer(self, searcher, fieldname, text, qf=1):
        if not searcher.schema[fieldname].scorable:
            return super().scorer(searcher, fieldname, text, qf)
        B = self._field_B.get(fieldname, self.B)  # noqa: N806 - BM25's name
        return _Scorer(searcher, fieldname, text, B, self.K1, qf=qf)


class _Scorer(BM25FScorer):
    def __init__(self, searcher, fieldname, text, B, K1, qf=1) -> None:  # noqa: N803
        super().__init__(searcher, fieldname, text, B, K1, qf=qf)
        if hasattr(self, "dfl"):
            self.dfl = _lengths.get(searcher.reader(), fieldname, _load_lengths).__getitem__

    def score(self, matcher) -> float:
        weight, length, k1 = matcher.weight(), self.dfl(matcher.id()), self.K1
        return (
            self.idf
            * (weight * (k1 + 1))
            / (weight + k1 * ((1 - self.B) + self.B * length / self.avgfl))
        )


# year ranges -------------------------------------------------------------------------------------


class _Column:
    """A segment's numeric column: the value of each document, and the documents by value."""

    __slots__ = ("order", "sorted_values", "values")

    def __init__(self, values: list[int]) -> None:
        self.values = values
        self.order = sorted(range(len(values)), key=values.__getitem__)
        self.sorted_values = [values[n] for n in self.order]


_columns = _Kept(64)


def _column(reader, fieldname: str) -> _Column:
    """Returns a segment's column, kept: segments never change once written."""
    return _columns.get(reader, fieldname, lambda r, f: _Column(list(r.column_reader(f))))


def _deleted(reader) -> frozenset[int]:
    """Returns the deleted document numbers of a segment reader (empty when it has none)."""
    if not reader.has_deletions():
        return frozenset()
    segment = reader.segment() if hasattr(reader, "segment") else None
    if segment is not None:
        return frozenset(segment.deleted_docs())
    return frozenset(n for n in range(reader.doc_count_all()) if reader.is_deleted(n))


YEAR_RANGE = (-9999, 9999)
"""Values a number index holds (years); the column's filler for a missing value lies outside."""
SPARSE = 4
"""A range that holds at most 1/SPARSE of a segment's documents becomes a list of their numbers;
a wider one is tested document by document as the search reaches them."""


class ColumnRange(wq.Query):
    """Documents whose sortable numeric column lies in [start, end] (None: open), scored 1.

    Reading a segment's column is one pass over an array: much cheaper than the union of the
    trie terms that ``NumericRange`` expands to when the range covers thousands of documents. The
    documents of each segment are kept sorted by value, so a narrow range is two bisections; a wide
    one is checked only at the documents that the other clauses of the query reach.
    """

    def __init__(self, fieldname: str, start: int | None, end: int | None) -> None:
        self.fieldname = fieldname
        self.start = YEAR_RANGE[0] if start is None else start
        self.end = YEAR_RANGE[1] if end is None else end
        self.boost = 1.0

    def __repr__(self) -> str:
        return f"ColumnRange({self.fieldname!r}, {self.start}, {self.end})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ColumnRange) and (other.fieldname, other.start, other.end) == (
            self.fieldname,
            self.start,
            self.end,
        )

    def __hash__(self) -> int:
        return hash((ColumnRange, self.fieldname, self.start, self.end))

    def is_leaf(self) -> bool:
        return True

    def field(self) -> str:
        return self.fieldname

    def estimate_size(self, ixreader) -> int:
        return ixreader.doc_count_all()

    def matcher(self, searcher, context=None):
        reader = searcher.reader()
        if not reader.has_column(self.fieldname):
            return NullMatcher()
        start, end = max(self.start, YEAR_RANGE[0]), min(self.end, YEAR_RANGE[1])
        if start > end:
            return NullMatcher()
        column = _column(reader, self.fieldname)
        low = bisect_left(column.sorted_values, start)
        high = bisect_right(column.sorted_values, end)
        if low >= high:
            return NullMatcher()
        deleted = _deleted(reader)
        if (high - low) * SPARSE <= len(column.values):
            ids = sorted(column.order[low:high])
            if deleted:
                ids = [n for n in ids if n not in deleted]
            return _IdsMatcher(ids, all_weights=1.0) if ids else NullMatcher()
        matcher = _RangeMatcher(column.values, start, end, deleted)
        return matcher if matcher.is_active() else NullMatcher()


class _IdsMatcher(ListMatcher):
    """A sorted list of document numbers that skips forward by bisection."""

    def skip_to(self, id):  # noqa: A002 - Whoosh's name
        if not self.is_active():
            raise ReadTooFar
        if id > self._ids[self._i]:
            self._i = bisect_left(self._ids, id, self._i)


class _RangeMatcher(Matcher):
    """The documents whose column value lies in [start, end], found by testing each value."""

    def __init__(self, values: list[int], start: int, end: int, deleted, at: int = -1) -> None:
        self._values = values
        self._start = start
        self._end = end
        self._deleted = deleted
        self._i = self._find(0) if at < 0 else at

    def _find(self, i: int) -> int:
        values, start, end, deleted = self._values, self._start, self._end, self._deleted
        n = len(values)
        while i < n and (not start <= values[i] <= end or i in deleted):
            i += 1
        return i

    def is_active(self) -> bool:
        return self._i < len(self._values)

    def reset(self) -> None:
        self._i = self._find(0)

    def copy(self):
        return _RangeMatcher(self._values, self._start, self._end, self._deleted, self._i)

    def replace(self, minquality=0):
        return self if self.is_active() else NullMatcher()

    def id(self) -> int:
        return self._i

    def next(self) -> None:
        if not self.is_active():
            raise ReadTooFar
        self._i = self._find(self._i + 1)

    def skip_to(self, id) -> None:  # noqa: A002 - Whoosh's name
        if not self.is_active():
            raise ReadTooFar
        if id > self._i:
            self._i = self._find(id)

    def all_ids(self):
        values, start, end, deleted = self._values, self._start, self._end, self._deleted
        return (
            n for n in range(self._i, len(values)) if start <= values[n] <= end and n not in deleted
        )

    def supports(self, astype) -> bool:
        return False

    def value(self) -> str:
        return ""

    def weight(self) -> float:
        return 1.0

    def score(self) -> float:
        return 1.0

    def supports_block_quality(self) -> bool:
        return False

    def max_quality(self) -> float:
        return 1.0

    def block_quality(self) -> float:
        return 1.0
