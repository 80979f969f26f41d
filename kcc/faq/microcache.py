"""A micro-cache in front of the app for the public FAQ: the same answer for up to a second.

When a crisis breaks, thousands of residents open the same FAQ page at once. The page is
already cached per version inside Flask, but each request still costs Flask's routing, the
session and login checks, the version query and the request log: about 2 ms of CPU, so two
cores top out near 850 pages a second. This WSGI layer answers a repeat of an anonymous GET
from memory for `seconds` (one by default), the way a reverse proxy's micro-cache would, and
lets everything else through untouched. A publication therefore shows within a second, and
the page's own Cache-Control (60 s for browsers and proxies) is unchanged.

Only responses that say they may be shared are kept: status 200, `Cache-Control: public`, no
Set-Cookie. Requests with a cookie or an Authorization header always go to the app, so a
logged-in employee never gets, and never leaves, a shared copy. The request-id header is not
replayed: a cached answer has no request of its own.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# Headers that belong to one request, not to the page.
_PER_REQUEST_HEADERS = frozenset({"x-request-id", "date", "set-cookie"})


@dataclass(frozen=True)
class StoredResponse:
    """A response kept for replay: status, headers without per-request ones, body, ETag."""

    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    etag: str | None
    stored_at: float


class MicroCache:
    """WSGI middleware keeping shareable GET answers under the given path prefixes briefly."""

    def __init__(
        self,
        app: WsgiApp,
        *,
        prefixes: tuple[str, ...],
        seconds: float,
        max_entries: int = 500,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.prefixes = prefixes
        self.seconds = seconds
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[tuple[str, ...], StoredResponse] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if not self.may_use_cache(environ):
            return self.app(environ, start_response)
        key = cache_key(environ)
        stored = self.fresh(key) or self.fetch(environ, key)
        return replay(stored, environ, start_response)

    def may_use_cache(self, environ: dict[str, Any]) -> bool:
        """An anonymous GET or HEAD of a public path, with no cookie and no credentials."""
        return (
            environ.get("REQUEST_METHOD") in ("GET", "HEAD")
            and environ.get("PATH_INFO", "").startswith(self.prefixes)
            and not environ.get("HTTP_COOKIE")
            and not environ.get("HTTP_AUTHORIZATION")
        )

    def fresh(self, key: tuple[str, ...]) -> StoredResponse | None:
        """The stored answer for key if it is younger than `seconds`."""
        with self._lock:
            stored = self._entries.get(key)
            if stored is None:
                return None
            if self.clock() - stored.stored_at >= self.seconds:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return stored

    def fetch(self, environ: dict[str, Any], key: tuple[str, ...]) -> StoredResponse:
        """Ask the app for the full page (no conditional headers); keep it if shareable."""
        plain = {
            name: value
            for name, value in environ.items()
            if name not in ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")
        }
        plain["REQUEST_METHOD"] = "GET"
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            captured["status"], captured["headers"] = status, headers

        chunks = self.app(plain, capture)
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        status, headers = captured.get("status", "500 INTERNAL SERVER ERROR"), captured["headers"]
        kept = shareable(status, headers)
        if kept is None:
            # Not for sharing (an error page, a redirect): this request's own answer, as is.
            return StoredResponse(status, tuple(headers), body, None, 0.0)
        stored = StoredResponse(status, kept, body, header(headers, "etag"), self.clock())
        with self._lock:
            self._entries[key] = stored
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return stored


def cache_key(environ: dict[str, Any]) -> tuple[str, ...]:
    """Host, path and query: the feed's absolute links depend on the host."""
    return (
        environ.get("wsgi.url_scheme", "http"),
        environ.get("HTTP_HOST", ""),
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
    )


def header(headers: list[tuple[str, str]], name: str) -> str | None:
    """A header's value by case-insensitive name."""
    return next((value for key, value in headers if key.lower() == name), None)


def shareable(status: str, headers: list[tuple[str, str]]) -> tuple[tuple[str, str], ...] | None:
    """The headers to replay if the response may be shared with anyone, otherwise None."""
    if not status.startswith("200") or header(headers, "set-cookie") is not None:
        return None
    if "public" not in (header(headers, "cache-control") or "").lower():
        return None
    return tuple((n, v) for n, v in headers if n.lower() not in _PER_REQUEST_HEADERS)


def replay(
    stored: StoredResponse, environ: dict[str, Any], start_response: Callable[..., Any]
) -> list[bytes]:
    """Answer from the stored response: 304 when the client has this ETag, else the page."""
    client_etags = environ.get("HTTP_IF_NONE_MATCH", "")
    if stored.etag and stored.etag in [tag.strip() for tag in client_etags.split(",")]:
        headers = [
            (n, v) for n, v in stored.headers if n.lower() not in ("content-length", "content-type")
        ]
        start_response("304 NOT MODIFIED", headers)
        return []
    start_response(stored.status, list(stored.headers))
    return [] if environ.get("REQUEST_METHOD") == "HEAD" else [stored.body]
