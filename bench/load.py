"""Load test (issue 10): agents registering and searching, coordinators claiming and answering,
the public reading the FAQ, against gunicorn on PostgreSQL, for a fixed time.

Run: .venv/bin/python bench/load.py [--seconds 30] [--clients 50] [--coordinators 4]
         [--faq-rate 1500] [--faq-connections 8] [--workers 3] [--threads 1] [--crash] [--no-proxy]

Everything is the run's own and runs on 127.0.0.1: a fresh PostgreSQL cluster in a temporary
folder (PostgreSQL's durable defaults: fsync and synchronous commit on), the real migrations,
demo seeding, the shipped models trained and activated, 100 published FAQ entries, one API token
per simulated agent and coordinator; then gunicorn with kcc's production settings
(kcc/operations/gunicorn_conf.py) and, as production runs it, nginx in front
(bench/nginx_front.py, KCC_TRUSTED_PROXIES=1). Every request of the run goes through nginx
(only gunicorn's readiness poll at start goes to it directly); nginx passes everything to
gunicorn uncached except the public FAQ under /faq/, which it answers from a micro-cache of one
second (one to two in practice: nginx counts whole seconds). --no-proxy sends everything to
gunicorn directly instead. The report names the path measured and how many FAQ responses
nginx took from gunicorn rather than from its cache. Needs wrk and nginx (Debian: `apt-get
install -y wrk`, `apt-get install -y --no-install-recommends nginx`); without nginx the script
says so and stops unless --no-proxy is given.

Load: --clients agents in threads of this process, each registering questions one after another
through POST /api/v1/questions with its own Idempotency-Key (one in five escalated with a phone
number, the rest answered), searching after every fourth; --coordinators coordinators claiming
the escalated questions, recording the answer and marking them answered; and wrk reading the
public FAQ page with --faq-connections connections at the same time. After --seconds every
acknowledged registration (2xx) is looked up in the database: present exactly once, with its
reference, topic, registration event, audit line and (when escalated) its work item.

Then the bare insert: as many rows as were acknowledged, the same column values, inserted one
row per transaction through SQLAlchemy on one connection, and the ratio of the two rates.

--crash adds disruptions to the same run: kill -9 of one gunicorn worker, kill -9 of the whole
app server (master and workers; restarted as a process manager would, on the same port behind
the same nginx, which answers 502 meanwhile and keeps serving the FAQ from its cache), and an
immediate stop of PostgreSQL (a crash: recovery from the WAL on start). It reports how long
each took to recover.

The load generator shares the machine's two cores with the server and the database: the CPU each
took is printed beside the figures. Targets: >= 300 registrations/s with 50 clients, p99 <= 250
ms, zero lost or duplicated; FAQ >= 1,000 requests/s while registrations run.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.faq_public import LoadResult, process_tree_cpu_seconds, run_wrk  # noqa: E402
from bench.load_harness import (  # noqa: E402
    CRISIS,
    AppServer,
    Ledger,
    PostgresCluster,
    Verdict,
    check_database,
    free_port,
    percentile,
    postgres_cluster,
    production_environment,
    run_clients,
    seed,
    server_error_kinds,
)
from bench.nginx_front import (  # noqa: E402
    FAQ_CACHE_LABEL,
    INSTALL_HINT,
    SERVED_FROM_CACHE,
    nginx_binary,
    nginx_front,
    probe_micro_cache,
)

TARGET_REGISTRATIONS_PER_SECOND = 300
TARGET_P99_MS = 250
TARGET_FAQ_PER_SECOND = 1_000
WARM_UP_SECONDS = 3


def postmaster_pid(cluster: PostgresCluster) -> int:
    """The PostgreSQL server's main process (its backends are its children)."""
    return int((cluster.folder / "data" / "postmaster.pid").read_text().split()[0])


