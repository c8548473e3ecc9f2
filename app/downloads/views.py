"""The download page, its JSON listing and the file downloads (routes in the package docstring)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import Response, g, jsonify, render_template, request, send_file, url_for
from werkzeug.exceptions import RequestedRangeNotSatisfiable

from app.downloads.blueprint import bp, error_response
from app.downloads.listing import (
    STATES,
    FileEntry,
    Gone,
    NotPublished,
    ProfileEntry,
    mimetype,
    open_published,
    profile_entry,
)
from app.resources import get_store
from indexer.publishing.profile import PublishProfile
from indexer.publishing.profiles import Profiles

logger = logging.getLogger(__name__)

RUNS_SHOWN = 20
"""Runs of each profile listed, newest first."""


def _iso(seconds: float | None) -> str | None:
    if not seconds:
        return None
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _when(seconds: float | None) -> str:
    if not seconds:
        return ""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _enrichment(profile: PublishProfile) -> str:
    extras = [
        text
        for text, on in (
            ("852 holdings", profile.holdings_852),
            ("AVA/AVE/AVD availability", profile.availability),
            ("normalization rules", bool(profile.rules.strip())),
        )
        if on
    ]
    return ", ".join(extras) or "none"


def _page_url(profile: str, name: str) -> str:
    """Returns a file's link on the page: with the key only when the page was opened with one."""
    args = {}
    if g.get("download_key_source") == "param":
        args["apikey"] = request.args["apikey"]
    return url_for("downloads.download", profile=profile, filename=name, **args)


def _file_json(profile: str, entry: FileEntry) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": entry.name,
        "state": entry.state,
        "size": entry.size,
        "modified": _iso(entry.modified),
        "media_type": mimetype(entry.name),
        "url": None,
    }
    if entry.state == "available":
        # never a key in a URL of the listing: scripts send theirs with each request
        data["url"] = url_for(
            "downloads.download", profile=profile, filename=entry.name, _external=True
        )
    return data


def profile_json(entry: ProfileEntry) -> dict[str, Any]:
    """Returns a profile, its recent runs and their files as the JSON listing shows them."""
    p = entry.profile
    return {
        "name": p.name,
        "selection": p.selection,
        "format": p.format,
        "holdings_852": p.holdings_852,
        "availability": p.availability,
        "rules": bool(p.rules.strip()),
        "compress": p.compress,
        "output": p.output,
        "problem": entry.problem,
        "runs": [
            {
                "id": r.run.id,
                "mode": r.run.mode,
                "status": r.run.status,
                "started": _iso(r.run.started),
                "finished": _iso(r.run.finished),
                "records": r.run.records,
                "deleted": r.run.deleted,
                "skipped": r.run.skipped,
                "message": r.run.message,
                "files": [_file_json(p.name, f) for f in r.files],
            }
            for r in entry.runs
        ],
    }


def _entries() -> list[ProfileEntry]:
    profiles = Profiles(get_store())
    return [profile_entry(profiles, p, RUNS_SHOWN) for p in profiles.all()]


@bp.get("/")
def index() -> str:
    """The page: each profile's settings, recent runs and their files with download links."""
    return render_template(
        "downloads/index.html",
        profiles=_entries(),
        states=STATES,
        file_url=_page_url,
        when=_when,
        enrichment=_enrichment,
    )


@bp.get("/api/files")
def api_files() -> Response:
    """Every profile with its recent runs and files, as JSON."""
    return jsonify({"profiles": [profile_json(e) for e in _entries()]})


@bp.get("/api/profiles/<name>/files")
def api_profile_files(name: str) -> Response:
    """One profile with its recent runs and files, as JSON."""
    profiles = Profiles(get_store())
    profile = profiles.get(name)
    if profile is None:
        return error_response(404, f"No publishing profile {name!r}.")
    return jsonify(profile_json(profile_entry(profiles, profile, RUNS_SHOWN)))


def _conditional(response: Response, size: int) -> Response:
    """Answers If-None-Match, If-Modified-Since and Range (one range; 416 beyond the end)."""
    environ = request.environ
    if request.range is not None and len(request.range.ranges) > 1:
        # werkzeug serves one range only; RFC 9110 section 14.2 lets a server ignore Range
        environ = {k: v for k, v in environ.items() if k != "HTTP_RANGE"}
    return response.make_conditional(environ, accept_ranges=True, complete_length=size)


# merge_slashes off: "//etc/passwd" must not be redirected to a name that looks relative
@bp.get("/files/<profile>/<path:filename>", merge_slashes=False)
def download(profile: str, filename: str) -> Response:
    """One published file, as an attachment, with ETag, Last-Modified and byte ranges."""
    profiles = Profiles(get_store())
    found = profiles.get(profile)
    if found is None:
        return error_response(404, f"No publishing profile {profile!r}.")
    try:
        file, info = open_published(profiles, found, filename)
    except Gone:
        return error_response(410, f"{filename} was published by {profile}, and removed since.")
    except NotPublished:
        return error_response(404, f"{profile} has published no file called {filename!r}.")
    etag = f"{info.st_ino:x}-{info.st_size:x}-{info.st_mtime_ns:x}"
    response = send_file(
        file,
        mimetype=mimetype(filename),
        as_attachment=True,
        download_name=filename,
        etag=etag,
        last_modified=info.st_mtime,
    )
    # send_file knows the size of a path, not of an open file: make the answer conditional here
    response.content_length = info.st_size
    response.cache_control.private = True
    try:
        response = _conditional(response, info.st_size)
    except RequestedRangeNotSatisfiable:
        response.close()  # werkzeug answers 416 from the exception
        raise
    logger.info(
        "download %s/%s by %s: %d", profile, filename, request.remote_addr, response.status_code
    )
    return response
