"""Loading files into the store: MARC records (``records``) and inventory files (``inventory``).

Records are read as a stream with :mod:`indexer.marc.reader`, matched and stored batch by batch
(one transaction each), and every record's fate is counted in a report; inventory comes from CSV or
from MFHD holdings records. It may import ``indexer.marc``, ``indexer.store`` and ``indexer.rules``
(a load may normalize each record first); the CLI uses it.
"""
