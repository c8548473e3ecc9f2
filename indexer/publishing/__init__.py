"""Publishing beyond the OAI-PMH feed: republishing, and file publishing profiles with their runs.

It owns re-rendering what OAI-PMH publishes after a change of settings (``republish``), the file
publishing profile (``profile``) and its table, run history, locks and schedule (``profiles``,
``runs``), a run itself (``runner``: select, enrich, normalize, write, pack), the output files
(``files``) and their upload to FTP, FTPS and SFTP servers (``upload``). It may import
``indexer.marc``, ``indexer.store`` and ``indexer.rules``; a ``cql:`` selection gets its MMS IDs
from its caller. The CLI, the download page and ``/health`` use it.
"""
