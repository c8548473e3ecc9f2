"""One harvested record into the store, as the profile says: normalize, match, merge, delete."""

from __future__ import annotations

from pymarc import Leader, Record

from harvester.client import HarvestedRecord
from harvester.merge import keep_local_fields
from harvester.normalize import Normalizer
from harvester.profiles import Profile
from harvester.report import HarvestReport
from indexer.store import matching
from indexer.store.records import RecordStore


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
        # two records of a source (two OAI identifiers) can crosswalk to identical MARC: match on
        # content only when the record has no key to match on
        by_content = not matching.match_keys(marc, profile.match, item.identifier)
        if profile.merge != "overlay":
            mms_id = store.find(
                marc, match=profile.match, oai_identifier=item.identifier, same_content=by_content
            )
            stored = store.get(mms_id) if mms_id else None
            if stored is not None and not stored.deleted and profile.merge == "add_only":
                report.counts["unchanged"] += 1
                return
            if stored is not None and profile.merge == "keep_local":
                marc = keep_local_fields(marc, stored.marc, profile.local_fields)
        source = f"harvest:{profile.name}"
        result = store.put(
            marc,
            match=profile.match,
            source=source,
            oai_identifier=item.identifier,
            same_content=by_content,
        )
        report.counts[result.status] += 1
    except Exception as exc:  # noqa: BLE001 - one bad record never aborts its page
        report.reject(item.identifier, f"{type(exc).__name__}: {exc}")


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
