"""``pressmark sets``: sets by list of ids or CQL query, seen through ListSets and set harvests."""

from __future__ import annotations

import pytest
from pymarc import Field, Record, Subfield

from indexer.marc.marcxml import record_to_xml
from indexer.search.queries import search_ids
from tests.oai.protocol import error_code, identifier, oai, xpath


def live_ids(store, count: int) -> list[str]:
    rows = store.conn.execute(
        "SELECT mms_id FROM records WHERE deleted = 0 ORDER BY id LIMIT ?", (count,)
    )
    return [r[0] for r in rows]


def test_sets_add_by_ids_list_and_remove(runner, client, store, tmp_path):
    ids = live_ids(store, 6)
    listing = tmp_path / "reserve.txt"
    listing.write_text("\n".join([*ids[:3], identifier(ids[3]), "# comment", "99999990101"]))
    result = runner.invoke(
        args=[
            "sets",
            "add",
            "reserve",
            "--name",
            "Reserve desk",
            "--description",
            "On reserve",
            "--ids",
            str(listing),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "set reserve: 4 records (+4, -0)" in result.output
    assert "1 listed ids are not in the store" in result.output
    root = oai(client, verb="ListSets")
    assert xpath(root, "//oai:setName/text()") == ["Reserve desk"]
    root = oai(client, verb="ListIdentifiers", metadataPrefix="marc21", set="reserve")
    assert sorted(xpath(root, "//oai:identifier/text()")) == sorted(identifier(i) for i in ids[:4])

    listing.write_text("\n".join(ids[2:6]))
    result = runner.invoke(args=["sets", "add", "reserve", "--ids", str(listing)])
    assert "(+2, -2)" in result.output
    root = oai(client, verb="ListIdentifiers", metadataPrefix="marc21", set="reserve")
    deleted = xpath(root, "//oai:header[@status='deleted']/oai:identifier/text()")
    assert sorted(deleted) == sorted(identifier(i) for i in ids[:2])

    result = runner.invoke(args=["sets", "list"])
    assert "reserve\treserve\t4 records\tlist of ids" in result.output
    result = runner.invoke(args=["sets", "remove", "reserve"])
    assert result.exit_code == 0, result.output
    assert error_code(oai(client, verb="ListSets")) == "noSetHierarchy"
    root = oai(client, verb="GetRecord", identifier=identifier(ids[3]), metadataPrefix="marc21")
    assert xpath(root, "//oai:setSpec") == []


def test_sets_add_rejects_bad_arguments(runner, tmp_path):
    result = runner.invoke(args=["sets", "add", "bad spec", "--ids", __file__])
    assert result.exit_code != 0
    result = runner.invoke(args=["sets", "add", "x"])
    assert "exactly one of --query and --ids" in result.output
    assert runner.invoke(args=["sets", "remove", "nope"]).exit_code != 0


def test_sets_add_by_query_and_after_load(app, runner, client, store, tmp_path):
    index = pytest.importorskip("indexer.search.index")
    index.rebuild(store, app.config["INDEX_DIR"])
    result = runner.invoke(args=["sets", "add", "english", "--query", "dc.language = eng"])
    assert result.exit_code == 0, result.output
    expected = search_ids(app.config["INDEX_DIR"], "dc.language = eng")
    assert expected
    root = oai(client, verb="ListIdentifiers", metadataPrefix="marc21", set="english")
    assert sorted(xpath(root, "//oai:identifier/text()")) == sorted(map(identifier, expected))
    result = runner.invoke(args=["sets", "add", "bad", "--query", "dc.title ="])
    assert result.exit_code != 0

    # a load adds an English record: the set defined by the query takes it in
    record = Record()
    record.add_field(Field(tag="008", data="260101s2026    xx            000 0 eng d"))
    record.add_field(Field(tag="245", subfields=[Subfield("a", "Loaded after the set")]))
    path = tmp_path / "new.xml"
    path.write_bytes(
        b"<collection xmlns='http://www.loc.gov/MARC21/slim'>"
        + record_to_xml(record)
        + b"</collection>"
    )
    result = runner.invoke(args=["load", "--match", "none", str(path)])
    assert result.exit_code == 0, result.output
    assert "set english: +1, -0" in result.output
    root = oai(client, verb="ListRecords", metadataPrefix="oai_dc", set="english")
    assert "Loaded after the set" in xpath(root, "//dc:title/text()")


def test_sets_from_the_oai_sets_setting(app, runner, client, store):
    ids = live_ids(store, 3)
    app.config["OAI_SETS"] = {
        "picked": {"name": "Picked", "description": "By configuration", "ids": ids},
        "hebrew": {"name": "Hebrew", "query": "dc.language = heb"},
    }
    result = runner.invoke(args=["sets", "sync"])
    assert result.exit_code != 0  # a query set needs the index
    assert "no search index" in result.output
    index = pytest.importorskip("indexer.search.index")
    index.rebuild(store, app.config["INDEX_DIR"])
    result = runner.invoke(args=["sets", "sync"])
    assert result.exit_code == 0, result.output
    hebrew = search_ids(app.config["INDEX_DIR"], "dc.language = heb")
    assert f"set hebrew: +{len(hebrew)}, -0" in result.output
    root = oai(client, verb="ListSets")
    assert xpath(root, "//oai:setSpec/text()") == ["hebrew", "picked"]
    root = oai(client, verb="ListIdentifiers", metadataPrefix="marc21", set="picked")
    assert sorted(xpath(root, "//oai:identifier/text()")) == sorted(map(identifier, ids))
    app.config["OAI_SETS"] = {"bad spec": {}}
    assert runner.invoke(args=["sets", "sync"]).exit_code != 0
