"""SRU server at ``/sru`` and at Alma's URL shape ``/view/sru/<institution>``.

Operations explain and searchRetrieve, SRU 1.2 by default, 2.0 when asked, 1.1 accepted. Every
diagnostic is rendered in a 200 response; nothing a client sends gives a 500.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, current_app, request
from lxml import etree

from app.resources import open_store
from app.sru import operations, records, responses
from app.sru.diagnostics import Diagnostic, SRUDiagnostic
from indexer.search.follower import follow

logger = logging.getLogger(__name__)

bp = Blueprint("sru", __name__)


@bp.route("/sru", methods=["GET", "POST"])
@bp.route("/view/sru/<institution>", methods=["GET", "POST"])
def sru(institution: str | None = None) -> Response:
    """Answers one SRU request (query string or form)."""
    _follow_store()
    args = request.values.to_dict(flat=True)
    version, problem = operations.pick_version(args)
    operation = args.get("operation") or ("searchRetrieve" if "query" in args else "explain")
    try:
        if institution is not None and institution != current_app.config["INSTITUTION_CODE"]:
            raise SRUDiagnostic(
                Diagnostic.UNSUPPORTED_PARAMETER_VALUE, f"institution {institution}"
            )
        if problem is not None:
            raise problem
        req = operations.validate(args, version)
        explain = req.operation == "explain"
        body = _explain(version, req.record_packing) if explain else _search_retrieve(req)
    except SRUDiagnostic as diagnostic:
        body = responses.serialize(_failure(version, operation, diagnostic))
    except Exception:
        logger.exception("SRU request failed: %s", request.query_string[:500])
        operations.failed()
        failure = SRUDiagnostic(Diagnostic.GENERAL_SYSTEM_ERROR)
        body = responses.serialize(_failure(version, operation, failure))
    return Response(body, status=200, mimetype="text/xml")


def _search_retrieve(req: operations.SRURequest) -> bytes:
    page = operations.search(req)
    found = records.fetch(operations.get_store(), page.ids, req.record_schema, current_app.config)
    page_records: list[tuple[str, bytes | SRUDiagnostic]] = []
    for mms_id in page.ids:
        data = found.get(mms_id)
        if data is None:
            data = SRUDiagnostic(Diagnostic.RECORD_DOES_NOT_EXIST, mms_id)
        elif isinstance(data, records.RecordError):
            logger.error("%s", data)
            data = SRUDiagnostic(Diagnostic.GENERAL_SYSTEM_ERROR, mms_id)
        page_records.append((mms_id, data))
    return responses.search_retrieve(req, page.total, page_records, [], page.tree)


#: Explain responses already serialized, by everything they depend on (bounded: Host is the
#: client's to choose).
_explained: dict[tuple, bytes] = {}
MAX_EXPLAINED = 64


def _explain(version: str, packing: str) -> bytes:
    config = current_app.config
    key = (
        version,
        packing,
        request.host,
        request.is_secure,
        request.path,
        tuple(_local_tags()),
        *(str(config[name]) for name in EXPLAIN_SETTINGS),
    )
    body = _explained.get(key)
    if body is None:
        body = responses.serialize(responses.explain(version, packing, _zeerex(version)))
        if len(_explained) >= MAX_EXPLAINED:
            _explained.clear()
        _explained[key] = body
    return body


#: Settings that the explain record shows.
EXPLAIN_SETTINGS = (
    "SRU_DATABASE_TITLE",
    "SRU_DEFAULT_MAXIMUM_RECORDS",
    "SRU_DEFAULT_RECORD_SCHEMA",
    "SRU_MAXIMUM_RECORDS",
    "SRU_MAX_START_RECORD",
)


def _local_tags() -> list[str]:
    try:
        return operations.get_opened().local_tags
    except SRUDiagnostic:
        return []


def _zeerex(version: str) -> etree._Element:
    host = request.host.split(":")[0]
    port = (
        request.host.rsplit(":", 1)[1]
        if ":" in request.host
        else ("443" if request.is_secure else "80")
    )
    database = request.path.lstrip("/")
    return responses.zeerex(
        host,
        int(port) if port.isdigit() else 80,
        database,
        version,
        _local_tags(),
        current_app.config,
    )


def _failure(version: str, operation: str, diagnostic: SRUDiagnostic) -> etree._Element:
    record = None
    if operation == "explain":
        try:
            record = _zeerex(version)
        except Exception:
            logger.exception("explain record failed")
    return responses.failure(version, operation, diagnostic, record)


def _follow_store() -> None:
    """Starts this process's index follower (once; again after a fork)."""
    config = current_app.config
    interval = float(config["INDEX_FOLLOW_INTERVAL"] or 0)
    if interval > 0:
        app = current_app._get_current_object()
        follow(app, lambda: open_store(config), config["INDEX_DIR"], interval)


def init_app(app: Flask) -> None:
    """Registers the SRU routes; each request gives its searcher and store back at teardown."""
    app.register_blueprint(bp)
    app.teardown_appcontext(operations.release)
    # cql-parser logs every syntax error at ERROR level; the client gets diagnostic 10 instead
    logging.getLogger("cql").setLevel(logging.CRITICAL)
