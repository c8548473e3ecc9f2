"""Normalization rules on the OAI-PMH representation, and `pressmark republish` (all, a set, forced)."""

from __future__ import annotations

import pytest

from app import create_app
from app.resources import open_store
from indexer.publishing.republish import republish
from indexer.store.records import StoreError
from tests.oai.protocol import NS, identifier, oai, walk, xpath

RULES = """\
rule "no local notes" when (TRUE) then removeField "5.." end
rule "mark the source" when (TRUE) then addField "999.a.Published by Pressmark" end
"""


def _with_settings(app, **settings):
    """Returns an app over the same store and index with some settings changed."""
    config = {k: app.config[k] for k in ("DATABASE", "INDEX_DIR", "SECRET_KEY")}
    return create_app({"TESTING": True, **config, **settings})


def _with_note(store) -> tuple[str, int]:
    """Returns (MMS ID, datestamp) of a live record whose published marc21 has a 5XX field."""
    for row in store.conn.execute(
        "SELECT r.mms_id, r.datestamp, p.xml FROM records r JOIN published p"
        " ON p.record_id = r.id AND p.prefix = 'marc21' WHERE r.deleted = 0 ORDER BY r.id"
    ):
        if b'tag="5' in row[2] and b'tag="999"' not in row[2]:
            return row[0], row[1]
    raise AssertionError("the samples have no record with a note")


def _marc(client, mms_id: str):
    root = oai(client, verb="GetRecord", identifier=identifier(mms_id), metadataPrefix="marc21")
    (record,) = xpath(root, "//marc:record")
    return root, record


@pytest.fixture
def rules_file(tmp_path):
    path = tmp_path / "oai.rules"
    path.write_text(RULES, encoding="utf-8")
    return path


def test_rules_reach_oai_after_republish(app, store, rules_file):
    mms_id, stamp = _with_note(store)
    _, before = _marc(app.test_client(), mms_id)
    assert before.xpath("marc:datafield[starts-with(@tag, '5')]", namespaces=NS)

    ruled = _with_settings(app, PUBLISH_RULES=str(rules_file))
    result = ruled.test_cli_runner().invoke(args=["republish"])
    assert result.exit_code == 0, result.output
    total = store.stats()["records"]
    assert f"{total} records re-rendered, {total} got a new datestamp" in result.output

    root, after = _marc(ruled.test_client(), mms_id)  # validated against MARC21slim.xsd
    assert not after.xpath("marc:datafield[starts-with(@tag, '5')]", namespaces=NS)
    assert after.xpath("marc:datafield[@tag='999']/marc:subfield[@code='a']/text()", namespaces=NS)
    assert after.xpath("marc:controlfield[@tag='001']/text()", namespaces=NS) == [mms_id]
    (datestamp,) = xpath(root, "//oai:header/oai:datestamp/text()")
    now = store.get(mms_id).datestamp
    assert int(now.timestamp()) > stamp
    assert datestamp == now.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_dc_is_derived_from_the_normalized_record(app, store, tmp_path):
    rules = tmp_path / "no-subjects.rules"
    rules.write_text(
        'rule "no subjects" when (TRUE) then\n'
        'removeField "6.." removeField "05." removeField "06." removeField "08." end\n',
        encoding="utf-8",
    )
    row = store.conn.execute(
        "SELECT r.mms_id FROM records r JOIN published p ON p.record_id = r.id"
        " WHERE p.prefix = 'oai_dc' AND instr(p.xml, CAST('dc:subject' AS BLOB)) AND r.deleted = 0"
        " LIMIT 1"
    ).fetchone()
    ruled = _with_settings(app, PUBLISH_RULES=str(rules))
    assert ruled.test_cli_runner().invoke(args=["republish"]).exit_code == 0
    root = oai(
        ruled.test_client(),
        verb="GetRecord",
        identifier=identifier(row[0]),
        metadataPrefix="oai_dc",
    )
    assert xpath(root, "//dc:title")
    assert not xpath(root, "//dc:subject")


