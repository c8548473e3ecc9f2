"""One harvested record into the store, as the profile says: normalize, match, merge, delete."""

from __future__ import annotations

from pymarc import Leader, Record

from harvester.client import HarvestedRecord
from harvester.merge import keep_local_fields
from harvester.normalize import Normalizer
from harvester.profiles import Profile
from harvester.report import HarvestReport
from indexer import matching
from indexer.store import RecordStore


def apply_record(
    store: RecordStore,
    profile: Profile,
    item: HarvestedRecord,
    report: HarvestReport,
    normalize: Normalizer | None,
) -> None:
    """Stores one harvested record as the profile says; a failure rejects only this record."""
    try:
        if item.deleted:
            report.counts[_delete(store, profile, item.identifier)] += 1
            return
        marc: Record | None = item.marc
        if normalize is not None and marc is not None:
            marc = normalize(marc)
        if marc is None:
            report.counts["skipped"] += 1
            return
        if profile.merge != "overlay":
            mms_id = store.find(marc, match=profile.match, oai_identifier=item.identifier)
            if _matched_by_content_only(store, marc, profile, item.identifier, mms_id):
                mms_id = None
            stored = store.get(mms_id) if mms_id else None
            if stored is not None and not stored.deleted and profile.merge == "add_only":
                report.counts["unchanged"] += 1
                return
            if stored is not None and profile.merge == "keep_local":
                marc = keep_local_fields(marc, stored.marc, profile.local_fields)
        source = f"harvest:{profile.name}"
        result = store.put(marc, match=profile.match, source=source, oai_identifier=item.identifier)
        if result.status == "unchanged" and _matched_by_content_only(
            store, marc, profile, item.identifier, result.identifier
        ):
            # another source record with the same content is not this one: add it (put made no
            # write when it answered unchanged)
            result = store.put(marc, match=(), source=source, oai_identifier=item.identifier)
        report.counts[result.status] += 1
    except Exception as exc:  # noqa: BLE001 - one bad record never aborts its page
        report.reject(item.identifier, f"{type(exc).__name__}: {exc}")


def _matched_by_content_only(
    store: RecordStore, marc: Record, profile: Profile, identifier: str, mms_id: str | None
) -> bool:
    """Returns whether the store matched ``marc`` only by identical content, not by any key.

    The store treats a record loaded again as the same record even without a key in common; two
    distinct records of a source (two OAI identifiers) can crosswalk to identical MARC.
    """
    if mms_id is None:
        return False
    f001 = marc.get("001")
    if "001" in profile.match and f001 is not None and (f001.data or "").strip() == mms_id:
        return False
    keys = matching.match_keys(marc, profile.match, identifier)
    if not keys:
        return False
    rec_id = store.record_id(mms_id)
    clauses = " OR ".join("(method = ? AND key = ?)" for _ in keys)
    shared = store.conn.execute(
        f"SELECT 1 FROM match_keys WHERE record_id = ? AND ({clauses}) LIMIT 1",
        (rec_id, *[v for pair in keys for v in pair]),
    ).fetchone()
    return shared is None


def _delete(store: RecordStore, profile: Profile, identifier: str) -> str:
    """Applies a deletion from the source; returns the outcome to count."""
    if profile.deleted == "ignore":
        return "ignored"
    mms_id = store.find(Record(), match=("oai",), oai_identifier=identifier)
    stored = store.get(mms_id) if mms_id else None
    if stored is None:
        return "ignored"
    if stored.deleted:
        return "unchanged"
    if profile.deleted == "suppress":
        store.delete(stored.identifier)
        return "suppressed"
    marc = stored.marc
    marc.leader = Leader(str(marc.leader)[:5] + "d" + str(marc.leader)[6:])
    return store.put(marc, match=("oai",), oai_identifier=identifier).status
