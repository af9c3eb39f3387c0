"""Benchmark: the web API under load, beside a bare static endpoint of the same app.

    nice .venv/bin/python bench/serve.py [--db bench/out/serve.db] [--population 500000]
        [--years 5] [--clients 20] [--seconds 60] [--think 0] [--workers 2] [--link]
        [--mix profile+search | worklists+profile]
    nice .venv/bin/python bench/serve.py --database-url postgresql://127.0.0.1/serve_bench
        [--interchange DIR --truth mention_person.csv]

1. Builds (or reuses, with --db) a SQLite database holding the simulated force (``safeguard
   simulate`` defaults: 500,000 people, five years), ingested with ``safeguard.services.ingest``
   and, with --link, linked with ``safeguard.services.linking.runs.link_all``. Without linking every
   person mention is its own person (id ``-mention_id``), which is what the profile reads then.
2. Starts ``uvicorn --factory safeguard.web.main:build`` in a separate process (--workers).
3. Runs --clients concurrent clients (asyncio + httpx, a separate process) for --seconds on a
   mix of person searches (a real surname prefix plus a forename initial) and profiles (random
   people who have events), each with an API token and a reason: every request is a real,
   audited consultation. --think adds a pause between a client's requests (0 = flat out):
   a random one (exponential, mean --think) after a random start, as independent users would;
   a fixed pause kept all 20 clients in step, arriving as a burst of 20 at once every second.
   With --database-url (PostgreSQL, the production database) instead of --db: an empty
   database is migrated and loaded from --interchange with ``ingest_paths``, then linked from
   --truth (``mention_person.csv``) as bench/assess.py's ``link_from_truth`` does.
4. Runs the same clients on ``GET /api/health`` (no database, no authentication) as the
   baseline, and prints both side by side: count, errors, p50, p95, p99, max and requests/s,
   with the CPU seconds the server processes used in each phase (per request, a figure much
   less noisy than latency on a shared machine) and the load average.
5. Checks that the audit chain is intact afterwards and counts the entries the run added.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import sqlalchemy as sa

from safeguard.adapters.db import tables as _tables  # noqa: F401 - first: people<->linkage cycle
from safeguard.adapters.db.audit import audit_log, verify_audit
from safeguard.adapters.db.engine import make_engine, upgrade
from safeguard.adapters.db.people import person_links
from safeguard.adapters.db.tables import involvements, person_mentions
from safeguard.cli.demo_pipeline import register_demo_agencies
from safeguard.services import accounts
from safeguard.services.unit_of_work import OPERATOR_RUN, UnitOfWork

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    client_cpu: float = 0.0  # CPU seconds of this (client) process during the phase
    by_kind: dict[str, Stats] = field(default_factory=dict)  # the same, per kind of request

    def add(self, kind: str, latency: float, status: int | None) -> None:
        for s in (self, self.by_kind.setdefault(kind, Stats())):
            s.latencies.append(latency)
            if status is not None:
                s.statuses[status] = s.statuses.get(status, 0) + 1
            if status != 200:
                s.errors += 1

    def line(self, name: str, seconds: float) -> str:
        ms = sorted(x * 1000 for x in self.latencies)
        if not ms:
            return f"{name:<10} no requests"

        def q(p: float) -> float:
            return ms[min(len(ms) - 1, int(p * len(ms)))]

        return (
            f"{name:<10} {len(ms):>7,} req {self.errors:>4} err  p50 {q(0.50):6.1f} ms  "
            f"p95 {q(0.95):6.1f} ms  p99 {q(0.99):6.1f} ms  max {ms[-1]:7.1f} ms  "
            f"mean {statistics.fmean(ms):6.1f} ms  {len(ms) / seconds:7.1f} req/s"
        )


def build_database(db: Path, population: int, years: int, link: bool) -> None:
    from safeguard.services.ingest import ingest_paths
    from safeguard.simulation import SimulationConfig, simulate

    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        simulate(SimulationConfig(population=population, years=years, seed=1), Path(tmp))
        print(
            f"simulated {population:,} people x {years} years in {time.perf_counter() - t0:.0f} s"
        )
        t0 = time.perf_counter()
        summary = ingest_paths(engine, [Path(tmp) / "interchange"], actor=OPERATOR_RUN)
        print(f"ingested {summary.total('inserted'):,} records in {time.perf_counter() - t0:.0f} s")
    if link:
        from safeguard.services.linking.config import LinkConfig
        from safeguard.services.linking.runs import link_all

        t0 = time.perf_counter()
        link_all(engine, actor=OPERATOR_RUN, config=LinkConfig.for_force(db.parent / "link-store"))
        print(f"linked in {time.perf_counter() - t0:.0f} s")
    engine.dispose()


def load_postgres(url: str, interchange: Path, truth: Path | None) -> None:
    """Migrate, ingest and link (from the truth file) an empty database."""
    from safeguard.services.ingest import ingest_paths

    engine = make_engine(url)
    upgrade(engine)
    with engine.connect() as conn:
        loaded = conn.execute(sa.select(sa.func.count()).select_from(person_mentions)).scalar()
    if not loaded:
        t0 = time.perf_counter()
        summary = ingest_paths(engine, [interchange], actor=OPERATOR_RUN)
        print(f"ingested {summary.total('inserted'):,} records in {time.perf_counter() - t0:.0f} s")
        if truth is not None:
            sys.path.insert(0, str(ROOT / "bench"))
            from assess import link_from_truth

            t0 = time.perf_counter()
            n = link_from_truth(engine, truth)
            print(f"linked {n:,} people from {truth.name} in {time.perf_counter() - t0:.0f} s")
    engine.dispose()


def _server_cpu(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the live processes of the server's group."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:  # fields[2] is the process group id
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def audit_state(url: str) -> tuple[int, int]:
    """(last sequence number, number of chain problems)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        last = conn.execute(sa.select(sa.func.max(audit_log.c.seq))).scalar() or 0
        problems = len(verify_audit(conn)) if os.environ.get("SERVE_VERIFY", "1") == "1" else -1
    engine.dispose()
    return int(last), problems


