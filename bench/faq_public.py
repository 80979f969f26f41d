"""Public FAQ page speed: requests per second of /faq/<crisis>/ from the production server.

Run: .venv/bin/python bench/faq_public.py [--entries 200] [--workers 2] [--threads 1]
         [--connections 16] [--seconds 15]
Needs the HTTP load generator wrk (Debian: `apt-get install -y wrk`); the script says so and
stops when it is missing.

What it does: builds a throwaway SQLite database in a temporary folder through the real
migrations and demo seeding, publishes --entries entries in the oekraine crisis through the
editorial services (coordinator writes and submits, adviser publishes; a third with English and
Ukrainian translations, one in ten municipal), then starts gunicorn with KCC_ENV=production (a
random 64-character SECRET_KEY, JSON request logs to a file) on 127.0.0.1 and loads it with wrk
from the same machine. Two runs: plain GETs of the full page (about 200 entries, ~150 KB of
HTML), and revalidations with If-None-Match (304, no body), as browsers and proxies send them
once their copy is older than Cache-Control max-age.

Server and load generator share the machine's cores; the script reports how much CPU each took
(from /proc), so the figure can be read for what it is.

Target (issue 6): public FAQ page >= 1,000 requests/s served by the production server.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_REQUESTS_PER_SECOND = 1_000
CRISIS = "oekraine"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class LoadResult:
    """What one wrk run measured."""

    label: str
    requests_per_second: float
    latency: dict[str, str]
    non_2xx: int
    load_generator_cores: float
    server_cores: float
    transfer_per_second: str


def production_environment(folder: Path) -> dict[str, str]:
    """Environment for KCC_ENV=production on a throwaway database in folder."""
    return {
        **os.environ,
        "KCC_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": f"sqlite:///{folder / 'faq-bench.sqlite'}",
        "KCC_INSTANCE_PATH": str(folder / "instance"),
        "FLASK_DEBUG": "0",
    }


def seed_database(environment: dict[str, str], entries: int) -> int:
    """Migrate, seed the demo, publish the entries; return how many entries are public."""
    os.environ.update(environment)
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from kcc import create_app
    from kcc.auth.models import User
    from kcc.demo import seed_demo
    from kcc.extensions import db
    from kcc.faq import editorial
    from kcc.faq.models import FaqEntry
    from kcc.reference.models import Crisis, Municipality

    app = create_app("production")
    with app.app_context():
        upgrade()
        seed_demo(secrets.token_urlsafe(16))
        users = {u.username: u for u in db.session.scalars(select(User))}
        crisis = db.session.scalars(select(Crisis).where(Crisis.code == CRISIS)).one()
        topics = [None, *(topic.id for topic in crisis.topics)]
        municipalities = list(db.session.scalars(select(Municipality.id)))
        for number in range(entries):
            translations = {}
            if number % 3 == 0:
                translations = {
                    "en": (f"Question {number} about the reception?", "Answer in English."),
                    "uk": (f"Питання {number} про прийом?", "Відповідь українською."),
                }
            data = editorial.EntryInput(
                crisis_id=crisis.id,
                question=f"Vraag {number}: hoe werkt de opvang als ik een vraag heb over dit?",
                answer=(
                    f"Dit is antwoord {number}. U leest hier wat u moet doen.\n\n"
                    "- Bel uw gemeente\n- Neem uw paspoort mee\n\n"
                    "Meer informatie op [de website](https://www.rijksoverheid.nl)."
                ),
                topic_id=topics[number % len(topics)],
                municipality_id=municipalities[number % len(municipalities)]
                if number % 10 == 9
                else None,
                translations=translations,
            )
            entry = editorial.create_entry(data, user=users["coordinator"])
            entry = editorial.take_action(
                entry.id, "submit", user=users["coordinator"], seen_version=entry.version
            )
            editorial.take_action(
                entry.id, "publish", user=users["analyst"], seen_version=entry.version
            )
        count = db.session.scalar(
            select(func.count()).where(FaqEntry.crisis_id == crisis.id, FaqEntry.is_public)
        )
        db.engine.dispose()
    return int(count or 0)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_serving(url: str, timeout: float = 30.0) -> None:
    """Poll the URL until the server answers."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310  (our own 127.0.0.1)
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def process_tree_cpu_seconds(root_pid: int) -> float:
    """User + system CPU seconds of a process and its children (gunicorn's workers)."""
    pids = [root_pid]
    children = Path(f"/proc/{root_pid}/task/{root_pid}/children")
    if children.exists():
        pids += [int(pid) for pid in children.read_text().split()]
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / CLOCK_TICKS


