"""File publishing profiles: normalization rules applied, full and incremental runs, formats, CLI."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from lxml import etree
from pymarc import MARCReader

from indexer.marc.marcxml import MARC_NS, SAFE_PARSER
from indexer.marc.published import PublishOptions
from indexer.publishing.profile import ProfileError, PublishProfile
from indexer.publishing.profiles import Profiles
from indexer.publishing.republish import republish
from indexer.publishing.runner import run_profile
from indexer.rules import compile_rules
from indexer.store.records import RecordStore
from tests.conftest import TESTS

MARC_SCHEMA = etree.XMLSchema(etree.parse(str(TESTS / "schemas" / "MARC21slim.xsd")))
NS = {"marc": MARC_NS}
RULES = """
rule "no local fields" salience 10 when (TRUE) then removeField "9.." end
rule "mark" when exists "245" then addField "590.a.Published by Pressmark" end
"""


def profile(tmp_path: Path, **settings) -> PublishProfile:
    return PublishProfile(name="disc", output=str(tmp_path / "out"), **settings)


def members(run) -> dict[str, list[bytes]]:
    """Returns the files of a run (unpacking a .tar.gz) as name -> content."""
    found = {}
    for name in run.files:
        path = Path(name)
        if path.suffixes[-2:] == [".tar", ".gz"]:
            with tarfile.open(path) as tar:
                for member in tar.getmembers():
                    found[member.name] = tar.extractfile(member).read()
        else:
            found[path.name] = path.read_bytes()
    return found


def marc_records(run) -> list[etree._Element]:
    records = []
    for content in members(run).values():
        root = etree.fromstring(content, SAFE_PARSER)
        for record in root.xpath("marc:record", namespaces=NS):
            records.append(record)
    return records


def field(record: etree._Element, tag: str) -> list[str]:
    return record.xpath(
        f"marc:datafield[@tag='{tag}']/marc:subfield/text()"
        f" | marc:controlfield[@tag='{tag}']/text()",
        namespaces=NS,
    )


def test_saving_a_profile_validates_its_rules(store, tmp_path) -> None:
    bad = profile(tmp_path, rules='rule "x" when TRUE then removeFeld "9.." end')
    with pytest.raises(ProfileError, match="line 1, column 25"):
        Profiles(store).save(bad)
    with pytest.raises(ProfileError, match="format"):
        Profiles(store).save(profile(tmp_path, format="pdf"))
    with pytest.raises(ProfileError, match="selection"):
        Profiles(store).save(profile(tmp_path, selection="everything"))
    assert Profiles(store).all() == []


def test_full_run_applies_enrichment_and_rules(store, tmp_path) -> None:
    Profiles(store).save(profile(tmp_path, rules=RULES, availability=True))
    run = run_profile(store, "disc")
    assert (run.mode, run.status) == ("full", "done")
    assert len(run.files) == 1 and run.files[0].endswith(".tar.gz")
    records = marc_records(run)
    assert len(records) == run.records == store.stats()["records"]
    loaned = store.inventory.item("39000001")
    assert loaned is not None
    for record in records:
        MARC_SCHEMA.assertValid(record)
        assert "Published by Pressmark" in field(record, "590")
        assert not record.xpath("marc:datafield[starts-with(@tag, '9')]", namespaces=NS)
    ids = {field(r, "001")[0] for r in records}
    assert ids == {s.identifier for s in store.iter_records()}
    assert any(record.xpath("marc:datafield[@tag='AVA']", namespaces=NS) for record in records)


def test_incremental_run_has_exactly_the_changed_and_deleted_records(store, tmp_path) -> None:
    Profiles(store).save(profile(tmp_path, availability=True, compress=False))
    assert run_profile(store, "disc").mode == "full"
    loaned = store.inventory.set_item_status("39000002", "loaned")
    live = [s.identifier for s in store.iter_records()]
    gone = live[5]
    assert store.delete(gone)
    run = run_profile(store, "disc")
    assert (run.mode, run.records, run.deleted) == ("incremental", 1, 1)
    records = marc_records(run)
    by_id = {field(r, "001")[0]: r for r in records}
    assert set(by_id) == {loaned, gone}
    assert by_id[gone].findtext("marc:leader", namespaces=NS)[5] == "d"
    assert by_id[loaned].findtext("marc:leader", namespaces=NS)[5] != "d"
    again = run_profile(store, "disc")
    assert (again.records, again.deleted, again.files) == (0, 0, [])
    history = Profiles(store).runs("disc")
    assert [r.mode for r in history] == ["incremental", "incremental", "full"]
    assert all(r.status == "done" for r in history)


def test_files_are_split_by_size(store, tmp_path) -> None:
    Profiles(store).save(profile(tmp_path, max_file_bytes=20_000, compress=False))
    run = run_profile(store, "disc")
    assert len(run.files) > 3
    total = 0
    for path in run.files:
        content = Path(path).read_bytes()
        assert len(content) <= 20_000 or content.count(b"<marc:record") == 1
        total += content.count(b"<marc:record ")
    assert total == run.records


def test_binary_marc_and_oai_dc(store, tmp_path) -> None:
    profiles = Profiles(store)
    profiles.save(profile(tmp_path, format="marc", compress=False, rules=RULES))
    run = run_profile(store, "disc")
    data = b"".join(members(run).values())
    records = [r for r in MARCReader(io.BytesIO(data), to_unicode=True, force_utf8=True) if r]
    assert len(records) + run.skipped == store.stats()["records"]
    assert all("Published by Pressmark" in r.get_fields("590")[-1].value() for r in records)
    profiles.save(
        PublishProfile(name="dc", output=str(tmp_path / "dc"), format="oai_dc", compress=False)
    )
    dc = run_profile(store, "dc")
    root = etree.fromstring(members(dc)[Path(dc.files[0]).name], SAFE_PARSER)
    assert root.tag == "records"
    assert len(root) == dc.records == store.stats()["records"]


def test_set_selection_reports_records_that_leave_the_set(store, tmp_path) -> None:
    live = [s.identifier for s in store.iter_records()]
    store.define_set("music", "Music")
    store.set_members("music", live[:4])
    Profiles(store).save(profile(tmp_path, selection="set:music", compress=False))
    full = run_profile(store, "disc")
    assert {field(r, "001")[0] for r in marc_records(full)} == set(live[:4])
    store.set_members("music", live[:3])
    run = run_profile(store, "disc")
    assert (run.records, run.deleted) == (0, 1)
    assert field(marc_records(run)[0], "001") == [live[3]]


def test_publish_cli_define_run_history(runner, tmp_path) -> None:
    rules = tmp_path / "local.rules"
    rules.write_text(RULES, encoding="utf-8")
    out = tmp_path / "exports"
    result = runner.invoke(
        args=["publish", "define", "disc", "-o", str(out), "--rules", str(rules), "--availability"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["publish", "run", "disc"])
    assert result.exit_code == 0, result.output
    assert "full run" in result.output
    assert list(out.glob("disc_*_full.tar.gz"))
    result = runner.invoke(args=["publish", "run", "disc"])
    assert "incremental run" in result.output and "0 records" in result.output
    assert "disc" in runner.invoke(args=["publish", "list"]).output
    assert "done" in runner.invoke(args=["publish", "history", "disc"]).output
    rules.write_text('rule "x" when TRUE then frob end', encoding="utf-8")
    bad = runner.invoke(args=["publish", "define", "disc", "-o", str(out), "--rules", str(rules)])
    assert bad.exit_code != 0
    assert "line 1, column 25" in bad.output
    assert runner.invoke(args=["publish", "run", "nope"]).exit_code != 0


def test_a_file_profile_does_not_inherit_the_oai_publishing_rules(store, tmp_path) -> None:
    oai_rules = compile_rules(
        'rule "oai only" when exists "245" then addField "599.a.OAI only" end'
    )
    with RecordStore(store.path, publish=PublishOptions(rules=oai_rules)) as ruled:
        republish(ruled)
        mms_id = next(ruled.iter_records()).identifier
        assert b"OAI only" in ruled.published(mms_id, "marc21")
        Profiles(ruled).save(profile(tmp_path, compress=False))
        run = run_profile(ruled, "disc")
    records = marc_records(run)
    assert len(records) == run.records > 0
    assert not any(field(record, "599") for record in records)
