"""The staff JSON API: profiles and harvest runs (see the package docstring for the routes)."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request, url_for

from app.auth import require_api_key
from app.resources import get_store
from app.staff.blueprint import bp
from app.staff.runner import start_run
from harvester.profiles import LockedError, Profile, ProfileError, Profiles
from harvester.report import report_from_run


def _error(status: int, message: str) -> tuple[Response, int]:
    return jsonify({"error": message}), status


def _body() -> dict[str, Any] | None:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else None


def run_json(run: dict[str, Any]) -> dict[str, Any]:
    """Returns a run as the API shows it: progress fields plus the report."""
    report = report_from_run(run).to_dict()
    report["token_pending"] = bool(run["token"])
    report["started"] = run["started"]
    report["finished"] = run["finished"]
    report["url"] = url_for("staff.api_run", run_id=run["id"], _external=False)
    return report


def _profile_json(profiles: Profiles, profile: Profile) -> dict[str, Any]:
    data = profile.to_dict()
    data["running"] = profiles.locked(profile.name)
    runs = profiles.runs(profile.name, limit=1)
    data["last_run"] = run_json(runs[0]) if runs else None
    return data


@bp.get("/api/profiles")
@require_api_key
def api_profiles() -> Response:
    profiles = Profiles(get_store())
    return jsonify({"profiles": [_profile_json(profiles, p) for p in profiles.all()]})


@bp.post("/api/profiles")
@require_api_key
def api_create_profile() -> Any:
    data = _body()
    if data is None:
        return _error(400, "send the profile as a JSON object")
    profiles = Profiles(get_store())
    try:
        profile = profiles.save(Profile.from_dict(data), create=True)
    except ProfileError as exc:
        return _error(409 if "exists" in str(exc) else 400, str(exc))
    response = jsonify(_profile_json(profiles, profile))
    response.status_code = 201
    response.headers["Location"] = url_for("staff.api_profile", name=profile.name)
    return response


@bp.get("/api/profiles/<name>")
@require_api_key
def api_profile(name: str) -> Any:
    profiles = Profiles(get_store())
    try:
        return jsonify(_profile_json(profiles, profiles.get(name)))
    except ProfileError as exc:
        return _error(404, str(exc))


@bp.route("/api/profiles/<name>", methods=["PUT", "PATCH"])
@require_api_key
def api_update_profile(name: str) -> Any:
    data = _body()
    if data is None:
        return _error(400, "send the settings to change as a JSON object")
    profiles = Profiles(get_store())
    try:
        profiles.get(name)
    except ProfileError as exc:
        return _error(404, str(exc))
    try:
        profile = profiles.update(name, data)
    except ProfileError as exc:
        return _error(400, str(exc))
    return jsonify(_profile_json(profiles, profile))


@bp.delete("/api/profiles/<name>")
@require_api_key
def api_remove_profile(name: str) -> Any:
    try:
        Profiles(get_store()).remove(name)
    except ProfileError as exc:
        return _error(404, str(exc))
    return "", 204


@bp.post("/api/profiles/<name>/runs")
@require_api_key
def api_start_run(name: str) -> Any:
    try:
        Profiles(get_store()).get(name)
    except ProfileError as exc:
        return _error(404, str(exc))
    full = request.args.get("full", "").lower() in ("1", "true", "yes")
    try:
        run_id = start_run(current_app.config, name, full=full)
    except LockedError as exc:
        return _error(409, str(exc))
    if run_id is None:
        return _error(503, "the run has not started yet (the database is busy); try again")
    run = Profiles(get_store()).run(run_id)
    response = jsonify(run_json(run) if run else {"id": run_id})
    response.status_code = 202
    response.headers["Location"] = url_for("staff.api_run", run_id=run_id)
    return response


@bp.get("/api/profiles/<name>/runs")
@require_api_key
def api_profile_runs(name: str) -> Response:
    limit = request.args.get("limit", "50")
    limit_n = int(limit) if limit.isdigit() else 50
    runs = Profiles(get_store()).runs(name, limit=min(limit_n, 500))
    return jsonify({"runs": [run_json(r) for r in runs]})


@bp.get("/api/runs/<int:run_id>")
@require_api_key
def api_run(run_id: int) -> Any:
    run = Profiles(get_store()).run(run_id)
    if run is None:
        return _error(404, f"no run {run_id}")
    return jsonify(run_json(run))