def run_wrk(
    label: str,
    url: str,
    server_pid: int,
    connections: int,
    seconds: int,
    headers: list[str],
    script: Path | None = None,
) -> LoadResult:
    """Load the URL with wrk (one thread, optionally a Lua script) and read its report."""
    arguments = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for header in headers:
        arguments += ["-H", header]
    if script is not None:
        arguments += ["-s", str(script)]
    server_before = process_tree_cpu_seconds(server_pid)
    own_before = os.times()
    started = time.monotonic()
    output = subprocess.run(  # noqa: S603  (wrk with our own arguments)
        arguments + [url], capture_output=True, text=True, check=True
    ).stdout
    elapsed = time.monotonic() - started
    own_after = os.times()
    server_cpu = process_tree_cpu_seconds(server_pid) - server_before
    wrk_cpu = (own_after.children_user - own_before.children_user) + (
        own_after.children_system - own_before.children_system
    )
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    latency = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", output, re.M))
    non_2xx_match = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    transfer = re.search(r"Transfer/sec:\s+(\S+)", output)
    return LoadResult(
        label=label,
        requests_per_second=rate,
        latency=latency,
        non_2xx=int(non_2xx_match.group(1)) if non_2xx_match else 0,
        load_generator_cores=wrk_cpu / elapsed,
        server_cores=server_cpu / elapsed,
        transfer_per_second=transfer.group(1) if transfer else "?",
    )


def check_page(url: str) -> tuple[str, int, str]:
    """Fetch the page once: its ETag, size, and that it sets no cookie and lists entries."""
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310  (127.0.0.1)
        body = response.read()
        assert response.headers.get("Set-Cookie") is None, "the public page set a cookie"
        etag = response.headers["ETag"]
    assert body.count(b'class="faq-entry"') >= 150, "the page shows too few entries"
    return etag, len(body), response.headers.get("Cache-Control", "")


def print_result(result: LoadResult) -> None:
    """One run's figures."""
    latency = ", ".join(f"p{p} {result.latency.get(p, '?')}" for p in ("50", "90", "99"))
    print(
        f"{result.label}: {result.requests_per_second:,.0f} requests/s ({latency}); "
        f"server {result.server_cores:.2f} cores, wrk {result.load_generator_cores:.2f} cores, "
        f"{result.transfer_per_second}/s, non-2xx/3xx: {result.non_2xx}"
    )


def main() -> int:
    """Seed, serve, load, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=15)
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is niet geïnstalleerd; installeer het met: apt-get install -y wrk")
        return 2
    if not GUNICORN.exists():
        print(f"gunicorn ontbreekt in {GUNICORN.parent}; installeer met: pip install -e .")
        return 2
    with tempfile.TemporaryDirectory(prefix="kcc-faq-bench-") as folder_name:
        folder = Path(folder_name)
        environment = production_environment(folder)
        started = time.perf_counter()
        public_count = seed_database(environment, options.entries)
        print(f"Seeded {public_count} public entries in {time.perf_counter() - started:.1f} s")
        port = free_port()
        log = (folder / "gunicorn.log").open("w")
        server = subprocess.Popen(  # noqa: S603  (fixed arguments)
            [
                str(GUNICORN),
                f"--workers={options.workers}",
                f"--threads={options.threads}",
                f"--bind=127.0.0.1:{port}",
                "--error-logfile=-",
                "kcc:create_app()",
            ],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=log,
            stderr=log,
        )
        try:
            url = f"http://127.0.0.1:{port}/faq/{CRISIS}/"
            wait_until_serving(url)
            etag, size, cache_control = check_page(url)
            print(
                f"gunicorn {options.workers} workers x {options.threads} threads, "
                f"{os.cpu_count()} cores on this machine; page {size / 1024:.0f} KiB, "
                f"Cache-Control: {cache_control}"
            )
            # Warm every worker's page cache before measuring.
            run_wrk("warm-up", url, server.pid, options.connections, 2, [])
            full = run_wrk(
                "GET /faq/oekraine/ (200)",
                url,
                server.pid,
                options.connections,
                options.seconds,
                [],
            )
            revalidated = run_wrk(
                "GET with If-None-Match (304)",
                url,
                server.pid,
                options.connections,
                options.seconds,
                [f"If-None-Match: {etag}"],
            )
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
            log.close()
        for result in (full, revalidated):
            print_result(result)
        verdict = "met" if full.requests_per_second >= TARGET_REQUESTS_PER_SECOND else "NOT met"
        print(
            f"Target: >= {TARGET_REQUESTS_PER_SECOND:,} requests/s for the full page: {verdict} "
            f"({full.requests_per_second:,.0f})."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
