"""Default settings of the staff API and of the harvester it drives (see ``app/config.py``)."""

API_KEYS = ()
"""API keys accepted by the staff and Alma-style APIs (``apikey`` query parameter, or the header
``Authorization: apikey KEY``): a list, or one comma-separated string. Default: none, so every
authenticated request is refused until keys are set (``PRESSMARK_API_KEYS='["s3cret"]'``)."""

HARVEST_TIMEOUT = 30.0
"""Seconds to wait for a source to connect and for each read of its answer. Default 30."""

HARVEST_MAX_RETRIES = 3
"""Retries of a failed request (HTTP 500/502/503/504, timeout, a page cut off or malformed).
Default 3."""

HARVEST_BACKOFF = 2.0
"""Seconds before the first retry of a failed transfer; doubled at each retry. Default 2."""

HARVEST_MAX_RETRY_AFTER = 120.0
"""Cap, in seconds, on the wait a ``Retry-After`` header asks for (seconds or HTTP-date).
Default 120."""

HARVEST_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
"""Largest response accepted from a source, in bytes; a longer one is abandoned. Default 64 MiB."""

HARVEST_MAX_RESPONSE_SECONDS = 600.0
"""Longest time one response may take to arrive, in seconds (a source that never stops sending).
Default 600."""

HARVEST_MAX_RECORD_BYTES = 1024 * 1024
"""Largest single record accepted, in bytes of XML; a larger one is rejected. Default 1 MiB."""
