"""MARC in and out: reading files, MARCXML, the crosswalks, enrichment and the published rendering.

It owns reading binary MARC and MARCXML as a stream (``reader``, ``xml_reader``, ``entry``: repair of
broken directories, MARC-8), MARCXML to and from pymarc records with a parser that never resolves
entities (``marcxml``), the Dublin Core and MODS crosswalks (``dublin_core``, ``mods``), the
inventory of a record as publishing sees it (``inventory``), Alma's 852 and AVA/AVE/AVD enrichment
(``enrich``) and the published form of a record that OAI-PMH, SRU and file publishing serve
(``published``: enrichment, rules, MARC21slim repair). It may import ``indexer.rules`` only (the
published rendering applies rules); the store and everything above use it.
"""
