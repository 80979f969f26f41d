"""gunicorn settings for `make serve-prod` (gunicorn --config python:kcc.operations.gunicorn_conf).

gunicorn reads this module's names as its settings, so unlike the rest of kcc it reads the
environment at import time: HOST (127.0.0.1), PORT (8000), WEB_CONCURRENCY (workers, 2),
KCC_THREADS (threads per worker, 4), KCC_GRACEFUL_TIMEOUT (seconds in-flight requests get
after SIGTERM, 30), KCC_REQUEST_TIMEOUT (seconds before a stuck worker is replaced, 60) and
FORWARDED_ALLOW_IPS (proxies whose X-Forwarded-Proto is believed, 127.0.0.1).

Logs: every line on stderr is one JSON object. The app writes the access log itself, one line
per request with its request id and duration, path without query string (tokens and search
words stay out); gunicorn's own access log would repeat it with the query string, so it is off
(`AppWritesAccessLog`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from gunicorn.glogging import Logger


def settings_from(environ: Mapping[str, str]) -> dict[str, Any]:
    """The gunicorn settings for this environment."""
    threads = int(environ.get("KCC_THREADS", "4"))
    return {
        "wsgi_app": "kcc:create_app()",
        "bind": f"{environ.get('HOST', '127.0.0.1')}:{environ.get('PORT', '8000')}",
        "workers": int(environ.get("WEB_CONCURRENCY", "2")),
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "graceful_timeout": int(environ.get("KCC_GRACEFUL_TIMEOUT", "30")),
        "timeout": int(environ.get("KCC_REQUEST_TIMEOUT", "60")),
        "keepalive": 5,
        "forwarded_allow_ips": environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        "accesslog": None,
        "logger_class": "kcc.operations.gunicorn_conf.AppWritesAccessLog",
        "errorlog": "-",
        # gunicorn 25+ opens a control socket under $HOME: two kcc instances on one machine
        # would share it, and nothing here uses it.
        "control_socket_disable": True,
        "logconfig_dict": json_logging(),
    }


class AppWritesAccessLog(Logger):
    """gunicorn's logger without its access log.

    With logging configured by a dict, gunicorn builds every request's access-log fields even
    though no handler takes them: 2% of a worker's CPU in the load test.
    """

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        """The app logged the request already (kcc.observability)."""


def json_logging() -> dict[str, Any]:
    """Python logging config: gunicorn's messages and every library's as JSON lines."""
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "json",
        "filters": ["request_id"],
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "kcc.observability.RequestIdFilter"}},
        "formatters": {"json": {"()": "kcc.observability.JsonFormatter"}},
        # dictConfig consumes the dicts it is given: one copy per handler.
        "handlers": {"console": dict(handler), "error_console": dict(handler)},
        # Libraries speak up from warnings on; kcc's own logger ("kcc") logs each request.
        "root": {"level": "WARNING", "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
        },
    }


globals().update(settings_from(os.environ))