def workload(url: str, sample: int = 2000) -> tuple[str, list[int], list[str]]:
    """An analyst's API token, people to open, and search terms drawn from the data."""
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        if accounts.list_users(conn) == [] or not any(
            u["username"] == "mash_analyst" for u in accounts.list_users(conn)
        ):
            register_demo_agencies(conn)  # the demo's partner accounts belong to its agencies
            accounts.create_demo_users(UnitOfWork(conn, accounts.DEMO))
        admin = UnitOfWork(conn, accounts.actor_named(conn, "admin"))
        token = accounts.issue_api_token(admin, username="mash_analyst", name="bench")
        key = sa.func.coalesce(person_links.c.person_id, -person_mentions.c.id)
        people = [
            int(p)
            for p in conn.execute(
                sa.select(key)
                .select_from(involvements)
                .join(person_mentions, person_mentions.c.id == involvements.c.mention_id)
                .outerjoin(person_links, person_links.c.mention_id == person_mentions.c.id)
                .order_by(sa.func.random())
                .limit(sample)
            ).scalars()
        ]
        names = conn.execute(
            sa.select(person_mentions.c.forenames, person_mentions.c.surname)
            .where(person_mentions.c.surname.is_not(None), person_mentions.c.forenames.is_not(None))
            .order_by(sa.func.random())
            .limit(sample)
        ).all()
    engine.dispose()
    terms = [f"{f[:1]} {s[:4]}".lower() for f, s in names if f and s and len(s) >= 3]
    return token, people, terms


async def run_clients(
    base: str, token: str, requests: list[str], clients: int, seconds: float, think: float
) -> Stats:
    stats = Stats()
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=30
    ) as client:

        async def one(n: int) -> None:
            rnd = random.Random(n)
            if think:  # independent users: each starts at its own moment ...
                await asyncio.sleep(rnd.uniform(0, think))
            while time.perf_counter() < deadline:
                path = rnd.choice(requests)
                t0 = time.perf_counter()
                status: int | None = None
                try:
                    status = (await client.get(path)).status_code
                except httpx.HTTPError:
                    status = None
                stats.add(_kind(path), time.perf_counter() - t0, status)
                if think:  # ... and pauses a random time (mean ``think``), so that the
                    # clients do not fall into step and arrive as bursts of 20 every second
                    await asyncio.sleep(rnd.expovariate(1 / think))

        cpu0 = time.process_time()
        await asyncio.gather(*(one(i) for i in range(clients)))
        stats.client_cpu = time.process_time() - cpu0
    return stats


