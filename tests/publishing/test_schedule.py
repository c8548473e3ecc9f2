"""Scheduled publishing: which profiles ``publish run --due`` picks, and the one-run-at-a-time lock."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace

import pytest

from indexer.publishing.profile import PublishProfile
from indexer.publishing.profiles import Profiles
from indexer.publishing.runner import run_profile
from indexer.publishing.runs import LockedError
from indexer.store.run_locks import LOCK_STALE_SECONDS
from tests.conftest import ROOT


def define(store, tmp_path, name: str, interval: int) -> PublishProfile:
    profile = PublishProfile(name=name, output=str(tmp_path / name), interval=interval)
    return Profiles(store).save(profile)


def age_last_run(store, name: str, minutes: float, status: str | None = None) -> None:
    """Moves the start of the profile's last run ``minutes`` into the past (and sets its status)."""
    (run_id,) = store.conn.execute(
        "SELECT MAX(id) FROM publish_runs WHERE profile = ?", (name,)
    ).fetchone()
    started = int(time.time() - minutes * 60)
    store.conn.execute(
        "UPDATE publish_runs SET started = ?, heartbeat = ?, status = COALESCE(?, status)"
        " WHERE id = ?",
        (started, started, status, run_id),
    )


def run_counts(store) -> dict[str, int]:
    rows = store.conn.execute("SELECT profile, COUNT(*) FROM publish_runs GROUP BY profile")
    return dict(rows.fetchall())


def test_due_picks_exactly_the_profiles_whose_interval_has_elapsed(store, runner, tmp_path):
    define(store, tmp_path, "manual", 0)
    for name in ("never", "recent", "old", "failed"):
        define(store, tmp_path, name, 60)
    for name in ("manual", "recent", "old", "failed"):
        run_profile(store, name)
    age_last_run(store, "recent", 59)
    age_last_run(store, "old", 61)
    age_last_run(store, "failed", 1, status="failed")
    profiles = Profiles(store)
    assert [p.name for p in profiles.due(profiles.all())] == ["failed", "never", "old"]
    before = run_counts(store)

    result = runner.invoke(args=["publish", "run", "--due"])
    assert result.exit_code == 0, result.output
    after = run_counts(store)
    ran = {name for name in after if after[name] != before.get(name, 0)}
    assert ran == {"failed", "never", "old"}
    assert "never: full run" in result.output and "old: incremental run" in result.output
    # each just ran: nothing is due now, and a manual profile never is
    assert profiles.due(profiles.all()) == []
    assert "no profile is due" in runner.invoke(args=["publish", "run", "--due"]).output
    assert run_counts(store) == after


def test_list_shows_the_interval_and_the_next_due_time(store, runner, tmp_path):
    define(store, tmp_path, "hourly", 60)
    define(store, tmp_path, "manual", 0)
    define(store, tmp_path, "ran", 90)
    run_profile(store, "ran")
    age_last_run(store, "ran", 30)
    next_due = Profiles(store).next_due(Profiles(store).get("ran"))
    output = runner.invoke(args=["publish", "list"]).output
    lines = output.splitlines()
    schedule = {lines[i].split()[0]: lines[i + 1].strip() for i in range(0, len(lines), 2)}
    assert schedule["hourly"] == "schedule: every 60 min, due now"
    assert schedule["manual"] == "schedule: manual"
    when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(next_due))
    assert schedule["ran"] == f"schedule: every 90 min, next {when} UTC"


def test_run_several_profiles_and_exit_status_1_when_one_fails(store, runner, tmp_path):
    define(store, tmp_path, "a", 0)
    define(store, tmp_path, "b", 0)
    result = runner.invoke(args=["publish", "run", "a", "b"])
    assert result.exit_code == 0, result.output
    assert "a: full run" in result.output and "b: full run" in result.output
    (tmp_path / "blocked").write_text("a file where the output directory should be")
    Profiles(store).save(PublishProfile(name="c", output=str(tmp_path / "blocked" / "c")))
    result = runner.invoke(args=["publish", "run", "c", "a"])
    assert result.exit_code == 1
    assert "c: run failed: cannot create" in result.output and "a: incremental run" in result.output
    assert runner.invoke(args=["publish", "run"]).exit_code == 2
    assert runner.invoke(args=["publish", "run", "nope"]).exit_code == 1


