"""SRU operations: request arguments -> validated parameters -> results from the index and store.

Ref: <https://www.loc.gov/standards/sru/sru-1-2.html>,
<https://docs.oasis-open.org/search-ws/searchRetrieve/v1.0/os/part3-sru2.0/searchRetrieve-v1.0-os-part3-sru2.0.html>
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import current_app, g

from app.sru import pool
from app.sru.diagnostics import Diagnostic, SRUDiagnostic
from app.sru.records import SCHEMAS, schema_key
from app.sru.sort_keys import parse_sort_keys
from indexer.search import index, searching
from indexer.search.cql import QueryError, translate
from indexer.store.schema import StoreError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cql.parser import CQLSearchClause, CQLTriple

    from indexer.store.records import RecordStore

logger = logging.getLogger(__name__)

VERSIONS = ("1.1", "1.2", "2.0")
OPERATIONS = ("explain", "searchRetrieve")
#: Parameters each version defines (``x-`` extension parameters are always accepted and ignored).
PARAMETERS = {
    "1": {
        "operation",
        "version",
        "query",
        "startRecord",
        "maximumRecords",
        "recordPacking",
        "recordSchema",
        "recordXPath",
        "resultSetTTL",
        "sortKeys",
        "stylesheet",
        "extraRequestData",
    },
    "2": {
        "operation",
        "version",
        "query",
        "queryType",
        "startRecord",
        "maximumRecords",
        "recordXMLEscaping",
        "recordPacking",
        "recordSchema",
        "resultSetTTL",
        "sortKeys",
        "stylesheet",
        "renderedBy",
        "httpAccept",
        "responseType",
        "facetLimit",
        "facetStart",
        "facetSort",
        "facetRangeField",
        "facetLowValue",
        "facetHighValue",
        "facetCount",
    },
}


@dataclass
class SRURequest:
    """Validated parameters of one SRU request (snake_case; the query string is camelCase)."""

    version: str
    operation: str
    query: str | None = None
    start_record: int = 1
    maximum_records: int = 10
    record_schema: str = "marcxml"
    record_packing: str = "xml"
    sort: list[tuple[str, bool]] = field(default_factory=list)
    echo: dict[str, str] = field(default_factory=dict)
    diagnostics: list[SRUDiagnostic] = field(default_factory=list)


def pick_version(args: Mapping[str, str]) -> tuple[str, SRUDiagnostic | None]:
    """Returns the version to answer in, and diagnostic 5 when the requested one is unknown."""
    # PRESSMARK_SRU_DEFAULT_VERSION=2.0 arrives as the number 2.0: compare as text
    default = str(current_app.config["SRU_DEFAULT_VERSION"])
    if default not in VERSIONS:
        default = "1.2"
    asked = args.get("version")
    if asked is None or asked == "":
        return default, None
    if asked in VERSIONS:
        return asked, None
    return default, SRUDiagnostic(Diagnostic.UNSUPPORTED_VERSION, asked)


def validate(args: Mapping[str, str], version: str) -> SRURequest:
    """Returns the validated request.

    Raises:
        SRUDiagnostic: 4, 6, 7, 8, 66, 71, 72, 110; 80, 85, 87, 88, 90, 91, 92 (sortKeys).
    """
    config = current_app.config
    operation = args.get("operation") or ("searchRetrieve" if "query" in args else "explain")
    req = SRURequest(version=version, operation=operation)
    req.echo = {k: v for k, v in args.items() if k in PARAMETERS[version[0]]}
    if operation not in OPERATIONS:
        raise SRUDiagnostic(Diagnostic.UNSUPPORTED_OPERATION, operation)
    for name in args:
        if name not in PARAMETERS[version[0]] and not name.startswith("x-"):
            raise SRUDiagnostic(Diagnostic.UNSUPPORTED_PARAMETER, name)
    if args.get("stylesheet"):
        raise SRUDiagnostic(Diagnostic.STYLESHEETS_NOT_SUPPORTED, args["stylesheet"])
    req.record_packing = _packing(args, version)
    if operation == "explain":
        return req
    if args.get("recordXPath"):
        raise SRUDiagnostic(Diagnostic.XPATH_RETRIEVAL_UNSUPPORTED, args["recordXPath"])
    req.sort = parse_sort_keys(args.get("sortKeys") or "")
    if args.get("queryType", "cql") != "cql":
        raise SRUDiagnostic(Diagnostic.UNSUPPORTED_PARAMETER_VALUE, "queryType")
    query = args.get("query")
    if query is None:
        raise SRUDiagnostic(Diagnostic.MANDATORY_PARAMETER_NOT_SUPPLIED, "query")
    req.query = query
    req.start_record = _positive(args, "startRecord", 1, minimum=1)
    maximum = _positive(args, "maximumRecords", config["SRU_DEFAULT_MAXIMUM_RECORDS"], minimum=0)
    req.maximum_records = min(maximum, config["SRU_MAXIMUM_RECORDS"])
    schema = args.get("recordSchema") or config["SRU_DEFAULT_RECORD_SCHEMA"]
    key = schema_key(schema)
    if key is None:
        raise SRUDiagnostic(Diagnostic.UNKNOWN_SCHEMA_FOR_RETRIEVAL, schema)
    req.record_schema = key
    last = req.start_record + max(req.maximum_records, 1) - 1
    if last > config["SRU_MAX_START_RECORD"]:
        raise SRUDiagnostic(
            Diagnostic.FIRST_RECORD_POSITION_OUT_OF_RANGE,
            f"records past position {config['SRU_MAX_START_RECORD']} cannot be retrieved",
        )
    return req


def _packing(args: Mapping[str, str], version: str) -> str:
    """Returns ``xml`` or ``string``: 1.x ``recordPacking``, 2.0 ``recordXMLEscaping``.

    Raises:
        SRUDiagnostic: 71 for any other value.
    """
    if version == "2.0":
        packing = args.get("recordPacking") or "packed"
        if packing != "packed":
            raise SRUDiagnostic(Diagnostic.UNSUPPORTED_RECORD_PACKING, packing)
        escaping = args.get("recordXMLEscaping") or "xml"
    else:
        escaping = args.get("recordPacking") or "xml"
    if escaping not in ("xml", "string"):
        raise SRUDiagnostic(Diagnostic.UNSUPPORTED_RECORD_PACKING, escaping)
    return escaping


def _positive(args: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    value = args.get(name)
    if value is None or value == "":
        return default
    value = value.strip()
    if not value.isdigit() or int(value) < minimum or len(value) > 9:
        raise SRUDiagnostic(Diagnostic.UNSUPPORTED_PARAMETER_VALUE, name)
    return int(value)


# searching ----------------------------------------------------------------------------------------


def get_store() -> RecordStore:
    """Returns the request's record store, taken from this process's pool on first use.

    Raises:
        SRUDiagnostic: 1 when the store cannot be opened.
    """
    if "sru_store" not in g:
        try:
            g.sru_store = pool.stores(current_app.config).take(current_app.config)
        except StoreError as exc:
            logger.error("record store unavailable: %s", exc)
            raise SRUDiagnostic(
                Diagnostic.GENERAL_SYSTEM_ERROR, "record store unavailable"
            ) from exc
    return g.sru_store


def get_opened() -> pool.Opened:
    """Returns the request's searcher with its local tags, up to date with the store (see
    :mod:`app.sru.pool`).

    Raises:
        SRUDiagnostic: 2 while another writer is still building a missing index; 1 when there is
            no index and it cannot be built.
    """
    if "sru_searcher" not in g:
        store = get_store()
        try:
            g.sru_searcher = pool.searchers(current_app.config).take(store)
        except (OSError, index.SearchIndexError) as exc:
            if isinstance(exc, index.SearchIndexError) and index.busy(
                current_app.config["INDEX_DIR"]
            ):
                logger.warning("SRU request refused: the search index is being built")
                raise SRUDiagnostic(
                    Diagnostic.SYSTEM_TEMPORARILY_UNAVAILABLE,
                    "the search index is being built: try again in a minute",
                ) from exc
            logger.exception("search index unavailable")
            raise SRUDiagnostic(
                Diagnostic.GENERAL_SYSTEM_ERROR, "search index unavailable"
            ) from exc
    return g.sru_searcher


def release(exc: BaseException | None = None) -> None:
    """Gives the request's searcher and store back to their pools (at teardown); after an
    unexpected error they are closed instead (see :func:`failed`)."""
    broken = g.pop("sru_failed", False) or exc is not None
    opened = g.pop("sru_searcher", None)
    if opened is not None:
        pool.searchers(current_app.config).give(opened, failed=broken)
    store = g.pop("sru_store", None)
    if store is not None:
        pool.stores(current_app.config).give(store, failed=broken)


def failed() -> None:
    """Marks the request as failed unexpectedly: its searcher and store are not pooled again."""
    g.sru_failed = True


@dataclass
class Page:
    """One page of results: the total, the MMS IDs from ``start_record`` on, the parsed query."""

    total: int
    ids: list[str]
    tree: CQLSearchClause | CQLTriple | None = None


def search(req: SRURequest) -> Page:
    """Runs the request's CQL query; returns the total and the page of MMS IDs.

    Raises:
        SRUDiagnostic: the query's diagnostic (10, 15, 16, 19, 20, ...), or 61.
    """
    opened = get_opened()
    try:
        translated = translate(req.query or "", opened.local_tags)
    except QueryError as exc:
        raise SRUDiagnostic(Diagnostic.of_number(exc.number), exc.details) from exc
    if req.sort:
        if translated.sort:
            raise SRUDiagnostic(
                Diagnostic.SORT_NOT_SUPPORTED, "sortKeys and a CQL sortBy clause together"
            )
        translated.sort = req.sort
    total, ids = searching.search_page(
        opened.searcher, translated, req.start_record, req.maximum_records
    )
    if req.start_record > 1 and req.start_record > total:
        raise SRUDiagnostic(
            Diagnostic.FIRST_RECORD_POSITION_OUT_OF_RANGE, f"{req.start_record} > {total}"
        )
    return Page(total, ids, translated.tree)


__all__ = ["SCHEMAS", "Page", "SRURequest", "pick_version", "search", "validate"]
