"""The record store, the catalogue's source of truth: one SQLite file in WAL mode.

It owns the schema and its migrations (``schema``), records, datestamps and the change log
(``records``: :class:`~indexer.store.records.RecordStore`), sets and the OAI-PMH keyset lists
(``lists``), the inventory tables (``inventory``), the match keys an incoming record is matched by
(``matching``), run locks shared by harvest and publishing runs (``run_locks``), backups
(``backup``) and exports (``export``). Only this package opens the database file. It may import
``indexer.marc`` (a change re-renders the published XML it keeps); the search index, loading,
orders, publishing, the harvester and the app use it.
"""
