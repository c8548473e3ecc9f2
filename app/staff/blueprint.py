"""The ``/staff`` blueprint, to which :mod:`~app.staff.api` and :mod:`~app.staff.pages` add routes."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="templates")
