"""OAI-PMH 2.0 data provider, at ``/oai`` and at Alma's ``/view/oai/<institution>/request``.

Requests are validated (``verbs.py``), then dispatched through :data:`BUILDERS` to one builder per
verb (``responses.py``, ``lists.py``). Every OAI-PMH error is answered with HTTP 200.
Ref: <https://www.openarchives.org/OAI/openarchivesprotocol.html>
"""

from __future__ import annotations

import gzip
import logging
import time
import zlib
from collections.abc import Callable

from flask import Blueprint, Flask, Response, current_app, request

from app.oai import lists, responses
from app.oai.errors import OAIError
from app.oai.responses import Context
from app.oai.verbs import Arguments, parse
from app.resources import get_store
from indexer.store.records import StoreError

logger = logging.getLogger(__name__)

bp = Blueprint("oai", __name__)

BUILDERS: dict[str, Callable[[Context, Arguments], bytes]] = {
    "Identify": responses.identify,
    "ListMetadataFormats": responses.list_metadata_formats,
    "ListSets": responses.list_sets,
    "GetRecord": responses.get_record,
    "ListIdentifiers": lists.list_headers_or_records,
    "ListRecords": lists.list_headers_or_records,
}
"""verb -> builder of its response."""


@bp.route("/oai", methods=["GET", "POST"])
@bp.route("/view/oai/<institution>/request", methods=["GET", "POST"])
def endpoint(institution: str | None = None) -> Response:
    """Answers one OAI-PMH request (GET query string or POST form), errors included, with 200."""
    values = request.form if request.method == "POST" else request.args
    try:
        store = get_store()
    except StoreError as exc:
        # not an OAI-PMH condition: the service itself is unavailable
        logger.error("OAI-PMH request while the store cannot be opened: %s", exc)
        return Response("the catalogue is unavailable\n", status=503, mimetype="text/plain")
    ctx = Context(store, current_app.config, request.base_url, int(time.time()))
    args = None
    try:
        args = parse(values)
        body = BUILDERS[args.verb](ctx, args)
    except OAIError as exc:
        body = responses.error(ctx, exc, args)
    return _compressed(body)


def _compressed(body: bytes) -> Response:
    """Returns the response, gzip- or deflate-encoded when the client's Accept-Encoding asks."""
    response = Response(body, status=200, content_type="text/xml; charset=utf-8")
    response.vary.add("Accept-Encoding")
    accepted = request.accept_encodings
    level = int(current_app.config["OAI_COMPRESSION_LEVEL"])
    coding = max(
        (c for c in responses.COMPRESSIONS if accepted[c] > 0),
        key=lambda c: accepted[c],
        default=None,
    )
    if coding == "gzip":
        response.set_data(gzip.compress(body, compresslevel=level, mtime=0))
    elif coding == "deflate":
        response.set_data(zlib.compress(body, level))
    if coding:
        response.headers["Content-Encoding"] = coding
    return response


def init_app(app: Flask) -> None:
    """Registers the OAI-PMH routes."""
    app.register_blueprint(bp)
