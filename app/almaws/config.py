"""Default settings of the Alma-style APIs (``/almaws/v1``)."""

ALMAWS_READ_REQUIRES_KEY = False
"""Whether reads (``GET``) need an API key too, as every call does in Alma. Default ``False``:
the availability API is public, as discovery layers call it from the browser; writes always need
a key."""

ALMAWS_MAX_BIBS = 100
"""Most MMS IDs that one ``GET /almaws/v1/bibs?mms_id=...`` may ask for (Alma's limit).
Default 100."""

ALMAWS_MAX_BODY = 1_000_000
"""Largest request body the APIs accept, in bytes (a PO line is a few kilobytes). Default 1 MB."""

ORDERS_MATCH = "isbn,issn"
"""Match methods of the real-time ordering API, in order (``isbn``, ``issn``, ``035``, ``001``): how
a new PO line finds the record it orders when it gives no MMS ID. Default ``isbn,issn``."""

ORDERS_BRIEF_SOURCE = "po-line"
"""``source`` recorded for the brief records that the ordering API creates. Default ``po-line``."""
