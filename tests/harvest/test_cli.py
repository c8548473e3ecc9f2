"""``pressmark harvest``: profiles and runs from the command line."""

from __future__ import annotations

import json


def test_profile_add_list_show_update_remove(runner):
    added = runner.invoke(
        args=["harvest", "profile", "add", "loc", "https://example.org/oai", "--set", "books"]
        + ["--match", "isbn,oai", "--merge", "keep_local", "--local-fields", "9..,59."]
    )
    assert added.exit_code == 0, added.output
    shown = json.loads(runner.invoke(args=["harvest", "profile", "show", "loc"]).output)
    assert shown["set_spec"] == "books"
    assert shown["match"] == ["isbn", "oai"]
    assert shown["local_fields"] == ["9..", "59."]
    updated = runner.invoke(args=["harvest", "profile", "update", "loc", "--deleted", "ignore"])
    assert updated.exit_code == 0, updated.output
    listed = runner.invoke(args=["harvest", "profile", "list"])
    assert "loc" in listed.output
    assert "never run" in listed.output
    assert runner.invoke(args=["harvest", "profile", "remove", "loc"]).exit_code == 0
    gone = runner.invoke(args=["harvest", "profile", "show", "loc"])
    assert gone.exit_code == 1
    assert "no profile named 'loc'" in gone.output


def test_bad_profile_settings_are_clear_errors(runner):
    result = runner.invoke(
        args=["harvest", "profile", "add", "x", "example.org", "--match", "lccn"]
    )
    assert result.exit_code == 1
    assert "base_url" in result.output
    result = runner.invoke(
        args=["harvest", "profile", "add", "x", "http://example.org", "--match", "lccn"]
    )
    assert "unknown match method 'lccn'" in result.output


def test_run_prints_the_report_and_runs_lists_it(runner, recorded):
    runner.invoke(args=["harvest", "profile", "add", "alma", recorded.url])
    result = runner.invoke(args=["harvest", "run", "alma"])
    assert result.exit_code == 0, result.output
    assert "done; 2 pages, 3 new" in result.output
    assert "rejected oai:alma.01EXAMPLE_INST:991000000030101: ValueError: leader" in result.output
    history = runner.invoke(args=["harvest", "runs", "alma", "--json"])
    reports = json.loads(history.output)
    assert reports[0]["counts"]["new"] == 3
    assert reports[0]["status"] == "done"
    again = runner.invoke(args=["harvest", "run", "alma"])
    assert "(incremental)" in again.output
    assert "3 unchanged" in again.output


def test_failed_run_exits_with_1(runner):
    runner.invoke(args=["harvest", "profile", "add", "dead", "http://127.0.0.1:9/oai"])
    runner.app.config.update(HARVEST_MAX_RETRIES=0, HARVEST_TIMEOUT=2)
    result = runner.invoke(args=["harvest", "run", "dead"])
    assert result.exit_code == 1
    assert "failed" in result.output
    assert "cannot reach http://127.0.0.1:9/oai" in result.output


def test_run_due_runs_only_scheduled_profiles(runner, recorded):
    runner.invoke(args=["harvest", "profile", "add", "sched", recorded.url, "--interval", "60"])
    runner.invoke(args=["harvest", "profile", "add", "manual", recorded.url])
    result = runner.invoke(args=["harvest", "run", "--due"])
    assert result.exit_code == 0, result.output
    assert result.output.count("done;") == 1
    # just ran: not due again for an hour
    assert "done;" not in runner.invoke(args=["harvest", "run", "--due"]).output


def test_run_due_leaves_a_profile_being_harvested_to_its_run(runner, recorded):
    """From cron: a long harvest of one profile neither fails the run nor holds up the others."""
    from app.resources import open_store
    from harvester.profiles import Profiles

    for name in ("a_busy", "b_free"):
        runner.invoke(args=["harvest", "profile", "add", name, recorded.url, "--interval", "10"])
    with open_store(runner.app.config) as store:
        profiles = Profiles(store)
        owner = profiles.acquire("a_busy")  # a live run of this process holds the lock
        try:
            result = runner.invoke(args=["harvest", "run", "--due"])
            assert result.exit_code == 0, result.output
            assert result.output.count("done;") == 1 and "b_free" in result.output
            assert "a_busy" not in result.output  # not due while its run is alive
            assert profiles.runs("a_busy") == []
            named = runner.invoke(args=["harvest", "run", "a_busy"])
            assert named.exit_code == 1 and "is being harvested" in named.output
        finally:
            profiles.release("a_busy", owner)
    result = runner.invoke(args=["harvest", "run", "--due"])
    assert result.exit_code == 0 and result.output.count("done;") == 1 and "a_busy" in result.output
