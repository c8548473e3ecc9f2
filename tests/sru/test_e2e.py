"""End to end: real SRU clients (sruthi, yaz-client in SRU mode) against the app on 127.0.0.1."""

from __future__ import annotations

import shutil
import subprocess
import warnings

import pytest

from tests.sru.protocol import common_title_word

pytestmark = pytest.mark.e2e


def test_sruthi_searches_pages_and_explains(live_server, store):
    from sruthi.client import Client

    word, count = common_title_word(store)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        client = Client(url=f"{live_server.url}/sru", maximum_records=3)
        records = client.searchretrieve(f"dc.title = {word}")
        assert records.count == count
        fetched = list(records)  # sruthi pages with nextRecordPosition
        assert len(fetched) == count
        assert all(r["schema"] == "info:srw/schema/1/marcxml-v1.1" for r in fetched)
        explain = client.explain()
    assert explain.server["database"] == "sru"
    assert "title" in str(explain.index)


def test_sruthi_reads_dublin_core(live_server, store):
    from sruthi.client import Client

    word, count = common_title_word(store)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        client = Client(url=f"{live_server.url}/sru", maximum_records=50, record_schema="dc")
        records = client.searchretrieve(f"dc.title = {word}")
        titles = [r.get("title") for r in records]
    assert len(titles) == count and all(titles)


@pytest.mark.skipif(
    shutil.which("yaz-client") is None, reason="yaz-client (Debian yaz) is not installed"
)
def test_yaz_client_in_sru_mode(live_server, store):
    word, count = common_title_word(store)
    commands = "\n".join(
        [
            "sru get 1.2",
            f"open {live_server.url}/sru",
            "querytype cql",
            f"find dc.title={word}",
            "show 1+2",
            "find dc.nothing=x",
            "explain",
            "quit",
            "",
        ]
    )
    result = subprocess.run(
        ["yaz-client"], input=commands, capture_output=True, text=True, timeout=60, check=False
    )
    out = result.stdout
    assert f"Number of hits: {count}" in out
    assert out.count("<marc:record") == 2
    assert "info:srw/diagnostic/1/16" in out or "Unsupported index" in out
    assert "zr:explain" in out
