"""The staff web page: profiles with a Run button, and the run history (server-rendered HTML)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app, redirect, render_template, request, url_for

from app.auth import given_key, require_api_key
from app.resources import get_store
from app.staff.blueprint import bp
from app.staff.runner import start_run
from harvester.profiles import LockedError, ProfileError, Profiles
from harvester.report import report_from_run


def _when(seconds: float | None) -> str:
    if not seconds:
        return ""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@bp.get("/")
@require_api_key
def index() -> str:
    profiles = Profiles(get_store())
    runs: list[dict[str, Any]] = []
    for run in profiles.runs(limit=30):
        report = report_from_run(run)
        runs.append(
            {
                "report": report,
                "started": _when(run["started"]),
                "finished": _when(run["finished"]),
            }
        )
    return render_template(
        "staff/index.html",
        profiles=[(p, profiles.locked(p.name)) for p in profiles.all()],
        runs=runs,
        apikey=given_key() if "apikey" in request.args else None,
        message=request.args.get("message"),
    )


@bp.post("/profiles/<name>/run")
@require_api_key
def run_profile(name: str) -> Any:
    full = request.form.get("full") == "1"
    try:
        run_id = start_run(current_app.config, name, full=full)
        message = f"Run {run_id} of {name} started." if run_id else "The run has not started yet."
    except (ProfileError, LockedError) as exc:
        message = str(exc)
    args: dict[str, Any] = {"message": message}
    if "apikey" in request.args:
        args["apikey"] = request.args["apikey"]
    return redirect(url_for("staff.index", **args), code=303)
