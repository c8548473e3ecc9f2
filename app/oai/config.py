"""Default settings of the OAI-PMH data provider (override as described in ``app/config.py``)."""

OAI_REPOSITORY_NAME = "Pressmark catalogue"
"""Name of the repository in Identify (``repositoryName``). Default ``Pressmark catalogue``."""

OAI_REPOSITORY_IDENTIFIER = "pressmark.example.org"
"""Repository identifier: identifiers are ``oai:<this>:<MMS ID>``. A domain name, as the
oai-identifier scheme requires. Default ``pressmark.example.org``."""

OAI_ADMIN_EMAIL = "admin@example.org"
"""Administrator address(es) in Identify (``adminEmail``); a list or a comma-separated string.
Default ``admin@example.org``."""

OAI_PAGE_SIZE = 100
"""Records per ListRecords page. Default 100. (ListSets sends every set in one response.)"""

OAI_IDENTIFIERS_PAGE_SIZE = 500
"""Headers per ListIdentifiers page. Default 500."""

OAI_TOKEN_MAX_AGE = 86400
"""Lifetime of a resumption token, in seconds (announced as its ``expirationDate``).
Default 86400 (one day)."""

OAI_COMPRESSION_LEVEL = 1
"""zlib level (1-9) of gzip/deflate responses, sent when the client's Accept-Encoding asks for
them. Default 1: fast, and MARCXML still shrinks several times."""

OAI_SETS = {}
"""Sets defined by configuration, beside those of ``pressmark sets add``: ``{spec: {"name": ...,
"description": ..., "query": CQL}}`` or ``{spec: {"name": ..., "ids": [MMS IDs]}}``. Applied by
``pressmark sets sync`` and after every ``pressmark init`` and ``pressmark load``. Default: none."""
