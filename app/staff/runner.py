"""Harvest runs started by staff: each in a background thread with its own store connection."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Mapping
from typing import Any

from app.resources import open_store
from harvester.client import ClientOptions
from harvester.harvest import harvest
from harvester.profiles import Profiles

logger = logging.getLogger(__name__)

#: Seconds a request waits for a background run to exist (lock taken, run row written).
START_TIMEOUT = 30.0


def client_options(config: Mapping[str, Any]) -> ClientOptions:
    """Returns the harvester's network limits from the HARVEST_* settings."""
    return ClientOptions(
        timeout=float(config["HARVEST_TIMEOUT"]),
        max_retries=int(config["HARVEST_MAX_RETRIES"]),
        backoff=float(config["HARVEST_BACKOFF"]),
        max_retry_after=float(config["HARVEST_MAX_RETRY_AFTER"]),
        max_response_bytes=int(config["HARVEST_MAX_RESPONSE_BYTES"]),
        max_response_seconds=float(config["HARVEST_MAX_RESPONSE_SECONDS"]),
        max_record_bytes=int(config["HARVEST_MAX_RECORD_BYTES"]),
    )


def start_run(config: Mapping[str, Any], name: str, *, full: bool = False) -> int | None:
    """Starts a run of profile ``name`` in a background thread and returns its run id.

    Returns None when the run has not started after ``START_TIMEOUT`` (the database is busy).

    Raises:
        ProfileError: no such profile.
        LockedError: a run of the profile is in progress.
        StoreError: the store cannot be opened.
    """
    config = dict(config)
    started: queue.Queue[int | BaseException] = queue.Queue()

    def work() -> None:
        try:
            store = open_store(config)
        except Exception as exc:  # noqa: BLE001 - handed to the request that started us
            started.put(exc)
            return
        try:
            profile = Profiles(store).get(name)
            report = harvest(
                store, profile, full=full, options=client_options(config), on_start=started.put
            )
            logger.info("staff harvest of %s: %s", name, report.summary())
        except Exception as exc:  # noqa: BLE001 - a thread has nobody else to tell
            started.put(exc)
            logger.exception("staff harvest of %s failed", name)
        finally:
            store.close()

    thread = threading.Thread(target=work, name=f"harvest-{name}", daemon=True)
    thread.start()
    try:
        result = started.get(timeout=START_TIMEOUT)
    except queue.Empty:
        logger.warning("run of %s did not start within %s s", name, START_TIMEOUT)
        return None
    if isinstance(result, BaseException):
        raise result
    return result