def bare_insert_rate(database_url: str, rows: int) -> float:
    """Rows/s of inserting copies of `rows` registered questions, one per transaction."""
    from sqlalchemy import create_engine, insert, select

    from config import normalise_database_url
    from kcc.intake.models import Question

    engine = create_engine(normalise_database_url(database_url))
    columns = [
        column
        for column in Question.__table__.columns
        if column.name not in {"id", "reference", "submission_token", "import_key"}
    ]
    with engine.connect() as connection:
        copies = [
            dict(row._mapping)
            for row in connection.execute(select(*columns).order_by(Question.id).limit(rows))
        ]
    started = time.perf_counter()
    with engine.connect() as connection:
        for values in copies:
            connection.execute(insert(Question).values(**values))
            connection.commit()
    elapsed = time.perf_counter() - started
    engine.dispose()
    return len(copies) / elapsed


def crash_plan(
    server: AppServer, cluster: PostgresCluster, seconds: float
) -> list[tuple[float, str, object]]:
    """kill -9 a worker, kill -9 the whole server, crash PostgreSQL; spread over the run."""

    def restart_server() -> None:
        server.kill_everything()
        server.start()  # what systemd's Restart=always does

    def restart_database() -> None:
        cluster.crash()
        cluster.start()

    return [
        (seconds * 0.2, "kill -9 of one gunicorn worker", server.kill_worker),
        (seconds * 0.45, "kill -9 of gunicorn (master and workers)", restart_server),
        (seconds * 0.7, "PostgreSQL crash (immediate stop) and start", restart_database),
    ]


def print_cache_statuses(statuses: Counter[str]) -> None:
    """How many FAQ responses nginx served from its cache and how many came from gunicorn."""
    total = sum(statuses.values())
    if not total:
        return
    # "-": nginx did not look at the cache (a POST such as a vote).
    from_app = total - sum(statuses[status] for status in SERVED_FROM_CACHE)
    summary = ", ".join(f"{status} {count:,}" for status, count in statuses.most_common())
    print(
        f"FAQ responses through nginx: {total:,} ({summary}); {from_app:,} "
        f"({from_app / total:.2%}) came from gunicorn, plus a background refresh per page "
        "about every two seconds"
    )


def print_report(
    ledger: Ledger,
    verdict: Verdict,
    seconds: float,
    faq: LoadResult | None,
    cpu: dict[str, float],
    recovery: dict[str, float],
    load_before: float,
) -> bool:
    """Print the figures beside their targets; return whether all were met."""
    registrations = len(ledger.acknowledged) / seconds
    latencies = [s * 1000 for s in ledger.latencies.get("register", [])]
    p50, p95, p99 = (percentile(latencies, share) for share in (0.50, 0.95, 0.99))
    print(
        f"Registrations acknowledged: {len(ledger.acknowledged)} in {seconds:.0f} s "
        f"(and {verdict.acknowledged - len(ledger.acknowledged)} in the warm-up before)"
    )
    print(
        f"  {registrations:,.1f} registrations/s; latency p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
        f"p99 {p99:.1f} ms (max {max(latencies, default=0):.1f})"
    )
    print(
        f"  lost: {len(verdict.lost)}, duplicated: {verdict.duplicated}, half-written: "
        f"{len(verdict.half_written)}; stored but never acknowledged (in flight at the end or "
        f"answer lost in a crash): {verdict.stored_unacknowledged}"
    )
    for kind, counts in sorted(ledger.statuses.items()):
        times = [s * 1000 for s in ledger.latencies[kind]]
        summary = ", ".join(f"{status or 'no answer'}: {n}" for status, n in sorted(counts.items()))
        print(
            f"  {kind}: {summary}; p50 {percentile(times, 0.5):.1f} ms, p99 "
            f"{percentile(times, 0.99):.1f} ms"
        )
    if faq is not None:
        print(
            f"FAQ page (wrk, {faq.label}): {faq.requests_per_second:,.0f} requests/s, "
            f"p50 {faq.latency.get('50', '?')}, p99 {faq.latency.get('99', '?')}, "
            f"non-2xx/3xx: {faq.non_2xx}"
        )
    print(
        "CPU (cores, of 2): "
        + ", ".join(f"{name} {value:.2f}" for name, value in cpu.items())
        + f"; load average (1 min) {load_before:.2f} before the run, "
        f"{os.getloadavg()[0]:.2f} after (this run's own processes included)"
    )
    requests = sum(len(times) for times in ledger.latencies.values())
    if "gunicorn" in cpu and requests:
        per_request = (cpu["gunicorn"] + cpu["PostgreSQL"]) * seconds / requests * 1000
        print(
            f"Server CPU (gunicorn + PostgreSQL) per request of these clients: {per_request:.1f} "
            f"ms ({requests} requests; the FAQ requests of wrk not counted)"
        )
    for name, took in recovery.items():
        print(f"Recovery after {name}: next registration acknowledged {took:.2f} s later")
    met = (
        registrations >= TARGET_REGISTRATIONS_PER_SECOND
        and p99 <= TARGET_P99_MS
        and verdict.passed
        and (faq is None or faq.requests_per_second >= TARGET_FAQ_PER_SECOND)
    )
    return met


