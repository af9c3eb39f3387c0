"""Sign-in timing: does the answer's time tell an unknown user, a wrong password or a locked
account apart? Median response time of each over N tries (200 by default), printed as ratios to
the wrong-password case; the target is every ratio within 0.8-1.25.

The app runs in process (Starlette's test client) on a fresh SQLite database with two accounts,
one of them locked by an administrator. The three cases are interleaved try by try, so that a
busy moment on a shared machine falls on all three alike. Throttling is set out of the way
(``max_failed_logins`` very high): a throttled attempt is answered before any account is looked
at, the same for every username, and would measure that instead.

    python bench/signin.py [--tries 200]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

from safeguard.adapters.db.engine import make_engine, upgrade
from safeguard.config import Settings
from safeguard.domain.access import Role
from safeguard.services import accounts
from safeguard.services.unit_of_work import UnitOfWork
from safeguard.web.app import create_app

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

PASSWORD = "the right password, at last"  # noqa: S105 - synthetic account


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tries", type=int, default=200)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sg-signin-"))
    url = f"sqlite:///{folder / 'sg.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with UnitOfWork.begin(engine, accounts.BOOTSTRAP) as uow:  # the first account: an admin
        accounts.create_user(
            uow,
            username="bench_admin",
            display_name="Bench",
            role=Role.ADMINISTRATOR,
            password=PASSWORD,
        )
    with engine.begin() as conn:
        uow = UnitOfWork(conn, accounts.actor_named(conn, "bench_admin"))
        for name in ("officer_one", "officer_locked"):
            accounts.create_user(
                uow, username=name, display_name=name, role=Role.OFFICER, password=PASSWORD
            )
        accounts.lock_user(
            uow, username="officer_locked", until=datetime.now(UTC) + timedelta(days=1)
        )
    settings = Settings(environment="test", database_url=url, max_failed_logins=1_000_000)
    app = create_app(settings, engine)
    cases = {
        "wrong password": ("officer_one", "not the password at all"),
        "unknown user": ("nobody_by_this_name", "not the password at all"),
        "locked account": ("officer_locked", PASSWORD),
    }
    times: dict[str, list[float]] = {k: [] for k in cases}
    with TestClient(app, follow_redirects=False) as client:
        form = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        for n in range(args.tries + 5):
            for case, (username, password) in cases.items():
                data = {"username": username, "password": password, "csrf_token": token.group(1)}
                t = time.perf_counter()
                r = client.post("/login", data=data)
                took = time.perf_counter() - t
                assert r.status_code == 401, (case, r.status_code)
                if n >= 5:  # the first few warm the caches
                    times[case].append(took)
    base = statistics.median(times["wrong password"])
    load = os.getloadavg()
    print(f"sign-in answers, median of {args.tries} tries each (load {load[0]:.1f})")
    ok = True
    for case, found in times.items():
        median = statistics.median(found)
        ratio = median / base
        ok &= 0.8 <= ratio <= 1.25
        print(f"  {case:<15} {median * 1000:7.1f} ms   ratio {ratio:.3f}")
    print("target (every ratio within 0.8-1.25):", "met" if ok else "NOT met")
    engine.dispose()


if __name__ == "__main__":
    main()
