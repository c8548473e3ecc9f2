"""Resumption tokens: keyset pages with a frozen bound; changes during a harvest are never lost."""

from __future__ import annotations

from pymarc import Field, Subfield

from app import create_app
from tests.oai.protocol import NS, identifier, oai, walk, xpath


def change(store, mms_id: str, note: str) -> None:
    record = store.get(mms_id).marc
    for field in record.get_fields("001"):
        record.remove_field(field)
    record.add_ordered_field(Field(tag="001", data=mms_id))
    record.add_field(Field(tag="500", subfields=[Subfield("a", note)]))
    assert store.put(record, match=("001",)).status == "updated"


def test_changes_during_a_harvest_are_never_lost(app, client, store):
    app.config["OAI_PAGE_SIZE"] = 20
    first = oai(client, verb="ListRecords", metadataPrefix="marc21")
    started = xpath(first, "string(oai:responseDate)")
    seen = xpath(first, "//oai:header/oai:identifier/text()")
    live = [
        r[0]
        for r in store.conn.execute(
            "SELECT mms_id FROM records WHERE deleted = 0 ORDER BY datestamp, id"
        )
    ]
    behind, ahead = live[0], live[-1]  # one already harvested, one not yet
    assert identifier(behind) in seen
    change(store, behind, "changed behind the cursor")
    change(store, ahead, "changed ahead of the cursor")
    store.delete(live[len(live) // 2])
    pages = [first]
    while (token := pages[-1].find("oai:ListRecords/oai:resumptionToken", NS)) is not None:
        if not token.text:
            break
        pages.append(oai(client, verb="ListRecords", resumptionToken=token.text))
    listed = [i for page in pages for i in xpath(page, "//oai:header/oai:identifier/text()")]
    # a record is listed again only when it changed after it was sent
    twice = {i for i in listed if listed.count(i) > 1}
    assert twice <= {identifier(behind)}
    everything = {identifier(r[0]) for r in store.conn.execute("SELECT mms_id FROM records")}
    changed = {identifier(i) for i in (behind, ahead, live[len(live) // 2])}
    # only records changed during the harvest may have moved past its frozen bound
    assert everything - set(listed) <= changed
    # the next incremental harvest from the first responseDate gets every change
    pages = walk(client, "ListRecords", metadataPrefix="marc21", **{"from": started})
    again = [i for page in pages for i in xpath(page, "//oai:header/oai:identifier/text()")]
    assert changed <= set(again)
    notes = [
        n for p in pages for n in xpath(p, "//marc:datafield[@tag='500']/marc:subfield/text()")
    ]
    assert {"changed behind the cursor", "changed ahead of the cursor"} <= set(notes)


def test_token_keeps_the_arguments_of_the_first_request(app, client, store):
    app.config["OAI_IDENTIFIERS_PAGE_SIZE"] = 7
    ids = [r[0] for r in store.conn.execute("SELECT mms_id FROM records LIMIT 16")]
    store.define_set("few", "Few")
    store.set_members("few", ids)
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="few")
    listed = xpath(root, "//oai:identifier/text()")
    token = root.find("oai:ListIdentifiers/oai:resumptionToken", NS)
    assert (token.get("completeListSize"), token.get("cursor")) == ("16", "0")
    while token is not None and token.text:
        root = oai(client, verb="ListIdentifiers", resumptionToken=token.text)
        assert xpath(root, "string(oai:request/@resumptionToken)") == token.text
        assert xpath(root, "oai:request/@metadataPrefix") == []
        listed += xpath(root, "//oai:identifier/text()")
        token = root.find("oai:ListIdentifiers/oai:resumptionToken", NS)
    assert sorted(listed) == sorted(map(identifier, ids))
    assert xpath(root, "//oai:setSpec/text()") == ["few"] * len(xpath(root, "//oai:header"))


def test_missing_store_is_503_not_500(tmp_path):
    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "absent.db")})
    response = app.test_client().get("/oai?verb=Identify")
    assert response.status_code == 503


def test_records_not_yet_published_in_a_format_are_skipped_not_fatal(app, client, store):
    app.config["OAI_PAGE_SIZE"] = 5
    first = [
        r[0]
        for r in store.conn.execute(
            "SELECT id FROM records WHERE deleted = 0 ORDER BY datestamp, id LIMIT 12"
        )
    ]
    marks = ",".join("?" * len(first))
    store.conn.execute(
        f"DELETE FROM published WHERE prefix = 'oai_dc' AND record_id IN ({marks})", first
    )
    pages = walk(client, "ListRecords", metadataPrefix="oai_dc")
    listed = [i for p in pages for i in xpath(p, "//oai:header/oai:identifier/text()")]
    with_dc = store.conn.execute(
        "SELECT COUNT(*) FROM records r WHERE deleted = 1 OR EXISTS (SELECT 1 FROM published p"
        " WHERE p.record_id = r.id AND p.prefix = 'oai_dc')"
    ).fetchone()[0]
    assert len(listed) == len(set(listed)) == with_dc
