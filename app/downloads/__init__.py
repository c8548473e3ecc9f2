"""The download page of file publishing: the files each profile's runs wrote, behind an API key.

Routes (every one needs an API key: HTTP Basic with the key as password and any user name,
``?apikey=KEY``, or the header ``Authorization: apikey KEY``; else 401 with a Basic challenge)::

    GET /publish/                                   the page: profiles, recent runs, their files
    GET /publish/api/files                          the same as JSON
    GET /publish/api/profiles/<name>/files          one profile as JSON
    GET /publish/files/<profile>/<file name>        one file (conditional requests, ranges)

Only a file that a run of the profile recorded, lying in the profile's output directory, is
served; any other name is a 404, and a recorded file removed from disk since is a 410 (Gone).
"""

from __future__ import annotations

import logging
import sqlite3

from flask import Blueprint, Flask, Response, g, request

from app.downloads import credentials
from indexer.store import StoreError

logger = logging.getLogger(__name__)

bp = Blueprint("downloads", __name__, url_prefix="/publish", template_folder="templates")


@bp.before_request
def authenticate() -> Response | None:
    """Refuses, with a Basic challenge, every request of the blueprint without an accepted key."""
    source, problem = credentials.check(request)
    if problem:
        from app.downloads.views import error_response

        response = error_response(401, problem)
        response.headers["WWW-Authenticate"] = credentials.CHALLENGE
        return response
    g.download_key_source = source
    return None


@bp.errorhandler(StoreError)
@bp.errorhandler(sqlite3.Error)
def unavailable(error: Exception) -> Response:
    """A store that cannot be opened or read (missing, locked) is a 503, never a traceback."""
    from app.downloads.views import error_response

    logger.error("download page while the store is unavailable: %s", error)
    return error_response(503, "The catalogue is not available now; try again later.")


def init_app(app: Flask) -> None:
    """Registers the ``/publish`` blueprint."""
    from app.downloads import views  # noqa: F401 - it adds its routes to bp

    app.register_blueprint(bp)
