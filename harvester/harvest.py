"""Harvest runs: pages from a remote OAI-PMH repository into the record store, with a report.

A run takes the profile's lock, then resumes the profile's unfinished run if there is one, else
starts a full run (the first, or when asked) or an incremental one (``from`` = the responseDate of
the last successful run, in the granularity the source's Identify gives). Each page's records and
the run's checkpoint (next resumption token, counts) are written in one transaction.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from harvester.client import (
    ClientOptions,
    HarvestError,
    OAIClient,
    Page,
    ProtocolError,
)
from harvester.normalize import Normalizer, RulesError, load_rules
from harvester.profiles import Profile, Profiles
from harvester.records import apply_record
from harvester.report import HarvestReport, report_from_run
from indexer.store.records import RecordStore

logger = logging.getLogger(__name__)

#: How many times a run starts its list again after the source rejects a resumption token.
MAX_LIST_RESTARTS = 2


def to_granularity(datestamp: str, granularity: str | None) -> str:
    """Returns a UTC datestamp in the granularity a repository declares (day or second)."""
    if granularity and "hh" not in granularity:
        return datestamp[:10]
    return datestamp


def harvest(
    store: RecordStore,
    profile: Profile,
    *,
    full: bool = False,
    options: ClientOptions | None = None,
    normalize: Normalizer | None = None,
    progress: Callable[[HarvestReport], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> HarvestReport:
    """Runs (or resumes) a harvest of ``profile`` into ``store`` and returns its report.

    ``normalize`` is the normalization hook: a callable applied to each incoming record before it is
    matched and stored (None drops the record). Without it, the profile's ``rules`` are compiled
    with :func:`harvester.normalize.load_rules`. ``progress`` is called after each stored page;
    ``on_start`` with the run id once the run exists.

    Raises:
        LockedError: another run of this profile is in progress.
    """
    profiles = Profiles(store)
    owner = profiles.acquire(profile.name)
    try:
        return _run(store, profiles, owner, profile, full, options, normalize, progress, on_start)
    finally:
        profiles.release(profile.name, owner)


def _run(
    store: RecordStore,
    profiles: Profiles,
    owner: str,
    profile: Profile,
    full: bool,
    options: ClientOptions | None,
    normalize: Normalizer | None,
    progress: Callable[[HarvestReport], None] | None,
    on_start: Callable[[int], None] | None,
) -> HarvestReport:
    started = time.monotonic()
    client = OAIClient(profile.base_url, options)
    unfinished = profiles.unfinished_run(profile.name)
    if unfinished and (not full or unfinished["mode"] == "full"):
        report = report_from_run(unfinished)
        report.resumed = True
        last = None
        token: str | None = unfinished["token"]
        with store.batch():
            store.conn.execute(
                "UPDATE harvest_runs SET status = 'running', attempts = attempts + 1,"
                " finished = NULL WHERE id = ?",
                (report.run_id,),
            )
        logger.info("resuming run %d of %s at page %d", report.run_id, profile.name, report.pages)
    else:
        report = HarvestReport(profile=profile.name)
        token = None
        last = None if full else profiles.last_success(profile.name)
        report.mode = "incremental" if last else "full"
        report.run_id = profiles.create_run(profile.name, report.mode, None)
    profiles.attach(profile.name, owner, report.run_id)
    if on_start:
        on_start(report.run_id)
    base_seconds = report.seconds
    try:
        if last and not token:
            try:
                granularity = client.identify().get("granularity")
            except HarvestError as exc:
                granularity = None
                report.errors.append(f"Identify failed ({exc}); using day granularity")
            report.from_date = to_granularity(last["response_date"], granularity or "YYYY-MM-DD")
            profiles.finish(report.run_id, from_date=report.from_date)
        if normalize is None and profile.rules:
            normalize = load_rules(profile.rules)
        _pages(store, profiles, client, profile, report, token, normalize, progress, started)
    except (HarvestError, RulesError) as exc:
        report.status = "failed"
        report.errors.append(str(exc))
        logger.error("harvest of %s failed: %s", profile.name, exc)
    except BaseException as exc:
        report.status = "failed"
        report.errors.append(f"interrupted: {type(exc).__name__}: {exc}")
        raise
    finally:
        client.close()
        report.retries += client.retries
        report.seconds = base_seconds + time.monotonic() - started
        profiles.finish(
            report.run_id,
            status=report.status,
            finished=time.time(),
            seconds=report.seconds,
            errors=report.errors,
        )
    logger.info("harvest of %s: %s", profile.name, report.summary())
    return report


def _pages(
    store: RecordStore,
    profiles: Profiles,
    client: OAIClient,
    profile: Profile,
    report: HarvestReport,
    token: str | None,
    normalize: Normalizer | None,
    progress: Callable[[HarvestReport], None] | None,
    started: float,
) -> None:
    base_seconds = report.seconds
    restarts = 0

    def fetch(resumption_token: str | None) -> Page:
        return client.list_records(
            metadata_prefix=profile.metadata_prefix,
            from_=report.from_date,
            set_=profile.set_spec,
            resumption_token=resumption_token,
        )

    # the next page is fetched while this one is stored; only stored pages are checkpointed
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"harvest-{profile.name}")
    try:
        pending: Future[Page] = pool.submit(fetch, token)
        while True:
            try:
                page = pending.result()
            except ProtocolError as exc:
                if exc.code != "badResumptionToken" or not token or restarts >= MAX_LIST_RESTARTS:
                    raise
                restarts += 1
                report.errors.append(f"{exc}; the list was started again from its first page")
                logger.warning("%s: %s; starting the list again", profile.name, exc)
                token = None
                pending = pool.submit(fetch, None)
                continue
            if page.token:
                pending = pool.submit(fetch, page.token)
            report.seconds = base_seconds + time.monotonic() - started
            _store_page(store, profiles, profile, report, page, normalize)
            token = page.token
            if progress:
                progress(report)
            if not token:
                return
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _store_page(
    store: RecordStore,
    profiles: Profiles,
    profile: Profile,
    report: HarvestReport,
    page: Page,
    normalize: Normalizer | None,
) -> None:
    """Stores a page's records and the run's checkpoint in one transaction."""
    with store.batch():
        for item in page.records:
            apply_record(store, profile, item, report, normalize)
        for identifier, reason in page.rejected:
            report.reject(identifier, reason)
        report.pages += 1
        report.response_date = report.response_date or page.response_date
        report.cursor = page.cursor
        report.complete_list_size = page.complete_list_size or report.complete_list_size
        if not page.token:
            report.status = "done"
        profiles.checkpoint(
            report.run_id,
            token=page.token,
            pages=report.pages,
            cursor=report.cursor,
            complete_list_size=report.complete_list_size,
            response_date=report.response_date,
            counts=dict(report.counts),
            rejections=report.rejections,
            errors=report.errors,
            seconds=report.seconds,
            status=report.status,
        )