# A paced connection sends its next request this long after the previous answer.
FAQ_PACE_MS = 10


def faq_load(options: argparse.Namespace, folder: Path) -> tuple[int, Path | None, str]:
    """wrk's connections, its pacing script (None: flat out) and a label for the report.

    The public's reading is offered at a fixed rate, like residents opening the page, rather
    than as fast as wrk can: flat out, wrk and nginx take half a core from the registrations
    for far more than the target (6,905 requests/s in a 30 s run).
    """
    if not options.faq_rate:
        return options.faq_connections, None, f"{options.faq_connections} connections, flat out"
    connections = max(1, math.ceil(options.faq_rate * FAQ_PACE_MS / 1000))
    script = folder / "pace.lua"
    script.write_text(f"function delay()\n  return {FAQ_PACE_MS}\nend\n", encoding="utf-8")
    label = (
        f"offered at most {connections * 1000 // FAQ_PACE_MS:,}/s "
        f"({connections} connections, one request per {FAQ_PACE_MS} ms each)"
    )
    return connections, script, label


def main() -> int:
    """Set up, load (and crash), check, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--coordinators", type=int, default=4)
    parser.add_argument("--faq-connections", type=int, default=8)
    parser.add_argument(
        "--faq-rate",
        type=int,
        default=1_500,
        help="FAQ requests/s the public offers (paced by wrk); 0: as fast as "
        "--faq-connections connections can read",
    )
    # Behind nginx, which buffers slow clients, one request per process does best here:
    # 3 x 1 measured 156 registrations/s (p99 324 ms), 2 x 4 threads 134/s (p99 463 ms).
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--crash", action="store_true")
    parser.add_argument(
        "--no-proxy",
        dest="proxy",
        action="store_false",
        help="send every request to gunicorn directly, without nginx in front",
    )
    options = parser.parse_args()
    if options.proxy and nginx_binary() is None:
        print(f"{INSTALL_HINT} (or run with --no-proxy)")
        return 2
    with tempfile.TemporaryDirectory(prefix="kcc-load-") as folder_name:
        folder = Path(folder_name)
        with postgres_cluster() as cluster:
            environment = production_environment(
                cluster.url,
                folder / "instance",
                WEB_CONCURRENCY=str(options.workers),
                KCC_THREADS=str(options.threads),
                # Behind nginx, as docs/operations.md tells production to set it.
                **({"KCC_TRUSTED_PROXIES": "1"} if options.proxy else {}),
            )
            started = time.perf_counter()
            seeded = seed(
                environment,
                agents=options.clients,
                coordinators=max(options.coordinators, 1),
                faq_entries=100,
            )
            print(f"Database prepared in {time.perf_counter() - started:.1f} s")
            server = AppServer(environment, free_port(), folder / "gunicorn.log")
            server.start()  # waits for /readyz on gunicorn itself
            front = None
            try:
                proxy = (
                    nginx_front(server.port, folder / "nginx") if options.proxy else nullcontext()
                )
                with proxy as front:
                    # Every client, wrk included, goes through nginx when it runs.
                    entry = front or server
                    faq_url = entry.url(f"/faq/{CRISIS}/")
                    if front is None:
                        print("Path measured: every request directly to gunicorn (--no-proxy)")
                    else:
                        print(
                            f"Path measured: every request through nginx on 127.0.0.1:"
                            f"{front.port} to gunicorn; FAQ via {FAQ_CACHE_LABEL}"
                        )
                        probe = probe_micro_cache(faq_url)
                        print(
                            "X-Cache-Status of /faq/: "
                            + ", ".join(f"{name} {status}" for name, status in probe.items())
                        )
                    # Warm up: every worker loads its models and fills its caches.
                    warm_up, _ = run_clients(
                        entry, seeded, seconds=WARM_UP_SECONDS, agents=8, prefix="warmup"
                    )
                    faq_path = f"via {FAQ_CACHE_LABEL}" if front else "gunicorn directly"
                    faq_connections, pacing, faq_label = faq_load(options, folder)
                    faq_result: list[LoadResult] = []
                    faq_thread = threading.Thread(
                        target=lambda: faq_result.append(
                            run_wrk(
                                f"{faq_label}, {faq_path}",
                                faq_url,
                                server.process.pid,  # type: ignore[union-attr]
                                faq_connections,
                                int(options.seconds),
                                [],
                                pacing,
                            )
                        ),
                        daemon=True,
                    )
                    load_before = os.getloadavg()[0]
                    own_before = os.times()
                    server_before = process_tree_cpu_seconds(server.process.pid)  # type: ignore[union-attr]
                    database_before = process_tree_cpu_seconds(postmaster_pid(cluster))
                    proxy_before = process_tree_cpu_seconds(front.pid) if front else 0.0
                    begun = time.monotonic()
                    if options.faq_connections:
                        faq_thread.start()
                    disruptions = (
                        crash_plan(server, cluster, options.seconds) if options.crash else []
                    )
                    ledger, recovery = run_clients(
                        entry,
                        seeded,
                        seconds=options.seconds,
                        agents=options.clients,
                        coordinators=options.coordinators,
                        disruptions=disruptions,
                    )
                    if options.faq_connections:
                        faq_thread.join(timeout=options.seconds + 30)
                    elapsed = time.monotonic() - begun
                    own_after = os.times()
                    cpu = {
                        "load generator (this process)": (
                            own_after.user - own_before.user + own_after.system - own_before.system
                        )
                        / elapsed,
                        "gunicorn": (
                            process_tree_cpu_seconds(server.process.pid) - server_before  # type: ignore[union-attr]
                        )
                        / elapsed,
                        "PostgreSQL": (
                            process_tree_cpu_seconds(postmaster_pid(cluster)) - database_before
                        )
                        / elapsed,
                    }
                    if front:
                        cpu["nginx"] = (
                            process_tree_cpu_seconds(front.pid) - proxy_before
                        ) / elapsed
                    if options.crash:
                        cpu = {}  # processes were replaced mid-run: their counters no longer add up
                    if faq_result:
                        cpu["wrk"] = faq_result[0].load_generator_cores
            finally:
                server.stop()
            for kind, count in server_error_kinds(server.log).items():
                print(f"Server log, {count} x ERROR {kind}")
            everything = Ledger()
            everything.absorb(ledger)
            everything.absorb(warm_up)
            verdict = check_database(cluster.url, everything)
            met = print_report(
                ledger,
                verdict,
                options.seconds,
                faq_result[0] if faq_result else None,
                cpu,
                recovery,
                load_before,
            )
            if front:
                # nginx has stopped: its log is complete.
                print_cache_statuses(front.faq_cache_statuses())
            rows = min(verdict.acknowledged, 5_000)
            bare = bare_insert_rate(cluster.url, rows)
            registrations = len(ledger.acknowledged) / options.seconds
            print(
                f"Bare insert through SQLAlchemy ({rows} rows, one per transaction, one "
                f"connection): {bare:,.0f} rows/s; registrations reach "
                f"{registrations / bare:.1%} of it (1 : {bare / registrations:.1f})"
            )
    print(
        f"Targets: >= {TARGET_REGISTRATIONS_PER_SECOND} registrations/s, p99 <= {TARGET_P99_MS} "
        f"ms, nothing lost or duplicated, FAQ >= {TARGET_FAQ_PER_SECOND:,} requests/s: "
        + ("met" if met else "NOT met")
    )
    return 0 if verdict.passed else 1


if __name__ == "__main__":
    sys.exit(main())