def test_incremental_harvest_receives_the_republished_records(app, store, rules_file):
    before = oai(app.test_client(), verb="Identify")
    (since,) = xpath(before, "oai:responseDate/text()")
    ruled = _with_settings(app, PUBLISH_RULES=str(rules_file))
    with open_store(ruled.config) as ruled_store:
        report = republish(ruled_store)
    assert report.bumped == report.rendered == store.stats()["records"]
    pages = walk(ruled.test_client(), "ListIdentifiers", metadataPrefix="marc21", **{"from": since})
    harvested = {
        h.findtext("oai:identifier", namespaces=NS)
        for page in pages
        for h in xpath(page, "//oai:header[not(@status)]")
    }
    live = store.conn.execute("SELECT mms_id FROM records WHERE deleted = 0").fetchall()
    assert harvested == {identifier(m) for (m,) in live}


def test_republish_without_a_change_bumps_and_logs_nothing(store):
    seq = store.last_change()
    report = republish(store)
    assert report.rendered == store.stats()["records"]
    assert report.bumped == 0
    assert store.last_change() == seq


def test_republish_a_set_with_force_bumps_exactly_its_members(store, runner):
    members = [r[0] for r in store.conn.execute("SELECT mms_id FROM records LIMIT 5 OFFSET 10")]
    store.define_set("pilot", "Pilot set")
    store.set_members("pilot", members)
    seq = store.last_change()

    result = runner.invoke(args=["republish", "--set", "pilot", "--force"])
    assert result.exit_code == 0, result.output
    assert "5 records of set pilot re-rendered, 5 got a new datestamp" in result.output
    changed = store.changes_since(seq)
    assert sorted(m for _, m, _ in changed) == sorted(members)
    assert {kind for _, _, kind in changed} == {"republish"}


def test_unknown_set_is_a_clear_error(runner):
    result = runner.invoke(args=["republish", "--set", "no-such-set"])
    assert result.exit_code == 1
    assert "no set 'no-such-set'" in result.output
    assert "Traceback" not in result.output


def test_rules_with_a_syntax_error_stop_the_service_clearly(app, tmp_path):
    bad = tmp_path / "bad.rules"
    bad.write_text('rule "x" when (TRUE) then removeFeld "9.." end\n', encoding="utf-8")
    ruled = _with_settings(app, PUBLISH_RULES=str(bad))

    result = ruled.test_cli_runner().invoke(args=["republish"])
    assert result.exit_code == 1
    assert "PUBLISH_RULES" in result.output and "line 1" in result.output
    assert "Traceback" not in result.output

    response = ruled.test_client().get("/oai?verb=Identify")
    assert response.status_code == 503


def test_missing_rule_file_is_a_clear_error(app, tmp_path):
    missing = tmp_path / "absent.rules"
    ruled = _with_settings(app, PUBLISH_RULES=str(missing))
    with pytest.raises(StoreError, match="cannot read"):
        open_store(ruled.config)


def test_republish_a_profile_is_a_full_run_with_its_current_rules(runner, tmp_path):
    out = tmp_path / "out"
    args = ["publish", "define", "disc", "-o", str(out), "--no-compress"]
    assert runner.invoke(args=args).exit_code == 0
    assert runner.invoke(args=["publish", "run", "disc"]).exit_code == 0
    rules = tmp_path / "p.rules"
    rules.write_text('rule "mark" when (TRUE) then addField "999.a.republished" end\n')
    assert runner.invoke(args=[*args, "--rules", str(rules)]).exit_code == 0

    result = runner.invoke(args=["republish", "--profile", "disc"])
    assert result.exit_code == 0, result.output
    assert "disc: full run 2: 256 records" in result.output
    newest = sorted(out.glob("*.xml"), key=lambda p: p.stat().st_mtime_ns)[-1]
    assert newest.read_bytes().count(b"republished") == 256

    both = runner.invoke(args=["republish", "--profile", "disc", "--set", "x"])
    assert both.exit_code == 2 and "drop --set" in both.output
    unknown = runner.invoke(args=["republish", "--profile", "nope"])
    assert unknown.exit_code == 1 and "no publishing profile 'nope'" in unknown.output
