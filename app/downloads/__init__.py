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

from typing import TYPE_CHECKING

from app.downloads import views
from app.downloads.blueprint import bp

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Registers the ``/publish`` blueprint (:mod:`~app.downloads.views` adds its routes to it)."""
    assert views.bp is bp
    app.register_blueprint(bp)