def test_a_running_profile_is_not_run_twice(store, runner, tmp_path):
    profile = define(store, tmp_path, "disc", 60)
    profiles = Profiles(store)
    holder = profiles.start_run(profile, "full", store.last_change())
    with pytest.raises(
        LockedError, match=f"already running \\(run {holder}, process {os.getpid()}"
    ):
        run_profile(store, "disc")
    named = runner.invoke(args=["publish", "run", "disc"])
    assert named.exit_code == 1 and "disc: skipped: " in named.output
    assert "no profile is due" in runner.invoke(args=["publish", "run", "--due"]).output
    # a run that is long but alive (its heartbeat is fresh): due by time, but busy
    store.conn.execute("UPDATE publish_runs SET started = started - 3700 WHERE id = ?", (holder,))
    scheduled = runner.invoke(args=["publish", "run", "--due"])
    assert scheduled.exit_code == 0 and "disc: skipped: " in scheduled.output
    assert [r.status for r in profiles.runs("disc")] == ["running"]
    profiles.finish_run(replace(profiles.runs("disc")[0], status="failed"))
    assert run_profile(store, "disc").status == "done"


def test_stale_locks_are_taken_over(store, tmp_path):
    profile = define(store, tmp_path, "disc", 60)
    profiles = Profiles(store)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    stale = [
        ("this-host-pid-gone", None),  # filled in below: this host, a finished process
        ("elsewhere", LOCK_STALE_SECONDS + 5),  # another host, silent for too long
        ("this-process", None),  # this process, but no live run owns it
    ]
    for holder, silent in stale:
        run_id = profiles.start_run(profile, "full", 0)
        host, pid = {
            "this-host-pid-gone": (socket.gethostname(), gone.pid),
            "elsewhere": ("other-host", 1),
            "this-process": (socket.gethostname(), os.getpid()),
        }[holder]
        beat = int(time.time() - (silent or 0))
        store.conn.execute(
            "UPDATE publish_runs SET host = ?, pid = ?, owner = ?, heartbeat = ? WHERE id = ?",
            (host, pid, holder, beat, run_id),
        )
        assert profiles.next_due(profile) <= time.time()  # a dead run is due again at once
        run = run_profile(store, "disc")
        assert run.status == "done"
        killed = [r for r in profiles.runs("disc") if r.id == run_id][0]
        assert killed.status == "failed" and killed.message.startswith("interrupted: ")
    messages = [r.message for r in profiles.runs("disc") if r.status == "failed"]
    assert f"process {gone.pid} is gone" in messages[-1]
    assert "no sign of life" in messages[-2]
    assert "ended without being recorded" in messages[-3]


HOLDER = """
import pathlib, sys, time
from indexer.publishing.runner import run_profile
from indexer.store.records import RecordStore

def hold(_handled):
    pathlib.Path(sys.argv[2]).write_text("holding")
    time.sleep(60)

run_profile(RecordStore(sys.argv[1]), "disc", progress=hold)
"""


def test_a_second_process_is_refused_until_the_first_is_killed(app, store, runner, tmp_path):
    define(store, tmp_path, "disc", 60)
    ready = tmp_path / "holding"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-c", HOLDER, app.config["DATABASE"], str(ready)]
    holder = subprocess.Popen(args, env=env)
    try:
        deadline = time.monotonic() + 30
        while not ready.exists() and holder.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert ready.exists(), "the holding process did not start its run"
        refused = runner.invoke(args=["publish", "run", "disc"])
        assert refused.exit_code == 1
        assert f"already running (run 1, process {holder.pid}" in refused.output
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    result = runner.invoke(args=["publish", "run", "disc"])
    assert result.exit_code == 0, result.output
    runs = Profiles(store).runs("disc")
    assert [(r.id, r.status) for r in runs] == [(2, "done"), (1, "failed")]
    assert runs[1].message == f"interrupted: process {holder.pid} is gone"
    assert runs[0].mode == "full"  # the killed run never moved the profile on
