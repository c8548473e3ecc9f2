"""Default settings. Each can be overridden by ``instance/config.py``, by the file named in the
``PRESSMARK_CONFIG`` environment variable, or by an environment variable ``PRESSMARK_<NAME>``
(values are parsed as JSON when they can be: ``PRESSMARK_OAI_PAGE_SIZE=50``).
"""

SECRET_KEY = "dev"
"""Signs resumption tokens and sessions. Default ``"dev"``: set a long random value in production."""

DATABASE = None
"""Path of the SQLite record store. Default: ``pressmark.db`` in the instance folder."""

INDEX_DIR = None
"""Folder of the Whoosh search index. Default: ``index/`` in the instance folder."""

SAMPLE_DIR = None
"""Folder that ``pressmark init`` loads. Default: the project's ``sample_records/``."""

INSTITUTION_CODE = "PRESSMARK_INST"
"""Institution code, as Alma's (``01ABC_INST``): used in URLs and in AVA $a. Default ``PRESSMARK_INST``."""

INSTITUTION_SUFFIX = "0101"
"""Four digits that end every MMS ID and inventory id of a new store (Alma's institution suffix)."""

LOAD_MATCH = "001,035"
"""Match methods of ``pressmark load``, in order: ``001``, ``035``, ``isbn``, ``issn``; ``none`` to
always add. Default ``001,035``."""

PUBLISH_HOLDINGS_852 = True
"""Enrich published records with an 852 field per holding ($b library, $c location, $h call number)."""

PUBLISH_AVAILABILITY = True
"""Enrich published records with AVA/AVE/AVD availability fields."""

PUBLISH_RULES = None
"""Normalization rule file applied to every record published over OAI-PMH (after the enrichment;
``oai_dc`` is derived from the normalized record). Default: none. Run ``pressmark republish`` after
changing it or the file."""

LOG_LEVEL = "INFO"
"""Level of the log written to standard error: ``DEBUG``, ``INFO``, ``WARNING``. Default ``INFO``."""
