"""Benchmark `safeguard assess`: a full assessment of five years of a force, and re-assessing one
person after a new record.

    nice .venv/bin/python bench/assess.py                 # simulated force if available
    nice .venv/bin/python bench/assess.py --source synthetic --victims 6000
    nice .venv/bin/python bench/assess.py --time-model    # the time model against the baseline

With ``--source simulate`` (the default when ``safeguard.simulation`` is installed) the data is
the default simulated force (``safeguard simulate``) over ``--years``; people are linked from
its ground truth (``truth/mention_person.csv``), as ``safeguard link`` would. ``--source
synthetic`` builds a force-shaped data set here (documented in docs/benchmarks.md) for when the
simulator is not available. Either way the records go through ``safeguard ingest`` first; only
the assessment is timed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from safeguard.adapters.db.engine import make_engine, upgrade
from safeguard.adapters.db.people import people, person_links
from safeguard.adapters.db.tables import person_mentions
from safeguard.services import assessment as svc
from safeguard.services.ingest import ingest_paths
from safeguard.services.unit_of_work import OPERATOR_RUN

START = datetime(2020, 1, 1, tzinfo=UTC)
AREAS = ["Barrow", "Carlisle", "Kendal", "Workington", "Penrith"]


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class Synthetic:
    """A force-shaped data set: DA couples with escalation, missing children, MASH, victims."""

    def __init__(self, seed: int, years: int) -> None:
        self.rng = random.Random(seed)
        self.span = timedelta(days=365 * years)
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.truth: list[tuple[str, int]] = []
        self.n = 0

    def _id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def add(self, rtype: str, **fields: Any) -> str:
        sid = self._id(rtype[:2].upper())
        row = {
            "record_type": rtype,
            "schema_version": "1",
            "source_system": "NICHE",
            "source_id": sid,
        }
        row.update({k: v for k, v in fields.items() if v is not None})
        self.rows.setdefault(rtype, []).append(row)
        return sid

    def mention(self, person: int, dob: str) -> str:
        sid = self.add(
            "person_mention", forenames=f"F{person}", surname=f"S{person}", date_of_birth=dob
        )
        self.truth.append((sid, person))
        return sid

    def when(self) -> datetime:
        return START + timedelta(seconds=self.rng.randrange(int(self.span.total_seconds())))

    def build(self, victims: int, children: int, other_victims: int) -> None:
        rng = self.rng
        pid = 0
        for _ in range(victims):
            victim, suspect, kids = pid + 1, pid + 2, [pid + 3, pid + 4]
            pid += 4
            vdob, sdob = f"{rng.randint(1960, 2004)}-05-01", f"{rng.randint(1960, 2004)}-07-09"
            kdobs = [
                f"{rng.randint(2004, 2016)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}" for _ in kids
            ]
            t = self.when()
            area = rng.choice(AREAS)
            for _ in range(1 + int(rng.expovariate(0.6))):
                ev = self.add(
                    "event",
                    event_type="domestic_abuse",
                    occurred_at=iso(t),
                    reported_at=iso(t + timedelta(minutes=30)),
                    area=area,
                    team=f"{area}-PPU",
                )
                vm, sm = self.mention(victim, vdob), self.mention(suspect, sdob)
                self.add("involvement", event_ref=ev, mention_ref=vm, role="victim")
                self.add("involvement", event_ref=ev, mention_ref=sm, role="suspect")
                if rng.random() < 0.35:
                    for k, kd in zip(kids, kdobs, strict=True):
                        km = self.mention(k, kd)
                        self.add("involvement", event_ref=ev, mention_ref=km, role="child_present")
                        if rng.random() < 0.6:
                            self.add(
                                "referral",
                                subject_ref=km,
                                event_ref=ev,
                                referral_type="operation_encompass",
                                made_at=iso(t + timedelta(hours=rng.uniform(1, 60))),
                            )
                if rng.random() < 0.85:
                    yes = min(27, max(0, int(rng.gauss(9, 5))))
                    answers = {
                        f"q{i}": "yes" if rng.random() < yes / 27 else "no" for i in range(1, 28)
                    }
                    self.add(
                        "risk_assessment",
                        subject_ref=vm,
                        event_ref=ev,
                        instrument_id="dash-police",
                        instrument_version="2009",
                        answers=answers,
                        completed_at=iso(t + timedelta(hours=rng.uniform(1, 30))),
                        officer_grade=rng.choice(["standard", "medium", "high"]),
                        rationale="officer assessment",
                    )
                    if rng.random() < 0.3:
                        self.add(
                            "referral",
                            subject_ref=vm,
                            event_ref=ev,
                            referral_type="marac",
                            made_at=iso(t + timedelta(days=rng.uniform(0, 5))),
                        )
                if rng.random() < 0.5:
                    arrest = t + timedelta(hours=rng.uniform(1, 48))
                    self.add(
                        "victim_contact",
                        event_ref=ev,
                        mention_ref=vm,
                        trigger="arrest",
                        trigger_at=iso(arrest),
                        contacted_at=iso(arrest + timedelta(days=rng.uniform(0, 6))),
                    )
                t += timedelta(days=rng.uniform(5, 200))
                if t > START + self.span:
                    break
        for _ in range(children):
            pid += 1
            dob = f"{rng.randint(2004, 2012)}-03-0{rng.randint(1, 9)}"
            t = self.when()
            for _ in range(1 + int(rng.expovariate(0.5))):
                ev = self.add(
                    "event",
                    event_type="missing_person",
                    occurred_at=iso(t),
                    area=rng.choice(AREAS),
                    team="MFH",
                )
                m = self.mention(pid, dob)
                self.add("involvement", event_ref=ev, mention_ref=m, role="missing_person")
                found = t + timedelta(hours=rng.uniform(2, 48))
                offered = (
                    found + timedelta(hours=rng.uniform(1, 120)) if rng.random() < 0.7 else None
                )
                self.add(
                    "missing_episode",
                    event_ref=ev,
                    mention_ref=m,
                    reported_missing_at=iso(t),
                    found_at=iso(found),
                    risk_grade=rng.choice(["low", "medium", "high"]),
                    exploitation_flag=rng.random() < 0.1,
                    rhi_offered_at=iso(offered) if offered else None,
                )
                if rng.random() < 0.2:
                    made = t + timedelta(hours=rng.uniform(1, 30))
                    self.add(
                        "referral",
                        subject_ref=m,
                        event_ref=ev,
                        referral_type="mash",
                        rag=rng.choice(["red", "amber", "green"]),
                        made_at=iso(made),
                    )
                t += timedelta(days=rng.uniform(3, 120))
                if t > START + self.span:
                    break
        for _ in range(other_victims):
            pid += 1
            t = self.when()
            ev = self.add(
                "event",
                event_type="other_crime",
                occurred_at=iso(t),
                area=rng.choice(AREAS),
                team="CID",
            )
            m = self.mention(pid, f"{rng.randint(1950, 2010)}-11-2{rng.randint(0, 8)}")
            self.add("involvement", event_ref=ev, mention_ref=m, role="victim")
            if rng.random() < 0.4:
                self.add(
                    "victim_contact",
                    event_ref=ev,
                    mention_ref=m,
                    trigger="needs_assessment",
                    trigger_at=iso(t),
                    contacted_at=iso(t + timedelta(days=rng.uniform(0, 9))),
                )

    def write(self, out: Path) -> Path:
        inter = out / "interchange"
        inter.mkdir(parents=True, exist_ok=True)
        for rtype, items in self.rows.items():
            with (inter / f"{rtype}.jsonl").open("w", encoding="utf-8") as fh:
                for r in items:
                    fh.write(json.dumps(r) + "\n")
        truth = out / "truth"
        truth.mkdir(exist_ok=True)
        with (truth / "mention_person.csv").open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["source_system", "source_id", "person_key"])
            w.writerows(("NICHE", sid, f"T{p}") for sid, p in self.truth)
        return inter


def simulate(out: Path, years: int, seed: int) -> Path:
    """Run the contracted CLI, ``safeguard simulate --out DIR --format parquet`` (default force)."""
    base = [sys.executable, "-m", "safeguard", "simulate", "--out", str(out), "--format", "parquet"]
    tried = subprocess.run([*base, "--years", str(years), "--seed", str(seed)], check=False)
    if tried.returncode != 0:
        print("simulate has no --years/--seed options here; using its defaults")
        subprocess.run(base, check=True)
    return out / "interchange"


def link_from_truth(engine: sa.Engine, truth: Path) -> int:
    """Write people and person_links as linking would, from the ground truth."""
    with truth.open(encoding="utf-8") as fh:
        pairs = [(r["source_system"], r["source_id"], r["person_key"]) for r in csv.DictReader(fh)]
    now = datetime.now(UTC)
    with engine.begin() as conn:
        ids = {
            (s, i): m
            for m, s, i in conn.execute(
                sa.select(
                    person_mentions.c.id,
                    person_mentions.c.source_system,
                    person_mentions.c.source_id,
                )
            )
        }
        keys = sorted({k for _, _, k in pairs})
        conn.execute(sa.insert(people), [{"created_at": now} for _ in keys])
        first = conn.execute(sa.select(sa.func.min(people.c.id))).scalar_one()
        person_of = {k: first + n for n, k in enumerate(keys)}
        links = [
            {"mention_id": ids[(s, i)], "person_id": person_of[k], "linked_at": now}
            for s, i, k in pairs
            if (s, i) in ids
        ]
        for n in range(0, len(links), 20_000):
            conn.execute(sa.insert(person_links), links[n : n + 20_000])
    return len(keys)


def cpu_seconds() -> float:
    """CPU seconds used by this process and its finished child processes (the workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


TIMER = """
import pickle, sys, time
import safeguard
from safeguard.instruments import default_catalogue
from safeguard.rules import evaluate, parse_rules_config
histories = pickle.loads(open(sys.argv[1], "rb").read())
config, catalogue = parse_rules_config(), default_catalogue()
for h in histories[:200]:
    evaluate(h, config, catalogue)  # warm caches and imports
t, cpu = time.perf_counter(), time.process_time()
found = sum(len(evaluate(h, config, catalogue).findings) for h in histories)
print(time.process_time() - cpu, found, safeguard.__file__, time.perf_counter() - t)
"""


def compare_time_model(engine: sa.Engine, work: Path, ref: str, rounds: int) -> None:
    """Time the pure evaluation of every stored history by this engine and by the engine at
    ``ref`` (extracted with ``git archive``), alternating, in fresh processes, on the same
    pickled histories; the minimum of ``rounds`` per engine is reported."""
    import pickle

    from safeguard.adapters.db.history_repository import HistoryRepository

    with engine.connect() as conn:
        repo = HistoryRepository(conn)
        _, batches = repo.batches(2000)
        histories = [h for b in batches for h in repo.histories(b, expand=False, parties=False)]
    data = work / "histories.pkl"
    data.write_bytes(pickle.dumps(histories))
    base = work / "baseline"
    base.mkdir()
    root = Path(__file__).resolve().parents[1]
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", ref, "src"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
    # The engine under test is a snapshot of this tree taken now, so edits made while the
    # rounds run cannot change what is measured.
    current = work / "current"
    shutil.copytree(root / "src", current / "src", ignore=shutil.ignore_patterns("__pycache__"))
    engines = {"baseline": base / "src", "time model": current / "src"}
    # CPU seconds of the evaluating process, the measure other work on the machine disturbs
    # least (wall time also counts the time spent waiting for a core); wall time is printed too.
    times: dict[str, list[float]] = {name: [] for name in engines}
    walls: dict[str, list[float]] = {name: [] for name in engines}
    counts: dict[str, int] = {}
    for _ in range(rounds):
        for name, path in engines.items():
            env = dict(os.environ, PYTHONPATH=str(path))
            out = subprocess.run(
                [sys.executable, "-c", TIMER, str(data)],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split()
            assert Path(out[2]).is_relative_to(path), f"{name} ran {out[2]}"
            times[name].append(float(out[0]))
            walls[name].append(float(out[3]))
            counts[name] = int(out[1])
    old, new = min(times["baseline"]), min(times["time model"])
    print(
        f"{len(histories):,} histories; baseline {ref}: min {old:.2f} CPU s of {rounds} "
        f"({counts['baseline']:,} findings); time model: min {new:.2f} CPU s "
        f"({counts['time model']:,} findings); cost {100 * (new / old - 1):+.1f} %"
    )
    paired = [
        100 * (n / o - 1) for o, n in zip(times["baseline"], times["time model"], strict=True)
    ]
    print("CPU s per round:", {k: [round(x, 2) for x in v] for k, v in times.items()})
    print("paired cost per round (%):", [round(x, 1) for x in paired])
    print("wall s per round:", {k: [round(x, 2) for x in v] for k, v in walls.items()})


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--source", choices=["simulate", "synthetic"], default=None)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--victims", type=int, default=6000, help="synthetic: DA couples")
    ap.add_argument("--children", type=int, default=1500, help="synthetic: missing children")
    ap.add_argument(
        "--other-victims", type=int, default=20000, help="synthetic: other crime victims"
    )
    ap.add_argument("--database-url", default=None, help="default: a SQLite file in a temp dir")
    ap.add_argument("--samples", type=int, default=50, help="single-person re-assessments")
    ap.add_argument(
        "--db",
        type=Path,
        default=None,
        help="reuse this SQLite file, already ingested and linked (skips simulate, ingest and "
        "link); its findings and procedure checks are deleted first so the first run is a full "
        "assessment from scratch. The file is modified: pass a copy.",
    )
    ap.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: the CPU count)"
    )
    ap.add_argument(
        "--time-model",
        action="store_true",
        help="only compare the rules engine's evaluation of every history with the engine of "
        "--baseline-ref (before the local-date time model), same histories, same run",
    )
    ap.add_argument(
        "--baseline-ref",
        default="2f56481",
        help="git commit of the baseline engine (default: the commit before issue 16)",
    )
    ap.add_argument("--rounds", type=int, default=3, help="--time-model: rounds per engine")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-assess-"))
    t0 = time.perf_counter()
    if args.db is not None:
        engine = make_engine(f"sqlite:///{args.db}")
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM procedure_checks"))
            conn.execute(sa.text("DELETE FROM findings"))
            conn.execute(sa.text("DELETE FROM assessment_runs"))
            n_people = conn.execute(sa.text("SELECT count(*) FROM people")).scalar_one()
            rows = conn.execute(sa.text("SELECT count(*) FROM person_mentions")).scalar_one()
        source = f"existing database {args.db}"
        ingested = f"{rows:,} person mentions"
    else:
        source = args.source
        if source is None:
            import safeguard.simulation as simulation

            source = "simulate" if hasattr(simulation, "SimulationConfig") else "synthetic"
        if source == "simulate":
            inter = simulate(work / "force", args.years, args.seed)
        else:
            synth = Synthetic(args.seed, args.years)
            synth.build(args.victims, args.children, args.other_victims)
            inter = synth.write(work / "force")
        url = args.database_url or f"sqlite:///{work / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        summary = ingest_paths(engine, [inter], actor=OPERATOR_RUN)
        ingested = (
            f"{summary.total('rows_read'):,} rows ingested "
            f"({summary.total('quarantined'):,} quarantined)"
        )
        n_people = link_from_truth(engine, inter.parent / "truth" / "mention_person.csv")
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load} (other work shares them)")
    print(
        f"source {source}, {args.years} years: {ingested}, {n_people:,} people; "
        f"setup {time.perf_counter() - t0:.1f} s; database {engine.dialect.name}"
    )

    if args.time_model:
        compare_time_model(engine, work, args.baseline_ref, args.rounds)
        return
    assessor = svc.Assessor.from_settings()
    workers = args.workers or os.cpu_count() or 1
    t, cpu = time.perf_counter(), cpu_seconds()
    full = svc.assess_all(engine, assessor=assessor, actor=OPERATOR_RUN, workers=workers)
    full_s, full_cpu = time.perf_counter() - t, cpu_seconds() - cpu
    t, cpu = time.perf_counter(), cpu_seconds()
    again = svc.assess_all(engine, assessor=assessor, actor=OPERATOR_RUN, workers=workers)
    again_s, again_cpu = time.perf_counter() - t, cpu_seconds() - cpu
    with engine.connect() as conn:
        n_findings = conn.execute(sa.text("SELECT count(*) FROM findings")).scalar_one()
        n_checks = conn.execute(sa.text("SELECT count(*) FROM procedure_checks")).scalar_one()
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"full assessment, {workers} worker(s): {full_s:.2f} s wall ({full_cpu:.2f} s CPU, this "
        f"process and its workers) for {full.people:,} people ({n_findings:,} findings, "
        f"{n_checks:,} procedure checks); load average now {load}"
    )
    print(
        f"full re-run (nothing changed): {again_s:.2f} s wall ({again_cpu:.2f} s CPU), "
        f"{again.new} new, {again.changed} changed"
    )

    rng = random.Random(args.seed)
    with engine.connect() as conn:
        victims = conn.execute(
            sa.text(
                "SELECT DISTINCT pl.person_id, m.source_id, e.source_id FROM involvements i "
                "JOIN person_links pl ON pl.mention_id = i.mention_id "
                "JOIN person_mentions m ON m.id = i.mention_id JOIN events e ON e.id = i.event_id "
                "WHERE i.role = 'victim' ORDER BY pl.person_id, m.source_id, e.source_id"
            )
        ).all()
    picks = rng.sample(victims, min(args.samples, len(victims)))
    timings = []
    for n, (person_id, mention_ref, event_ref) in enumerate(picks):
        # A new record arrives for this person through ingest (not timed), then only they are
        # re-assessed (timed).
        new = work / "new" / str(n) / "victim_contact.jsonl"
        new.parent.mkdir(parents=True)
        row = {
            "record_type": "victim_contact",
            "schema_version": "1",
            "source_system": "NICHE",
            "source_id": f"BENCH{n}",
            "event_ref": event_ref,
            "mention_ref": mention_ref,
            "trigger": "released_on_bail",
            "trigger_at": iso(datetime.now(UTC)),
        }
        new.write_text(json.dumps(row) + "\n", encoding="utf-8")
        assert ingest_paths(engine, [new], actor=OPERATOR_RUN).clean
        t = time.perf_counter()
        svc.assess_people(engine, [person_id], assessor=assessor, actor=OPERATOR_RUN)
        timings.append((time.perf_counter() - t) * 1000)
    timings.sort()
    print(
        f"re-assess one person after a new record: median {statistics.median(timings):.1f} ms, "
        f"p90 {timings[int(len(timings) * 0.9) - 1]:.1f} ms, max {timings[-1]:.1f} ms "
        f"over {len(timings)} people"
    )
    engine.dispose()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
