"""Long browser caching for the app's CSS and JS, busted by a content hash in the URL.

Every url_for('static', filename=...) gets ?v=<first 12 hex of the file's SHA-256>. A request
carrying the current hash may be kept for a year without asking again (immutable): a changed
file has another hash, so another URL. A request without it, or with an old one, must be
revalidated (no-cache, the ETag answers 304), so an old page never pins an outdated file.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

from flask import Flask, current_app, request
from werkzeug.wrappers import Response

VERSION_ARGUMENT = "v"
ONE_YEAR_SECONDS = 365 * 24 * 60 * 60
VERSION_LENGTH = 12

# Hashes per (file, modification time): a stat per link instead of reading the file, and an
# edited file during development gets its new hash at once.
_versions: dict[tuple[str, int], str] = {}
_versions_lock = threading.Lock()


def static_version(folder: str, filename: str) -> str | None:
    """The short content hash of a static file, or None when there is no such file."""
    path = Path(folder, filename).resolve()
    if not path.is_relative_to(Path(folder).resolve()) or not path.is_file():
        return None
    key = (str(path), path.stat().st_mtime_ns)
    version = _versions.get(key)
    if version is None:
        version = hashlib.sha256(path.read_bytes()).hexdigest()[:VERSION_LENGTH]
        with _versions_lock:
            _versions[key] = version
    return version


def add_static_version(endpoint: str, values: dict[str, Any]) -> None:
    """Add ?v=<hash> to every link to a static file."""
    if endpoint != "static" or VERSION_ARGUMENT in values or "filename" not in values:
        return
    version = static_version(current_app.static_folder or "", values["filename"])
    if version is not None:
        values[VERSION_ARGUMENT] = version


def set_static_cache_lifetime(response: Response) -> Response:
    """A year and immutable for the current version of a file; revalidate anything else."""
    if request.endpoint != "static" or response.status_code not in {200, 304}:
        return response
    filename = (request.view_args or {}).get("filename", "")
    current = static_version(current_app.static_folder or "", filename)
    if current is not None and request.args.get(VERSION_ARGUMENT) == current:
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = ONE_YEAR_SECONDS
        response.cache_control.immutable = True
    else:
        response.cache_control.public = True
        response.cache_control.max_age = None
        response.cache_control.no_cache = True
    return response


def register_static_caching(app: Flask) -> None:
    """Version static links and set their cache lifetime."""
    app.url_defaults(add_static_version)
    app.after_request(set_static_cache_lifetime)
