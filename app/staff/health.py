"""``/health``: whether this server can serve, for load balancers and monitoring.

One JSON answer, no API key (it holds counts and profile names only):

- ``store``: live records and the change log's last number; the answer is 503 ``unavailable`` when
  the store cannot be opened.
- ``index``: ``current``, ``behind`` (by how many changes: the follower catches up within a second
  or so), ``building`` or ``missing``; a missing index (SRU cannot search) makes the status
  ``degraded``.
- ``harvest`` and ``publish``: the profiles whose last run failed; any makes the status
  ``degraded``.

Status ``ok`` and ``degraded`` answer 200, so a load balancer keeps a server that still serves
OAI-PMH; monitoring reads ``status`` and ``problems``.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify

from app.resources import get_store
from harvester.profiles import Profiles as HarvestProfiles
from indexer.publishing.profiles import Profiles as PublishProfiles
from indexer.search import index
from indexer.store.schema import StoreError

logger = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


@bp.get("/health")
def health() -> Any:
    config = current_app.config
    try:
        last, records, harvest_failed, publish_failed = _store_state()
    except (StoreError, sqlite3.Error) as exc:
        logger.error("health: record store unavailable: %s", exc)
        body = {"status": "unavailable", "problems": [f"record store: {exc}"]}
        return jsonify(body), 503
    problems = []
    state = _index_state(config["INDEX_DIR"], last)
    if state["state"] in ("missing", "building"):
        problems.append(f"search index {state['state']}: SRU cannot search yet")
    problems += [f"harvest profile {name}: last run failed" for name in harvest_failed]
    problems += [f"publishing profile {name}: last run failed" for name in publish_failed]
    return jsonify(
        {
            "status": "degraded" if problems else "ok",
            "problems": problems,
            "store": {"records": records, "last_change": last},
            "index": state,
            "harvest": {"failed": harvest_failed},
            "publish": {"failed": publish_failed},
        }
    )


def _store_state() -> tuple[int, int, list[str], list[str]]:
    """Returns the last change, the live records, and the harvest and publishing profiles whose
    last run failed."""
    store = get_store()  # closed when the request ends
    records = store.conn.execute("SELECT COUNT(*) FROM records WHERE deleted = 0").fetchone()
    harvesting, publishing = HarvestProfiles(store), PublishProfiles(store)
    harvest_failed = [
        p.name
        for p in harvesting.all()
        if [run["status"] for run in harvesting.runs(p.name, limit=1)] == ["failed"]
    ]
    publish_failed = [
        p.name
        for p in publishing.all()
        if [run.status for run in publishing.runs(p.name, 1)] == ["failed"]
    ]
    return store.last_change(), records[0], harvest_failed, publish_failed


def _index_state(index_dir: str, last: int) -> dict[str, Any]:
    seq = index.indexed_seq(index_dir)
    if seq is None or not index.exists(index_dir):
        return {"state": "building" if index.busy(index_dir) else "missing", "seq": None}
    behind = max(last - seq, 0)
    return {"state": "behind" if behind else "current", "seq": seq, "behind": behind}


def init_app(app: Flask) -> None:
    """Registers ``/health``."""
    app.register_blueprint(bp)
