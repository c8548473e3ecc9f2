"""Republishing: render the published XML of many records again, after a change of the settings.

The published representation (OAI-PMH's ``marc21`` and ``oai_dc``) is rendered when a record or its
inventory changes. A change of the enrichment settings or of the normalization rules changes it for
records that did not change themselves: :func:`republish` renders them again and gives a new
datestamp to each record whose published XML changed, so that incremental harvesters receive it.
With ``force``, every selected record gets a new datestamp, changed or not: a discovery system that
lost a set harvests it again by its usual incremental run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from indexer.store.schema import StoreError

if TYPE_CHECKING:
    from indexer.store.records import RecordStore

logger = logging.getLogger(__name__)

BATCH = 500
"""Records re-rendered per transaction: OAI readers wait for one batch at most."""


@dataclass(frozen=True)
class RepublishReport:
    """What a republish did: records rendered again, and those that got a new datestamp."""

    rendered: int
    bumped: int
    set_spec: str | None = None

    def summary(self) -> str:
        """Returns one line for staff."""
        where = f" of set {self.set_spec}" if self.set_spec else ""
        return f"{self.rendered} records{where} re-rendered, {self.bumped} got a new datestamp"


def selected_ids(store: RecordStore, set_spec: str | None = None) -> list[int]:
    """Returns the ids of the live records to republish: all, or the members of ``set_spec``.

    Raises:
        StoreError: ``set_spec`` is not a set of the store.
    """
    if set_spec is None:
        sql, args = "SELECT id FROM records WHERE deleted = 0 ORDER BY id", ()
    else:
        known = store.conn.execute("SELECT 1 FROM sets WHERE spec = ?", (set_spec,)).fetchone()
        if known is None:
            raise StoreError(f"no set {set_spec!r}")
        sql = (
            "SELECT r.id FROM records r JOIN set_members m ON m.record_id = r.id"
            " WHERE m.set_spec = ? AND m.removed = 0 AND r.deleted = 0 ORDER BY r.id"
        )
        args = (set_spec,)
    return [row[0] for row in store.conn.execute(sql, args)]


def republish(
    store: RecordStore,
    *,
    set_spec: str | None = None,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
    ids: list[int] | None = None,
) -> RepublishReport:
    """Renders the selected live records again with the store's publishing options.

    ``ids`` are the records' :func:`selected_ids` when the caller already has them.

    Each batch of :data:`BATCH` records is one transaction, so a killed run leaves every record
    either as it was or republished; running it again finishes the work. Only records that got a
    new datestamp enter the change log.

    Raises:
        StoreError: an unknown set, or the store stays locked by another writer.
    """
    if ids is None:
        ids = selected_ids(store, set_spec)
    bumped = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        with store.batch():
            for rec_id in chunk:
                bumped += store.rerender(rec_id, "republish", force=force)
        if progress:
            progress(len(chunk))
    report = RepublishReport(len(ids), bumped, set_spec)
    logger.info("republish: %s", report.summary())
    return report
