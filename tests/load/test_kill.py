"""A load killed with SIGKILL leaves a consistent store, and running it again converges."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from indexer.load.records import BATCH_SIZE, load_file
from indexer.marc.marcxml import record_from_xml
from indexer.store.records import RecordStore
from tests.conftest import ROOT, corpus_file

LOADER = """
import sys
from indexer.load.records import load_file
from indexer.store.records import RecordStore
store = RecordStore(sys.argv[1], create=True)
load_file(store, sys.argv[2])
"""


def _count(db) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _state(db) -> list[tuple[str, str, int]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT mms_id, digest, deleted FROM records ORDER BY id").fetchall()


@pytest.mark.corpus
def test_kill_during_load_leaves_whole_records_and_a_rerun_converges(tmp_path):
    source = corpus_file("real/folio-mod-data-import/5000.mrc")
    db = tmp_path / "killed.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", LOADER, str(db), str(source)], env=env)
    deadline = time.monotonic() + 60
    while _count(db) < 2 * BATCH_SIZE and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = _count(db)
    assert 0 < killed_at < 5000, "the load should have been killed midway"

    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute("SELECT id, marcxml, digest FROM records").fetchall()
        assert len(rows) % BATCH_SIZE == 0  # a batch is one transaction: all of it or none
        for rec_id, xml, digest in rows:
            assert hashlib.sha1(xml).hexdigest() == digest
            record_from_xml(xml)
            assert (
                conn.execute(
                    "SELECT COUNT(*) FROM published WHERE record_id = ?", (rec_id,)
                ).fetchone()[0]
                >= 1
            )
        assert conn.execute("SELECT COUNT(*) FROM changes").fetchone()[0] == len(rows)

    store = RecordStore(db)
    report = load_file(store, source)
    store.close()
    assert report.counts["unchanged"] == killed_at
    clean = tmp_path / "clean.db"
    store = RecordStore(clean, create=True)
    load_file(store, source)
    store.close()
    assert _state(db) == _state(clean)
