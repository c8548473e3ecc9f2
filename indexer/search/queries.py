"""CQL queries run for the staff tools: the records a set or a publishing selection holds.

SRU requests page through hits (:mod:`app.sru.operations`); these callers want every matching MMS ID.
"""

from __future__ import annotations

from pathlib import Path

from indexer.search.cql import translate
from indexer.search.index import local_tags, open_searcher
from indexer.search.searching import ids_of


def search_ids(index_dir: str | Path, cql: str) -> list[str]:
    """Returns the MMS IDs of every record that a CQL query matches, in index order.

    Raises:
        indexer.search.cql.QueryError: the query cannot be parsed or translated (it carries an SRU
            diagnostic number).
        SearchIndexError: there is no index.
    """
    with open_searcher(index_dir) as searcher:
        translated = translate(cql, local_tags(searcher))
        docnums = sorted(searcher.docs_for_query(translated.query))
        return ids_of(searcher, docnums)
