"""The ``/publish`` blueprint: who may enter (an API key), and how errors answer (HTML or JSON)."""

from __future__ import annotations

import logging
import sqlite3

from flask import Blueprint, Response, g, jsonify, make_response, render_template, request

from app.downloads import credentials
from indexer.store.schema import StoreError

logger = logging.getLogger(__name__)

bp = Blueprint("downloads", __name__, url_prefix="/publish", template_folder="templates")


@bp.before_request
def authenticate() -> Response | None:
    """Refuses, with a Basic challenge, every request of the blueprint without an accepted key."""
    source, problem = credentials.check(request)
    if problem:
        response = error_response(401, problem)
        response.headers["WWW-Authenticate"] = credentials.CHALLENGE
        return response
    g.download_key_source = source
    return None


@bp.errorhandler(StoreError)
@bp.errorhandler(sqlite3.Error)
def unavailable(error: Exception) -> Response:
    """A store that cannot be opened or read (missing, locked) is a 503, never a traceback."""
    logger.error("download page while the store is unavailable: %s", error)
    return error_response(503, "The catalogue is not available now; try again later.")


TITLES = {
    401: "Authentication required",
    404: "Not found",
    410: "Gone",
    503: "Service unavailable",
}


def error_response(status: int, message: str) -> Response:
    """Returns an error: JSON for the ``/publish/api/`` routes, else a small HTML page."""
    if (request.endpoint or "").startswith("downloads.api_"):
        response = jsonify({"error": message, "status": status})
    else:
        title = TITLES.get(status, "Error")
        response = make_response(
            render_template("downloads/error.html", title=title, message=message)
        )
    response.status_code = status
    return response
