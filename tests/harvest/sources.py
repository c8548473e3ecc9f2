"""Test OAI-PMH providers for the harvester: recorded pages, and a hostile server.

``OAIFixtureServer`` is an ``http.server`` on 127.0.0.1, port 0, that writes its bytes itself, so
that it can misbehave the way real sources do: cut a page off mid-transfer, answer 503 with either
form of Retry-After, reject a resumption token, send malformed XML, an entity bomb, invalid UTF-8 or
a response that never ends. It serves either the files of ``tests/responses/`` (the file is chosen
by verb, and the resumption token names the next file, as Sickle's ``mock_harvest``) or pages built
from a list of :class:`FakeRecord`.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from pymarc import Record

from indexer.load.records import load_file
from indexer.marc.marcxml import record_from_xml
from indexer.store.records import RecordStore
from tests.conftest import SAMPLES

RESPONSES = Path(__file__).resolve().parent / "responses"

ENVELOPE_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    ' xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/'
    ' http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">'
    "<responseDate>{now}</responseDate>"
)

ENTITY_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>&lol9;</responseDate>
<request verb="ListRecords">x</request><ListRecords/></OAI-PMH>"""

#: Faults a page can be given (each consumed by one request of that page).
FAULTS = (
    "truncate",  # half the page, then the connection closes (no Content-Length)
    "short-content-length",  # Content-Length announces more than is sent
    "503-seconds",  # 503 with Retry-After: 1
    "503-date",  # 503 with Retry-After as an HTTP-date one second ahead
    "500",  # an internal server error
    "bad-token",  # badResumptionToken for a token the server itself issued
    "malformed",  # a page whose markup is broken in the middle
    "entity-bomb",  # a billion-laughs DTD
    "never-ending",  # 200, then bytes forever
    "stall",  # answers after `stall_seconds`
)


