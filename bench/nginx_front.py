"""nginx in front of the app server for a benchmark run, configured as production would run it.

A reverse proxy on 127.0.0.1 (docs/operations.md, "HTTPS and a reverse proxy"; TLS left out):
everything goes to gunicorn uncached over kept-alive connections, except the public FAQ under
/faq/, which nginx answers from a micro-cache of one second. The configuration, cache and logs
live in a folder of the run's own; nothing under /etc/nginx is read, and a system nginx on
port 80 does not matter. Needs nginx (Debian: `apt-get install -y --no-install-recommends
nginx`); nginx_binary() says whether it is there.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.load_harness import free_port

INSTALL_HINT = (
    "nginx is not installed; install it with: apt-get install -y --no-install-recommends nginx"
)
# How reports name the path the FAQ took (proxy_cache_valid below).
FAQ_CACHE_LABEL = "nginx micro-cache (1 s)"
# What $upstream_cache_status says when nginx answered without asking gunicorn.
SERVED_FROM_CACHE = frozenset({"HIT", "UPDATING", "STALE"})

# The FAQ location as docs/operations.md recommends it for production (there without the
# benchmark's cache-status log).
FAQ_LOCATION = """\
        # The public FAQ: one copy of each page for all anonymous readers for a second or two,
        # so a crowd of readers costs gunicorn at most one request a second per page.
        location /faq/ {
            proxy_pass http://kcc;
            proxy_cache faq;
            proxy_cache_key $scheme$host$request_uri;
            # The app sends max-age=60 for browsers, which nginx would prefer over
            # proxy_cache_valid: ignored here, so a publication shows within two seconds
            # (nginx counts whole seconds: "1s" keeps a copy for one to two seconds). This
            # also ignores the "private, no-store" the app sends to a logged-in visitor; that
            # is safe only because a request with a cookie or credentials never uses the cache
            # (bypass and no_cache below). Set-Cookie is not ignored: nginx never stores a
            # response that sets a cookie.
            proxy_ignore_headers Cache-Control Expires;
            proxy_cache_valid 200 1s;
            # One request per page refreshes the copy; the others get the old one meanwhile,
            # and while gunicorn is down or failing they get the last good one. The connection
            # whose request started a refresh waits for it before its next request is read
            # (nginx trac #1723): one slow request per page every two seconds.
            proxy_cache_lock on;
            proxy_cache_use_stale updating error timeout http_500 http_502 http_503;
            proxy_cache_background_update on;
            proxy_cache_bypass $http_cookie$http_authorization;
            proxy_no_cache $http_cookie$http_authorization;
            add_header X-Cache-Status $upstream_cache_status always;
            @FAQ_ACCESS_LOG@
        }
"""

CONFIG_TEMPLATE = """\
# kcc behind nginx for a benchmark run (bench/nginx_front.py); written for this run only.
worker_processes 1;
@USER@
pid @FOLDER@/nginx.pid;
error_log @FOLDER@/error.log warn;

events {
    worker_connections 1024;
}

