"""Static files: links carry a content hash, so browsers may keep them for a year."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import Flask

STYLESHEET_LINK = re.compile(r'href="(/static/css/kcc\.css\?v=([0-9a-f]+))"')


def test_links_to_static_files_carry_the_hash_of_their_content(app: Flask) -> None:
    page = app.test_client().get("/login").get_data(as_text=True)

    version = STYLESHEET_LINK.search(page).group(2)  # type: ignore[union-attr]
    content = Path(app.static_folder or "", "css", "kcc.css").read_bytes()
    assert hashlib.sha256(content).hexdigest().startswith(version)


def test_the_current_version_is_cached_for_a_year_and_anything_else_revalidated(
    app: Flask,
) -> None:
    client = app.test_client()
    link = STYLESHEET_LINK.search(client.get("/login").get_data(as_text=True)).group(1)  # type: ignore[union-attr]

    responses = {
        "current": client.get(link),
        "unversioned": client.get("/static/css/kcc.css"),
        "outdated": client.get("/static/css/kcc.css?v=000000000000"),
    }
    for response in responses.values():
        response.close()  # a static file is sent from an open file

    current = responses.pop("current")
    assert current.status_code == 200
    assert current.cache_control.max_age == 365 * 24 * 60 * 60
    assert current.cache_control.immutable and current.cache_control.public
    for response in responses.values():
        assert response.status_code == 200
        assert response.cache_control.no_cache and not response.cache_control.max_age
        assert response.headers["ETag"]
