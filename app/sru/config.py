"""Default settings of the SRU server and of the search index that it reads."""

SRU_DEFAULT_VERSION = "1.2"
"""SRU version of a request that names none: ``1.2`` (default) or ``2.0``."""

SRU_DEFAULT_MAXIMUM_RECORDS = 10
"""Records per response when the request gives no ``maximumRecords``. Default 10."""

SRU_MAXIMUM_RECORDS = 50
"""Largest number of records in one response; larger ``maximumRecords`` are cut to it. Default 50."""

SRU_MAX_START_RECORD = 10000
"""Deepest position a client may page to (``startRecord`` + records - 1); beyond it diagnostic 61.
Default 10,000."""

SRU_DEFAULT_RECORD_SCHEMA = "marcxml"
"""Record schema of a request that names none: ``marcxml``, ``dc`` or ``mods``. Default ``marcxml``."""

SRU_AVAILABILITY = True
"""Add AVA/AVE/AVD availability fields to ``marcxml`` records, built from the current inventory at
response time. Default ``True``."""

SRU_DATABASE_TITLE = "Pressmark catalogue"
"""Title of the database in the explain record. Default ``Pressmark catalogue``."""

INDEX_FOLLOW_INTERVAL = 0.2
"""Seconds between two looks at the store's change log by the thread that keeps the search index
current (one per server process, started by the first SRU request); 0 turns it off. Default 0.2."""
