"""Staff pages and API: import profiles, harvest runs and their reports, behind an API key.

JSON API under ``/staff/api/`` (every route needs the key, see ``app/auth.py``)::

    GET    /staff/api/profiles                  the profiles
    POST   /staff/api/profiles                  create one (JSON body: the profile's settings)
    GET    /staff/api/profiles/<name>           one profile, with its lock state and last run
    PUT    /staff/api/profiles/<name>           change settings (PATCH too)
    DELETE /staff/api/profiles/<name>           remove it (its run history stays)
    POST   /staff/api/profiles/<name>/runs      start a run in the background (?full=true) -> 202
    GET    /staff/api/profiles/<name>/runs      its run history
    GET    /staff/api/runs/<id>                 live progress, then the report, of one run

The page ``/staff/`` lists the profiles with a Run button and the run history. ``/health``
(:mod:`app.staff.health`, no key) answers monitoring.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.staff import api, health, pages
from app.staff.blueprint import bp

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Registers the staff blueprint (``api`` and ``pages`` add their routes to it) and ``/health``."""
    assert api.bp is bp and pages.bp is bp
    app.register_blueprint(bp)
    health.init_app(app)
