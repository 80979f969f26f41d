"""A real redis-server on a free port of 127.0.0.1, without persistence, for the job tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

LOCALHOST = "127.0.0.1"
STARTUP_SECONDS = 10


def free_port() -> int:
    """A TCP port on localhost that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((LOCALHOST, 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """redis-server as a child process; `url` is what REDIS_URL gets."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{LOCALHOST}:{self.port}/0"

    def client(self) -> Redis:
        """A client of this server."""
        return Redis.from_url(self.url)

    def start(self) -> None:
        """Start the server and wait until it answers PING."""
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.port = free_port()
        self.process = subprocess.Popen(  # noqa: S603  (our own arguments)
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                LOCALHOST,
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + STARTUP_SECONDS
        client = self.client()
        while True:
            try:
                client.ping()
                break
            except RedisConnectionError:  # not listening yet
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise
            time.sleep(0.05)
        client.close()

    def clear(self) -> None:
        """Forget every key (queues, results, rate-limit counters, schedule claims)."""
        client = self.client()
        client.flushall()
        client.close()

    def stop(self) -> None:
        """Stop the server."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
