"""A small stand-in for Open Klant's Klantinteracties API: a real HTTP server in a thread.

It implements only the endpoints kcc calls, records every request, and can be told to answer
an error status to the next few calls of an endpoint (to test retries).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.helpers import BackgroundServer

API_ROOT = "/klantinteracties/api/v1"
TOKEN = "test-token"


@dataclass
class Recorded:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    authorization: str


@dataclass
class OpenKlantState:
    """What the fake API holds: documents per collection, requests, planned failures."""

    documents: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    requests: list[Recorded] = field(default_factory=list)
    # (method, path) -> statuses to answer, one per call, before behaving normally.
    failures: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, method: str, path: str, *statuses: int) -> None:
        """Answer these statuses to the next calls of method + path (path below the root)."""
        self.failures[(method, path)] = list(statuses)

    def calls(self, method: str, path: str) -> list[Recorded]:
        """The recorded requests of one method and path (path below the root)."""
        return [r for r in self.requests if r.method == method and r.path == path]


class OpenKlantServer:
    """Start with `start()`, read `base_url`, stop with `stop()`."""

    def __init__(self) -> None:
        self.state = OpenKlantState()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(self.state))
        self.background = BackgroundServer(self.httpd, "open-klant")

    @property
    def base_url(self) -> str:
        """The API root kcc is configured with."""
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}{API_ROOT}"

    def start(self) -> OpenKlantServer:
        """Serve in the background."""
        self.background.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        self.background.stop()


def make_handler(state: OpenKlantState) -> type[BaseHTTPRequestHandler]:
    """A request handler bound to one server's state."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (stdlib name)
            """Keep test output quiet."""

        def do_GET(self) -> None:  # noqa: N802  (stdlib name)
            self.handle_call("GET")

        def do_POST(self) -> None:  # noqa: N802
            self.handle_call("POST")

        def do_PATCH(self) -> None:  # noqa: N802
            self.handle_call("PATCH")

        def handle_call(self, method: str) -> None:
            parts = urlsplit(self.path)
            path = parts.path.removeprefix(API_ROOT)
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            authorization = self.headers.get("Authorization", "")
            with state.lock:
                state.requests.append(
                    Recorded(method, path, dict(parse_qsl(parts.query)), body, authorization)
                )
                planned = state.failures.get((method, path))
                if planned:
                    status = planned.pop(0)
                    self.answer(
                        status,
                        {
                            "title": "Geplande fout",
                            "invalidParams": [
                                {
                                    "name": "kanaal",
                                    "code": "invalid",
                                    "reason": "Geplande weigering.",
                                }
                            ],
                        },
                    )
                    return
                if authorization != f"Token {TOKEN}":
                    self.answer(401, {"detail": "Ongeldige token."})
                    return
                host, port = self.server.server_address[:2]
                root = f"http://{host}:{port}{API_ROOT}"
                status, answer = route(method, path, dict(parse_qsl(parts.query)), body, root)
            self.answer(status, answer)

        def answer(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    def stored(collection: str, document: dict[str, Any], root: str) -> dict[str, Any]:
        key = str(uuid.uuid4())
        saved = {**document, "uuid": key, "url": f"{root}/{collection}/{key}"}
        state.documents[collection][key] = saved
        return saved

    def route(
        method: str, path: str, query: dict[str, str], body: Any, root: str
    ) -> tuple[int, Any]:
        if method == "POST" and path == "/maak-klantcontact":
            klantcontact = stored("klantcontacten", body["klantcontact"], root)
            answer: dict[str, Any] = {"klantcontact": klantcontact}
            if "betrokkene" in body:
                answer["betrokkene"] = stored(
                    "betrokkenen",
                    {**body["betrokkene"], "hadKlantcontact": {"uuid": klantcontact["uuid"]}},
                    root,
                )
            answer["onderwerpobject"] = stored(
                "onderwerpobjecten",
                {**body.get("onderwerpobject", {}), "klantcontact": {"uuid": klantcontact["uuid"]}},
                root,
            )
            return 201, answer
        collection = path.strip("/").split("/")[0]
        key = path.strip("/").split("/")[1] if path.count("/") > 1 else None
        if collection not in {"klantcontacten", "betrokkenen", "digitaleadressen", "internetaken"}:
            return 404, {"detail": "Niet gevonden."}
        if method == "POST" and key is None:
            return 201, stored(collection, body, root)
        if method == "GET" and key is None:
            results = [
                document
                for document in state.documents[collection].values()
                if matches(document, query)
            ]
            return 200, {"count": len(results), "results": results}
        if method == "PATCH" and key is not None:
            if key not in state.documents[collection]:
                return 404, {"detail": "Niet gevonden."}
            state.documents[collection][key].update(body)
            return 200, state.documents[collection][key]
        return 405, {"detail": "Methode niet toegestaan."}

    def matches(document: dict[str, Any], query: dict[str, str]) -> bool:
        for name, value in query.items():
            if name == "hadKlantcontact__uuid":
                if (document.get("hadKlantcontact") or {}).get("uuid") != value:
                    return False
            elif document.get(name) != value:
                return False
        return True

    return Handler