def _kind(path: str) -> str:
    if path.startswith("/worklists"):
        return "worklist"
    if path.startswith("/api/people/"):
        return "profile"
    return "search" if path.startswith("/api/people") else "other"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "bench" / "out" / "serve.db")
    parser.add_argument("--population", type=int, default=500_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--link", action="store_true", help="link before serving (slow)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=0.0, help="pause between requests (s)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--mix",
        choices=("profile+search", "worklists+profile"),
        default="profile+search",
        help="what the clients ask for: person searches and profiles, or the triaged worklist"
        " pages (first pages and filtered) and profiles",
    )
    parser.add_argument(
        "--database-url", help="serve this database (e.g. PostgreSQL) instead of --db"
    )
    parser.add_argument(
        "--interchange",
        type=Path,
        default=Path("/work/bench-data/force/interchange"),
        help="with --database-url: load an empty database from these files",
    )
    parser.add_argument(
        "--truth",
        type=Path,
        default=Path("/work/bench-data/force/truth/mention_person.csv"),
        help="with --database-url: link the loaded records from this ground truth",
    )
    args = parser.parse_args()

    if args.database_url:
        url = args.database_url
        load_postgres(url, args.interchange, args.truth if args.truth.exists() else None)
        where = make_engine(url).url.render_as_string(hide_password=True)
    else:
        args.db.parent.mkdir(parents=True, exist_ok=True)
        if not args.db.exists():
            build_database(args.db, args.population, args.years, args.link)
        url = f"sqlite:///{args.db}"
        where = f"{args.db} ({args.db.stat().st_size / 1e6:,.0f} MB)"
    token, people, terms = workload(url)
    reason = "purpose=supervision_qa"
    if args.mix == "worklists+profile":
        # Half worklists (each list, its first pages and a filter), half profiles.
        codes = ["overdue", "repeat-victims", "victims-code-due", "marac-due", "new-high-risk",
                 "rhi-due", "repeat-missing", "encompass-due"]  # fmt: skip
        lists = (
            [f"/worklists/{c}" for c in codes]
            + [f"/worklists/{c}?page=2" for c in codes[:3]]
            + [f"/worklists/{c}?due=overdue" for c in codes[:3]]
        )
        profiles = [f"/api/people/{p}?{reason}" for p in people]
        mixed = lists * max(1, len(profiles) // len(lists)) + profiles
    else:
        mixed = [f"/api/people/{p}?{reason}" for p in people] + [
            f"/api/people?q={t.replace(' ', '+')}&{reason}" for t in terms
        ]
    print(f"database {where}; {len(people)} people and {len(terms)} search terms in the mix")
    seq_before, _ = audit_state(url)

    port = _free_port()
    env = {
        **os.environ,
        "SAFEGUARD_DATABASE_URL": url,
        "SAFEGUARD_ENVIRONMENT": "development",
        "SAFEGUARD_LOG_LEVEL": "WARNING",
        "SAFEGUARD_WEB_ASSETS_DIR": str(ROOT / "web-assets" / "node_modules"),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "safeguard.web.main:build",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        asyncio.run(run_clients(base, token, mixed[:50], args.clients, 3, args.think))  # warm up
        when = datetime.now(UTC).isoformat(timespec="seconds")
        cpu0 = _server_cpu(server.pid)
        load = asyncio.run(run_clients(base, token, mixed, args.clients, args.seconds, args.think))
        cpu1 = _server_cpu(server.pid)
        load_avg = os.getloadavg()[0]
        baseline = asyncio.run(
            run_clients(base, token, ["/api/health"], args.clients, args.seconds, args.think)
        )
        cpu2 = _server_cpu(server.pid)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    seq_after, problems = audit_state(url)
    print(
        f"{when}: {args.clients} clients x {args.seconds:.0f} s, think {args.think} s, "
        f"{args.workers} workers, load average {load_avg:.1f} (after the load phase) "
        f"on {os.cpu_count()} CPUs"
    )
    print(load.line(args.mix, args.seconds))
    for kind, part in sorted(load.by_kind.items()):
        print(part.line(f"  {kind}", args.seconds))
    print(baseline.line("baseline /api/health", args.seconds))
    for name, cpu, stats in (("load", cpu1 - cpu0, load), ("baseline", cpu2 - cpu1, baseline)):
        per = 1000 * cpu / max(1, len(stats.latencies))
        client = 1000 * stats.client_cpu / max(1, len(stats.latencies))
        print(
            f"server CPU, {name}: {cpu:.1f} s in {args.seconds:.0f} s wall, {per:.2f} ms/request"
            f" (client process: {client:.2f} ms/request)"
        )
    print(f"statuses: load {load.statuses}, baseline {baseline.statuses}")
    print(
        f"audit: {seq_after - seq_before:,} entries added (warm-up included); chain "
        + ("not verified" if problems < 0 else f"verified, {problems} problems")
    )
    ok = load.errors == 0 and sorted(load.latencies)[int(0.95 * len(load.latencies))] < 0.1
    print("target p95 < 100 ms and no errors:", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
