"""SRU server at ``/sru`` and at Alma's URL shape ``/view/sru/<institution>``.

Operations explain and searchRetrieve, SRU 1.2 by default, 2.0 when asked, 1.1 accepted. Every
diagnostic is rendered in a 200 response; nothing a client sends gives a 500.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, current_app, request
from lxml import etree

from app.resources import get_store, open_store
from app.sru import operations, responses
from app.sru.diagnostics import Diagnostic, SRUDiagnostic
from app.sru.records import build_record
from indexer import index

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
        if req.operation == "explain":
            root = responses.explain(version, req.record_packing, _zeerex(version))
        else:
            root = _search_retrieve(req)
    except SRUDiagnostic as diagnostic:
        root = _failure(version, operation, diagnostic)
    except Exception:
        logger.exception("SRU request failed: %s", request.query_string[:500])
        root = _failure(version, operation, SRUDiagnostic(Diagnostic.GENERAL_SYSTEM_ERROR))
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return Response(body, status=200, mimetype="text/xml")


def _search_retrieve(req: operations.SRURequest) -> etree._Element:
    page = operations.search(req)
    store = get_store()
    records = []
    for mms_id in page.ids:
        try:
            data = build_record(store, mms_id, req.record_schema)
        except Exception:  # one odd record must not sink the page: it becomes a surrogate
            logger.exception("cannot build record %s as %s", mms_id, req.record_schema)
            data = SRUDiagnostic(Diagnostic.GENERAL_SYSTEM_ERROR, mms_id)
        if data is None:
            data = SRUDiagnostic(Diagnostic.RECORD_DOES_NOT_EXIST, mms_id)
        records.append((mms_id, data))
    return responses.search_retrieve(req, page.total, records, [])


def _zeerex(version: str) -> etree._Element:
    try:
        local = index.local_tags(operations.get_searcher())
    except SRUDiagnostic:
        local = []
    host = request.host.split(":")[0]
    port = (
        request.host.rsplit(":", 1)[1]
        if ":" in request.host
        else ("443" if request.is_secure else "80")
    )
    database = request.path.lstrip("/")
    return responses.zeerex(
        host, int(port) if port.isdigit() else 80, database, version, local, current_app.config
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
        index.follow(app, lambda: open_store(config), config["INDEX_DIR"], interval)


def init_app(app: Flask) -> None:
    """Registers the SRU routes and closes each request's searcher at teardown."""
    app.register_blueprint(bp)
    app.teardown_appcontext(operations.close_searcher)
    # cql-parser logs every syntax error at ERROR level; the client gets diagnostic 10 instead
    logging.getLogger("cql").setLevel(logging.CRITICAL)
