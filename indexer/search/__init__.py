"""The search index: a Whoosh folder derived from the store, and CQL queries over it.

It owns the table that maps MARC to search fields (``fields``), the codec and field types the index
is written with (``index_format``), building and updating the index from the store's change log
(``index``) and the thread that keeps each server process current (``follower``), CQL translation
(``cql``), searching pages of hits (``searching``) and whole-result queries for staff tools
(``queries``). Whoosh is imported here and nowhere else. It may import ``indexer.marc`` and
``indexer.store``; the SRU server, the CLI and ``/health`` use it.
"""
