"""The index's own codec and field types write what Whoosh's own classes write, only faster."""

from __future__ import annotations

from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.analysis import RegexTokenizer
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import ID, TEXT

from indexer.search import index, index_format
from indexer.search.queries import search_ids


def _contents(index_dir: Path) -> dict:
    """Returns every posting, field length and sort key of a one-segment index."""
    ix = whoosh_index.open_dir(str(index_dir))
    with ix.reader() as reader:
        assert reader.is_atomic()
        postings = list(reader.iter_postings())
        names = sorted({name for name, *_ in postings})
        count = reader.doc_count_all()
        lengths = {n: [reader.doc_field_length(d, n) for d in range(count)] for n in names}
        columns = {n: list(reader.column_reader(n)) for n in ("id", "title_sort", "creator_sort")}
        inlined = sum(
            reader.term_info(name, text).is_inlined() for name, text in reader.all_terms()
        )
    return {"postings": postings, "lengths": lengths, "columns": columns, "inlined": inlined}


def test_the_index_holds_what_whoosh_own_classes_write(store, app, tmp_path, monkeypatch):
    built = index.rebuild(store, app.config["INDEX_DIR"])
    ours = _contents(Path(app.config["INDEX_DIR"]))

    monkeypatch.setattr(index, "Codec", lambda: W3Codec(compression=0))
    monkeypatch.setattr(index, "Words", lambda p: TEXT(analyzer=RegexTokenizer(p), phrase=True))
    monkeypatch.setattr(index, "Values", lambda p: ID(analyzer=RegexTokenizer(p)))
    index.rebuild(store, tmp_path / "reference")
    whooshs = _contents(tmp_path / "reference")

    assert built.records > 100 and len(ours["postings"]) > 10 * built.records
    assert ours["postings"] == whooshs["postings"]
    assert ours["lengths"] == whooshs["lengths"]
    assert ours["columns"] == whooshs["columns"]
    assert whooshs["inlined"] == 0 and ours["inlined"] > len(ours["postings"]) / 20


def test_segments_with_inlined_postings_merge(store, app):
    index_dir = Path(app.config["INDEX_DIR"])
    index.rebuild(store, index_dir)
    before = _contents(index_dir)
    ix = whoosh_index.open_dir(str(index_dir))
    # a second segment, then one merged from both (Whoosh 2.7.4 itself fails to merge inlined
    # postings of fields without values: it reads their values as '')
    writer = ix.writer(codec=index_format.Codec())
    writer.add_document(id="x1", title="inline merge", identifier="x1")
    writer.commit()
    writer = ix.writer(codec=index_format.Codec())
    writer.commit(optimize=True)
    after = _contents(index_dir)
    assert after["inlined"] > 0
    added = [p for p in after["postings"] if p[2] == len(before["columns"]["id"])]
    assert {(name, text) for name, text, *_ in added} == {
        ("id", b"x1"),
        ("identifier", b"x1"),
        ("title", b"inline"),
        ("title", b"merge"),
    }
    assert [p for p in after["postings"] if p not in added] == before["postings"]
    assert search_ids(index_dir, 'dc.title = "inline merge"') == ["x1"]