def stamp(seconds: int) -> str:
    """Returns an OAI-PMH UTC datestamp with second granularity."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_stamp(value: str) -> int:
    """Returns epoch seconds from a day or second granularity datestamp."""
    fmt = "%Y-%m-%dT%H:%M:%SZ" if "T" in value else "%Y-%m-%d"
    return int(datetime.strptime(value, fmt).replace(tzinfo=UTC).timestamp())


@dataclass
class FakeRecord:
    """A record of the fake provider: header values and the metadata bytes (any bytes at all)."""

    identifier: str
    datestamp: int
    metadata: bytes
    deleted: bool = False


class OAIFixtureServer:
    """A hostile OAI-PMH provider in a thread on 127.0.0.1 (use as a context manager)."""

    def __init__(
        self,
        records: list[FakeRecord] | None = None,
        *,
        page_size: int = 10,
        recorded: Path | None = None,
        granularity: str = "YYYY-MM-DDThh:mm:ssZ",
        delay: float = 0.0,
    ) -> None:
        self.records = records or []
        self.page_size = page_size
        self.recorded = recorded
        self.granularity = granularity
        self.delay = delay
        self.stall_seconds = 3.0
        #: page number (0 = first page) -> faults still to serve for it, in order
        self.faults: dict[int, list[str]] = defaultdict(list)
        self.requests: list[dict[str, str]] = []
        self.generation = 0
        handler = type("Handler", (_Handler,), {"provider": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/oai"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> OAIFixtureServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)

    def fault(self, page: int, *faults: str) -> None:
        """Makes the next requests of ``page`` misbehave, one fault per request."""
        for name in faults:
            assert name in FAULTS, name
        self.faults[page].extend(faults)

    # pages -----------------------------------------------------------------------------------------

    def respond(self, query: dict[str, str]) -> tuple[bytes, int]:
        """Returns the page of a request and its page number (-1 for non-list verbs)."""
        now = stamp(int(time.time()))
        head = ENVELOPE_HEAD.format(now=now)
        verb = query.get("verb", "")
        if self.recorded is not None:
            name = query.get("resumptionToken") or query.get("metadataPrefix", "") + verb
            path = self.recorded / f"{name}.xml"
            if not path.exists():
                path = self.recorded / f"{verb}.xml"
            return path.read_bytes(), int(bool(query.get("resumptionToken")))
        if verb == "Identify":
            body = (
                f'<request verb="Identify">{self.url}</request><Identify>'
                "<repositoryName>Hostile fixture</repositoryName>"
                f"<baseURL>{self.url}</baseURL><protocolVersion>2.0</protocolVersion>"
                "<adminEmail>nobody@example.org</adminEmail>"
                "<earliestDatestamp>1970-01-01T00:00:00Z</earliestDatestamp>"
                "<deletedRecord>persistent</deletedRecord>"
                f"<granularity>{self.granularity}</granularity></Identify>"
            )
            return (head + body + "</OAI-PMH>").encode(), -1
        if verb != "ListRecords":
            return self.error(head, "badVerb", "only Identify and ListRecords here"), -1
        token = query.get("resumptionToken")
        if token:
            try:
                generation, offset, from_ = token.split(":", 2)
                page = int(offset) // self.page_size
                int(generation)
            except ValueError:
                return self.error(head, "badResumptionToken", "garbage token"), -1
            if int(generation) != self.generation:
                return self.error(head, "badResumptionToken", "expired"), page
            offset_n = int(offset)
        else:
            from_ = query.get("from", "")
            offset_n, page = 0, 0
        selected = [r for r in self.records if not from_ or r.datestamp >= parse_stamp(from_)]
        if not selected:
            return self.error(head, "noRecordsMatch", "nothing changed"), page
        chunk = selected[offset_n : offset_n + self.page_size]
        parts = [head.encode(), b'<request verb="ListRecords">', self.url.encode(), b"</request>"]
        parts.append(b"<ListRecords>")
        for record in chunk:
            status = ' status="deleted"' if record.deleted else ""
            parts.append(
                f"<record><header{status}><identifier>{escape(record.identifier)}</identifier>"
                f"<datestamp>{stamp(record.datestamp)}</datestamp></header>".encode()
            )
            if not record.deleted:
                parts += [b"<metadata>", record.metadata, b"</metadata>"]
            parts.append(b"</record>")
        end = offset_n + len(chunk)
        size = f'completeListSize="{len(selected)}" cursor="{offset_n}"'
        if end < len(selected):
            next_token = f"{self.generation}:{end}:{from_}"
            parts.append(f"<resumptionToken {size}>{next_token}</resumptionToken>".encode())
        elif token:
            parts.append(f"<resumptionToken {size}/>".encode())
        parts.append(b"</ListRecords></OAI-PMH>")
        return b"".join(parts), page

    def error(self, head: str, code: str, message: str) -> bytes:
        return (
            f'{head}<request>{self.url}</request><error code="{code}">{message}</error></OAI-PMH>'
        ).encode()


class _Handler(BaseHTTPRequestHandler):
    provider: OAIFixtureServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's name
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        provider = self.provider
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        provider.requests.append(query)
        if provider.delay:
            time.sleep(provider.delay)
        body, page = provider.respond(query)
        fault = provider.faults[page].pop(0) if provider.faults.get(page) else None
        try:
            self.serve(body, fault)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def serve(self, body: bytes, fault: str | None) -> None:
        if fault is None:
            self.send(200, body)
        elif fault == "truncate":
            self.close_connection = True
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
        elif fault == "short-content-length":
            self.close_connection = True
            self.send(200, body[: len(body) // 2], {"Content-Length": str(len(body))})
        elif fault == "503-seconds":
            self.send(503, b"busy", {"Retry-After": "1"})
        elif fault == "503-date":
            when = datetime.now(UTC) + timedelta(seconds=1)
            self.send(503, b"busy", {"Retry-After": format_datetime(when, usegmt=True)})
        elif fault == "500":
            self.send(500, b"oops")
        elif fault == "bad-token":
            self.provider.generation += 1
            head = ENVELOPE_HEAD.format(now=stamp(int(time.time())))
            self.send(200, self.provider.error(head, "badResumptionToken", "expired"))
        elif fault == "malformed":
            self.send(200, body.replace(b"</header>", b"</heder>", 1))
        elif fault == "entity-bomb":
            self.send(200, ENTITY_BOMB)
        elif fault == "never-ending":
            self.close_connection = True
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.end_headers()
            self.wfile.write(body[:200])
            filler = b"<!-- " + b"x" * 65000 + b" -->"
            while True:
                self.wfile.write(filler)
        elif fault == "stall":
            time.sleep(self.provider.stall_seconds)
            self.send(200, body)


def target_store(tmp_path: Path, name: str = "target.db") -> RecordStore:
    """Returns a new, empty record store to harvest into."""
    return RecordStore(tmp_path / name, create=True)


def fake_records(store: RecordStore, limit: int = 1000) -> list[FakeRecord]:
    """Returns the live records of ``store`` as fake provider records (published marc21 bytes).

    Their datestamps are a day old, so that an incremental harvest sees only what a test changes.
    """
    return [
        FakeRecord(f"oai:fake:{r.identifier}", r.datestamp - 86400, r.xml)
        for r in store.list_records(limit=limit, prefix="marc21")
        if not r.deleted and r.xml
    ]


def harvested(store: RecordStore, *, deleted: bool = False) -> dict[str, Record]:
    """Returns the records of ``store`` by the OAI identifier they were harvested with."""
    rows = store.conn.execute(
        "SELECT k.key, r.marcxml FROM match_keys k JOIN records r ON r.id = k.record_id"
        " WHERE k.method = 'oai' AND r.deleted = ?",
        (int(deleted),),
    ).fetchall()
    return {key: record_from_xml(xml) for key, xml in rows}


def build_source_store(folder: Path) -> RecordStore:
    """Returns a store in ``folder`` loaded from ``sample_records/``, to build fake providers from."""
    store = RecordStore(folder / "source.db", create=True)
    for path in sorted(p for p in SAMPLES.iterdir() if p.suffix in (".mrc", ".xml")):
        load_file(store, path)
    return store
