"""A thin, strict OAI-PMH client: the only module that imports Sickle.

Sickle 0.7 parses responses with ``recover=True`` (a page cut off mid-transfer becomes a silently
short list), has no default timeout, reads responses of any size and crashes on ``Retry-After``
given as an HTTP-date. :class:`OAIClient` keeps Sickle's request and retry loop (``max_retries``,
``retry_status_codes``, ``default_retry_after``) and fixes those four points by subclassing:

- every request passes ``timeout=`` and streams its body under a byte limit and a deadline;
- ``Retry-After`` is read as seconds or as an HTTP-date, and capped;
- pages are parsed strictly (no recovery, no DTD, no entities, no network); a page that is not
  well-formed is retried with backoff and then raised, never shortened;
- a record whose bytes are bad (invalid UTF-8, characters XML forbids) is cut out of a page that is
  otherwise intact and reported as rejected; the rest of the page is still parsed strictly.

Ref: <https://www.openarchives.org/OAI/openarchivesprotocol.html>
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests
import sickle
from lxml import etree
from pymarc import Record
from sickle.models import Header
from sickle.response import OAIResponse

from harvester.crosswalk import DC_NS, dc_to_marc
from harvester.pages import OAI_NS, HarvestError, ProtocolError, RetryableError, parse_page
from indexer.marc.marcxml import MARC_NS, record_from_element

logger = logging.getLogger(__name__)

__all__ = [
    "ClientOptions",
    "HarvestError",
    "HarvestedRecord",
    "OAIClient",
    "Page",
    "ProtocolError",
    "RetryableError",
    "parse_page",
    "parse_retry_after",
]

_OAI = f"{{{OAI_NS}}}"


@dataclass(frozen=True)
class ClientOptions:
    """Network limits of a client (the HARVEST_* settings)."""

    timeout: float = 30.0
    max_retries: int = 3
    max_retry_after: float = 120.0
    backoff: float = 1.0
    max_response_bytes: int = 64 * 1024 * 1024
    max_response_seconds: float = 600.0
    max_record_bytes: int = 1024 * 1024
    user_agent: str = "Pressmark-harvester/0.1"


@dataclass
class HarvestedRecord:
    """One record of a page: its header and, unless deleted, the MARC record."""

    identifier: str
    datestamp: str
    deleted: bool
    sets: list[str]
    marc: Record | None


@dataclass
class Page:
    """One response of a list request, strictly parsed."""

    records: list[HarvestedRecord] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    token: str | None = None
    cursor: int | None = None
    complete_list_size: int | None = None
    response_date: str | None = None
    size: int = 0


class MarcRecord(sickle.models.Record):
    """A Sickle record whose metadata is a pymarc ``Record`` (MARCXML, or oai_dc crosswalked)."""

    def get_metadata(self) -> Record:
        """Returns the MARC record of the ``metadata`` element.

        Raises:
            ValueError: no metadata, an unknown format, or a MARC record that cannot be read.
        """
        metadata = self.xml.find(_OAI + "metadata")
        children = [c for c in metadata if isinstance(c.tag, str)] if metadata is not None else []
        if not children:
            raise ValueError("record has no metadata")
        payload = children[0]
        qname = etree.QName(payload)
        if qname.namespace == MARC_NS or (not qname.namespace and qname.localname == "record"):
            if qname.localname == "collection":
                inner = [c for c in payload if isinstance(c.tag, str)]
                if len(inner) != 1:
                    raise ValueError(f"MARCXML collection with {len(inner)} records")
                payload = inner[0]
            return record_from_element(payload)
        if qname.namespace == DC_NS:
            return dc_to_marc(payload)
        raise ValueError(f"unsupported metadata format {payload.tag}")


#: A fresh mapping: Sickle 0.7's default dict is module-wide, never assign into it.
CLASS_MAP = {**sickle.app.DEFAULT_CLASS_MAP, "ListRecords": MarcRecord, "GetRecord": MarcRecord}


def parse_retry_after(value: str | None, default: float, cap: float) -> float:
    """Returns the seconds a ``Retry-After`` header asks for (seconds or HTTP-date), capped.

    Ref: <https://www.rfc-editor.org/rfc/rfc9110#field.retry-after>
    """
    if not value:
        return min(default, cap)
    value = value.strip()
    if value.isdigit():
        return min(float(value), cap)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        logger.warning("unreadable Retry-After %r; waiting %s s", value, default)
        return min(default, cap)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, min((when - datetime.now(UTC)).total_seconds(), cap))


class _StrictSickle(sickle.Sickle):
    """Sickle with bounded, timed requests and a Retry-After that understands dates."""

    def __init__(self, endpoint: str, options: ClientOptions) -> None:
        super().__init__(
            endpoint,
            max_retries=options.max_retries,
            retry_status_codes=[500, 502, 503, 504],
            default_retry_after=min(10, options.max_retry_after),
            class_mapping=CLASS_MAP,
            timeout=options.timeout,
            headers={"User-Agent": options.user_agent},
        )
        self.options = options
        self.session = requests.Session()

    def _request(self, kwargs: dict) -> requests.Response:
        response = self.session.get(self.endpoint, params=kwargs, stream=True, **self.request_args)
        try:
            response._content = self._read_bounded(response)
        finally:
            response.close()
        return response

    def _read_bounded(self, response: requests.Response) -> bytes:
        limit = self.options.max_response_bytes
        deadline = time.monotonic() + self.options.max_response_seconds
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise HarvestError(f"response of {declared} bytes exceeds the limit of {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > limit:
                    raise HarvestError(f"response exceeds the limit of {limit} bytes; abandoned")
                if time.monotonic() > deadline:
                    raise HarvestError(
                        f"response still arriving after {self.options.max_response_seconds:.0f} s"
                        f" ({size} bytes); abandoned"
                    )
                chunks.append(chunk)
        except requests.RequestException as exc:
            raise RetryableError(f"transfer cut off after {size} bytes: {exc}") from exc
        return b"".join(chunks)

    def get_retry_after(self, http_response: requests.Response) -> float:
        return parse_retry_after(
            http_response.headers.get("Retry-After"),
            self.default_retry_after,
            self.options.max_retry_after,
        )


class OAIClient:
    """Strict OAI-PMH requests to one repository."""

    def __init__(self, base_url: str, options: ClientOptions | None = None) -> None:
        self.base_url = base_url
        self.options = options or ClientOptions()
        self._sickle = _StrictSickle(base_url, self.options)
        self.retries = 0

    def close(self) -> None:
        """Closes the HTTP connections."""
        self._sickle.session.close()

    def identify(self) -> dict[str, str]:
        """Returns the Identify fields (``granularity``, ``earliestDatestamp``, ...) as strings.

        Ref: <https://www.openarchives.org/OAI/openarchivesprotocol.html#Identify>

        Raises:
            HarvestError: the repository cannot be reached or answers garbage.
        """
        root, _, _ = self._fetch({"verb": "Identify"})
        identify = root.find(_OAI + "Identify")
        if identify is None:
            raise HarvestError("Identify response has no Identify element")
        fields: dict[str, str] = {}
        for child in identify:
            if isinstance(child.tag, str) and child.tag.startswith(_OAI):
                fields.setdefault(child.tag[len(_OAI) :], (child.text or "").strip())
        return fields

    def list_records(
        self,
        *,
        metadata_prefix: str | None = None,
        from_: str | None = None,
        until: str | None = None,
        set_: str | None = None,
        resumption_token: str | None = None,
    ) -> Page:
        """Returns one page of ListRecords: the first (from the arguments) or the one a token names.

        ``noRecordsMatch`` gives an empty page.
        Ref: <https://www.openarchives.org/OAI/openarchivesprotocol.html#ListRecords>

        Raises:
            ProtocolError: another OAI-PMH error (``badResumptionToken``, ...).
            HarvestError: the page could not be obtained intact after the retries.
        """
        if resumption_token:
            params = {"verb": "ListRecords", "resumptionToken": resumption_token}
        else:
            arguments = {
                "metadataPrefix": metadata_prefix,
                "from": from_,
                "until": until,
                "set": set_,
            }
            params = {"verb": "ListRecords", **{k: v for k, v in arguments.items() if v}}
        try:
            root, rejected, body = self._fetch(params, salvage=True)
        except ProtocolError as exc:
            if exc.code == "noRecordsMatch":
                return Page(response_date=exc.response_date)
            raise
        page = Page(rejected=rejected)
        page.response_date = (root.findtext(_OAI + "responseDate") or "").strip() or None
        container = root.find(_OAI + "ListRecords")
        if container is None:
            raise HarvestError("ListRecords response has neither ListRecords nor error")
        # a record can only exceed the limit in a page that does
        check_size = len(body) > self.options.max_record_bytes
        for element in container.iterfind(_OAI + "record"):
            self._read_record(element, page, check_size)
        token = container.find(_OAI + "resumptionToken")
        if token is not None:
            page.token = (token.text or "").strip() or None
            page.cursor = _int(token.get("cursor"))
            page.complete_list_size = _int(token.get("completeListSize"))
        return page

    def _read_record(self, element: etree._Element, page: Page, check_size: bool) -> None:
        identifier = (element.findtext(f"{_OAI}header/{_OAI}identifier") or "").strip()
        try:
            size = len(etree.tostring(element)) if check_size else 0
            if size > self.options.max_record_bytes:
                raise ValueError(
                    f"record of {size} bytes exceeds the limit of {self.options.max_record_bytes}"
                )
            item = MarcRecord(element)
            header: Header = item.header
            if not header.identifier:
                raise ValueError("header without identifier")
            page.records.append(
                HarvestedRecord(
                    identifier=header.identifier.strip(),
                    datestamp=(header.datestamp or "").strip(),
                    deleted=item.deleted,
                    sets=list(header.setSpecs),
                    marc=None if item.deleted else item.metadata,
                )
            )
        except Exception as exc:  # noqa: BLE001 - one bad record never aborts its page
            page.rejected.append((identifier or "(no identifier)", f"{type(exc).__name__}: {exc}"))

    # requests -------------------------------------------------------------------------------------

    def _fetch(
        self, params: dict, *, salvage: bool = False
    ) -> tuple[etree._Element, list[tuple[str, str]], bytes]:
        """Returns the parsed root of a response, retrying transient failures with backoff."""
        attempts = self.options.max_retries + 1
        for attempt in range(1, attempts + 1):
            try:
                return self._fetch_once(params, salvage)
            except RetryableError as exc:
                if attempt == attempts:
                    raise HarvestError(f"{exc} (gave up after {attempts} attempts)") from exc
                wait = self.options.backoff * 2 ** (attempt - 1)
                self.retries += 1
                logger.warning("%s; retrying in %.1f s (%d/%d)", exc, wait, attempt, attempts - 1)
                time.sleep(wait)
        raise AssertionError("unreachable")

    def _fetch_once(
        self, params: dict, salvage: bool
    ) -> tuple[etree._Element, list[tuple[str, str]], bytes]:
        try:
            response: OAIResponse = self._sickle.harvest(**params)
        except requests.HTTPError as exc:
            # Sickle has already retried the statuses that deserve it (retry_status_codes)
            status = exc.response.status_code if exc.response is not None else 0
            tries = f" after {self.options.max_retries} retries" if status >= 500 else ""
            raise HarvestError(f"HTTP {status} from {self.base_url}{tries}") from exc
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise RetryableError(f"cannot reach {self.base_url}: {exc}") from exc
        except requests.RequestException as exc:
            raise HarvestError(f"request to {self.base_url} failed: {exc}") from exc
        body = response.http_response.content
        root, rejected = parse_page(body, salvage=salvage)
        error = root.find(_OAI + "error")
        if error is not None:
            raise ProtocolError(
                error.get("code", "unknown"),
                (error.text or "").strip(),
                (root.findtext(_OAI + "responseDate") or "").strip() or None,
            )
        return root, rejected, body


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None
