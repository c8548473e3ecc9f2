"""The pressmark command line: init, load, inventory, item, export, stats, republish, errors."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from lxml import etree

from app import create_app
from app.resources import open_store
from indexer.marc.marcxml import MARC_NS
from tests.conftest import SAMPLES


def fresh_runner(tmp_path):
    app = create_app(
        {"TESTING": True, "DATABASE": str(tmp_path / "p.db"), "INDEX_DIR": str(tmp_path / "index")}
    )
    return app.test_cli_runner()


def test_init_creates_the_store_and_loads_the_samples(tmp_path):
    runner = fresh_runner(tmp_path)
    result = runner.invoke(args=["init"])
    assert result.exit_code == 0, result.output
    assert "6 rejected" in result.output
    assert "rejected 10_broken_records.mrc: record 4 (byte 381)" in result.output
    assert "180 items" in result.output
    again = runner.invoke(args=["init"])
    assert again.exit_code == 0 and " 0 new" in again.output


def test_load_reports_counts(runner, tmp_path):
    result = runner.invoke(args=["load", str(SAMPLES / "04_marc8_lc.mrc")])
    assert result.exit_code == 0, result.output
    assert "20 records read" in result.output and "20 unchanged" in result.output


def test_load_with_match_none_adds_copies(runner):
    result = runner.invoke(args=["load", "--match", "none", str(SAMPLES / "04_marc8_lc.mrc")])
    assert "20 new" in result.output


def test_load_with_rules_normalizes_each_record_before_it_is_stored(tmp_path):
    runner = fresh_runner(tmp_path)
    open_store(runner.app.config, create=True).close()
    rules = tmp_path / "import.rules"
    rules.write_text(
        'rule "tag the load" when (TRUE) then addField "999.a.vendor load" end\n'
        'rule "no notes" when (exists "500") then removeField "500" end\n',
        encoding="utf-8",
    )
    result = runner.invoke(args=["load", "--rules", str(rules), str(SAMPLES / "04_marc8_lc.mrc")])
    assert result.exit_code == 0, result.output
    assert "20 new" in result.output
    with open_store(runner.app.config) as store:
        records = [r.marc for r in store.iter_records()]
    assert len(records) == 20
    assert all(r.get("999")["a"] == "vendor load" for r in records)
    assert not any(r.get_fields("500") for r in records)


def test_load_with_a_bad_rule_file_stores_nothing(tmp_path):
    runner = fresh_runner(tmp_path)
    open_store(runner.app.config, create=True).close()
    rules = tmp_path / "bad.rules"
    rules.write_text('rule "x" when (TRUE) then addFeld "999.a.x" end\n', encoding="utf-8")
    result = runner.invoke(args=["load", "--rules", str(rules), str(SAMPLES / "04_marc8_lc.mrc")])
    assert result.exit_code == 1
    assert "line 1, column" in result.output and "Traceback" not in result.output
    with open_store(runner.app.config) as store:
        assert store.stats()["records"] == 0


def test_files_that_are_not_utf8_text_are_clear_errors(runner, tmp_path):
    """A rule file or a list of ids in another encoding: one line naming the file and the byte."""
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes(
        'rule "Catalogu\xe9" when (TRUE) then removeField "500" end\n'.encode("latin-1")
    )
    for args in (
        ["load", "--rules", str(latin1), str(SAMPLES / "04_marc8_lc.mrc")],
        ["publish", "define", "p", "-o", str(tmp_path / "out"), "--rules", str(latin1)],
        ["sets", "add", "s", "--ids", str(latin1)],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 1, args
        assert f"{latin1} is not UTF-8 text (byte 14)" in result.output, args
        assert "Traceback" not in result.output
    args = ["harvest", "profile", "add", "h", "http://127.0.0.1:9/oai", "--rules", str(latin1)]
    result = runner.invoke(args=args)
    assert result.exit_code == 1 and "not UTF-8 text (byte 14)" in result.output
    runner.app.config["PUBLISH_RULES"] = str(latin1)
    result = runner.invoke(args=["stats"])
    assert result.exit_code == 1
    assert f"PUBLISH_RULES: cannot read {latin1}: not UTF-8 text (byte 14)" in result.output


def test_missing_file_is_a_clear_error(runner, tmp_path):
    result = runner.invoke(args=["load", str(tmp_path / "nope.mrc")])
    assert result.exit_code == 1
    assert "no such file" in result.output and "Traceback" not in result.output


def test_unknown_match_method_is_a_usage_error(runner):
    result = runner.invoke(args=["load", "--match", "001,title", str(SAMPLES / "04_marc8_lc.mrc")])
    assert result.exit_code == 2 and "unknown match method 'title'" in result.output


def test_commands_without_a_store_say_to_run_init(tmp_path):
    result = fresh_runner(tmp_path).invoke(args=["stats"])
    assert result.exit_code == 1 and "pressmark init" in result.output


def test_corrupt_database_is_a_clear_error(tmp_path):
    (tmp_path / "p.db").write_bytes(b"garbage" * 1000)
    result = fresh_runner(tmp_path).invoke(args=["load", str(SAMPLES / "04_marc8_lc.mrc")])
    assert result.exit_code == 1 and "corrupt" in result.output
    assert "Traceback" not in result.output


def test_stats_and_export(runner, tmp_path):
    stats = runner.invoke(args=["stats"])
    assert "deleted              2" in stats.output
    out = tmp_path / "export.xml"
    result = runner.invoke(args=["export", "-o", str(out), "--include-deleted"])
    assert result.exit_code == 0, result.output
    tree = etree.parse(str(out))
    records = tree.findall(f"{{{MARC_NS}}}record")
    deleted = [r for r in records if r.findtext(f"{{{MARC_NS}}}leader")[5] == "d"]
    assert len(deleted) == 2 and len(records) == 258
    binary = tmp_path / "export.mrc"
    result = runner.invoke(args=["export", "--format", "marc", "-o", str(binary)])
    assert result.exit_code == 0 and binary.read_bytes().count(b"\x1d") == 256


def test_item_status_change_and_unknown_item(runner):
    result = runner.invoke(args=["item", "39000001", "available"])
    assert result.exit_code == 0 and "is available" in result.output
    bad = runner.invoke(args=["item", "NOPE", "loaned"])
    assert bad.exit_code == 1 and "no item NOPE" in bad.output


def test_inventory_file_with_bad_rows_reports_them(runner, tmp_path):
    csv_file = tmp_path / "inv.csv"
    csv_file.write_text(
        "kind,record,library_code,barcode,status\n"
        "item,(OCoLC)13810341,MAIN,NEW-1,available\n"
        "item,no-such-record,MAIN,NEW-2,available\n"
        "item,(OCoLC)13810341,MAIN,NEW-3,stolen\n"
    )
    result = runner.invoke(args=["inventory", str(csv_file)])
    assert result.exit_code == 0, result.output
    assert "1 items" in result.output and "2 rejected" in result.output
    assert "line 3: no record matches 'no-such-record'" in result.output
    assert "line 4: item status must be one of" in result.output


def test_republish_reports_counts(runner):
    result = runner.invoke(args=["republish"])
    assert result.exit_code == 0, result.output
    assert "256 records re-rendered" in result.output


def test_serve_answers_http(app, tmp_path):
    """`pressmark serve` really serves (Flask ignores app.run() under its CLI)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "PRESSMARK_DATABASE": app.config["DATABASE"],
        "PRESSMARK_INDEX_DIR": str(tmp_path / "index"),
    }
    script = Path(sys.executable).parent / "pressmark"
    proc = subprocess.Popen(
        [str(script), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline, body = time.monotonic() + 20, b""
        while time.monotonic() < deadline and not body:
            try:
                url = f"http://127.0.0.1:{port}/oai?verb=Identify"
                body = urllib.request.urlopen(url, timeout=2).read()
            except OSError:
                time.sleep(0.2)
        assert b"<repositoryName>" in body
    finally:
        proc.terminate()
        proc.wait(timeout=10)