http {
    default_type application/octet-stream;
    access_log off;
    # nginx's compiled-in temporary folders are under /var/lib/nginx: the run's own instead.
    client_body_temp_path @FOLDER@/client-body;
    proxy_temp_path @FOLDER@/proxy;
    fastcgi_temp_path @FOLDER@/fastcgi;
    uwsgi_temp_path @FOLDER@/uwsgi;
    scgi_temp_path @FOLDER@/scgi;

    # 1 MB of keys holds about 8,000 pages; the pages themselves are files in the run's folder.
    proxy_cache_path @FOLDER@/faq-cache levels=1:2 keys_zone=faq:1m max_size=64m inactive=10m
                     use_temp_path=off;
    log_format cache_status '$upstream_cache_status';

    upstream kcc {
        # A group of one server is never marked down, so a restarted gunicorn gets requests
        # again at once.
        server 127.0.0.1:@UPSTREAM_PORT@;
        keepalive 32;
    }

    server {
        listen 127.0.0.1:@PORT@;
        # The app's own limit (MAX_CONTENT_LENGTH, 2 MiB); nginx's default would stop at 1 MiB.
        client_max_body_size 2m;

        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;

        location / {
            proxy_pass http://kcc;
        }

@FAQ_LOCATION@    }
}
"""


@dataclass(frozen=True)
class NginxFront:
    """A running nginx in front of the app server, with its folder."""

    port: int
    folder: Path
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        """The master process (its workers are its children)."""
        return self.process.pid

    def url(self, path: str) -> str:
        """An address behind nginx."""
        return f"http://127.0.0.1:{self.port}{path}"

    def faq_cache_statuses(self) -> Counter[str]:
        """$upstream_cache_status per FAQ response; complete once nginx has stopped."""
        log = self.folder / "faq-cache-status.log"
        if not log.exists():
            return Counter()
        return Counter(log.read_text().split())


def nginx_binary() -> str | None:
    """nginx's path; Debian puts it in /usr/sbin, which a user's PATH may lack."""
    found = shutil.which("nginx")
    if found is None and Path("/usr/sbin/nginx").exists():
        found = "/usr/sbin/nginx"
    return found


def render_config(folder: Path, port: int, upstream_port: int) -> str:
    """nginx.conf for this run: proxy to the upstream, micro-cache /faq/, files in folder."""
    # Counting cache statuses costs a buffered write per FAQ response; the rest logs nothing.
    access_log = f"access_log {folder}/faq-cache-status.log cache_status buffer=64k flush=1s;"
    # Run as root (a CI container), the workers would switch to nobody, who may not enter the
    # run's private folder.
    user = "user root;" if os.geteuid() == 0 else ""
    return (
        CONFIG_TEMPLATE.replace("@FAQ_LOCATION@", FAQ_LOCATION)
        .replace("@FAQ_ACCESS_LOG@", access_log)
        .replace("@USER@", user)
        .replace("@FOLDER@", str(folder))
        .replace("@UPSTREAM_PORT@", str(upstream_port))
        .replace("@PORT@", str(port))
    )


@contextmanager
def nginx_front(upstream_port: int, folder: Path) -> Iterator[NginxFront]:
    """nginx on a free port of 127.0.0.1 in front of upstream_port; stopped afterwards.

    The folder (created if missing) holds the configuration, cache and logs, and stays for
    the caller to read (faq_cache_statuses) and remove.
    """
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError(INSTALL_HINT)
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    configuration = folder / "nginx.conf"
    configuration.write_text(render_config(folder, port, upstream_port))
    with (folder / "nginx.out").open("ab") as output:
        process = subprocess.Popen(  # noqa: S603  (nginx with our own configuration)
            [binary, "-p", str(folder), "-c", str(configuration), "-g", "daemon off;"],
            stdout=output,
            stderr=output,
        )
    front = NginxFront(port, folder, process)
    try:
        wait_until_listening(front)
        yield front
    finally:
        stop(process)


def wait_until_listening(front: NginxFront, timeout: float = 10.0) -> None:
    """Wait until nginx accepts connections; raise with its error log when it exits."""
    deadline = time.monotonic() + timeout
    while True:
        if front.process.poll() is not None:
            logs = [front.folder / "nginx.out", front.folder / "error.log"]
            text = "".join(log.read_text() for log in logs if log.exists())
            raise RuntimeError(f"nginx stopped at start:\n{text}")
        try:
            with socket.create_connection(("127.0.0.1", front.port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGQUIT (finish open requests, flush the logs), then SIGTERM, then SIGKILL."""
    for sent, wait in ((signal.SIGQUIT, 10), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        if process.poll() is not None:
            return
        process.send_signal(sent)
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def cache_status(url: str, headers: dict[str, str] | None = None) -> str:
    """The X-Cache-Status nginx gives one GET of url (empty when it sends none)."""
    address, _, path = url.removeprefix("http://").partition("/")
    host, _, port = address.partition(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", "/" + path, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.getheader("X-Cache-Status", "")
    finally:
        connection.close()


def probe_micro_cache(url: str) -> dict[str, str]:
    """X-Cache-Status of two anonymous GETs and of GETs with a cookie and with credentials."""
    return {
        "anonymous GET": cache_status(url),
        "the same again": cache_status(url),
        "with a Cookie": cache_status(url, {"Cookie": "session=probe"}),
        "with Authorization": cache_status(url, {"Authorization": "Bearer probe"}),
    }
