"""Records in, records and ids out: everything Pressmark does to a catalogue, without HTTP.

Packages, each above the ones it may import (``tests/test_layers.py`` holds the rule)::

    indexer.rules        Alma-style normalization rules (pymarc only)
    indexer.marc         MARC in and out: readers, MARCXML, Dublin Core, MODS, 852/AVA/AVE/AVD,
                         the published rendering                                    (rules)
    indexer.store        the SQLite record store: records, change log, sets and OAI lists,
                         inventory, matching, run locks, backup, export             (marc)
    indexer.search       the Whoosh index derived from the store, CQL               (marc, store)
    indexer.load         MARC and inventory files into the store                    (marc, store, rules)
    indexer.orders       PO lines of real-time ordering                             (marc, store)
    indexer.publishing   republishing, file publishing profiles, runs, uploads      (marc, store, rules)

Data flow::

    files (.mrc, MARCXML) -> indexer.marc -> indexer.load -+
    remote OAI-PMH -------> harvester ---------------------+-> indexer.store -> indexer.search
    indexer.store -> indexer.publishing -> files, FTP/SFTP
"""
