"""The demo pipeline: a simulated force, ingested and processed end to end, safe to re-run.

It lives with the CLI because it joins two sibling layers (services and simulation).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.engine import Connection, Engine

from safeguard.cli import context
from safeguard.services.accounts import DEMO, create_demo_users
from safeguard.services.assessment import assess_all
from safeguard.services.ingest import IngestSummary, ingest_paths
from safeguard.services.linking.config import LinkConfig
from safeguard.services.linking.runs import link_all
from safeguard.services.partners import register_agency
from safeguard.services.unit_of_work import DEMO_RUN, UnitOfWork
from safeguard.simulation import SimulationConfig, simulate
from safeguard.simulation.agencies import partner_agencies

logger = logging.getLogger(__name__)

Step = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class DemoPlan:
    """What the demo builds: a modest force, small enough to run on a laptop in minutes."""

    folder: Path
    population: int = 20_000
    years: int = 3
    seed: int = 1

    @property
    def force_dir(self) -> Path:
        return self.folder / "force"

    @property
    def database_url(self) -> str:
        return f"sqlite:///{(self.folder / 'safeguard.db').resolve()}"

    def simulation(self) -> SimulationConfig:
        return SimulationConfig(
            population=self.population, years=self.years, seed=self.seed, output_format="parquet"
        )


@dataclass(slots=True)
class DemoResult:
    simulated: bool = False
    ingest: IngestSummary | None = None


def _stamp(plan: DemoPlan) -> dict[str, object]:
    return {k: v for k, v in asdict(plan.simulation()).items() if k != "rates"} | {
        "end": str(plan.simulation().end)
    }


def simulate_if_needed(plan: DemoPlan, say: Step) -> bool:
    """Simulate unless the folder already holds this exact force (same size, years, seed)."""
    marker = plan.force_dir / "demo-simulation.json"
    wanted = json.dumps(_stamp(plan), sort_keys=True, default=str)
    if marker.exists() and marker.read_text() == wanted:
        say(f"simulated force already in {plan.force_dir} (same size and seed): kept")
        return False
    say(f"simulating {plan.population:,} people over {plan.years} years into {plan.force_dir}")
    simulate(plan.simulation(), plan.force_dir)
    marker.write_text(wanted)
    return True


def register_demo_agencies(conn: Connection) -> int:
    """The simulated force's partner agencies in the registry (kept if already there)."""
    for code, name, sector, names in partner_agencies():
        register_agency(conn, code=code, display_name=name, sector=sector, names=names)
    return len(partner_agencies())


def run_demo(plan: DemoPlan, engine: Engine, say: Step) -> DemoResult:
    """Simulate (once), ingest, link and assess; each step is idempotent."""
    plan.folder.mkdir(parents=True, exist_ok=True)
    result = DemoResult()
    result.simulated = simulate_if_needed(plan, say)
    say("ingesting the force's interchange files (idempotent: a re-run changes nothing)")
    result.ingest = ingest_paths(engine, [plan.force_dir / "interchange"], actor=DEMO_RUN)
    s = result.ingest
    say(
        f"ingest: {s.total('rows_read'):,} rows read, {s.total('inserted'):,} new, "
        f"{s.total('unchanged'):,} unchanged, {s.total('quarantined'):,} quarantined"
    )
    say("linking person mentions into people (Splink; a re-run keeps person ids)")
    config = LinkConfig.for_force(plan.folder / "linkage")  # the force's linking policy
    linked = link_all(engine, actor=DEMO_RUN, config=config)
    say(
        f"link: {linked.mentions:,} mentions, {linked.people:,} people, "
        f"{linked.unlinkable:,} unlinkable, {linked.review_items:,} pairs to review"
    )
    say("assessing every person's history with the instruments and rules")
    with Progress(
        TextColumn("[bold]assess"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=context.console,
        transient=True,
    ) as progress:
        task = progress.add_task("assess", total=None)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        assessed = assess_all(engine, actor=DEMO_RUN, progress=on_progress)
    say(
        f"assess: {assessed.people:,} people, {assessed.new:,} new findings, "
        f"{assessed.changed:,} changed, {assessed.closed:,} closed"
    )
    with UnitOfWork.begin(engine, DEMO) as uow:
        register_demo_agencies(uow.conn)
        made = create_demo_users(uow)
    say(f"demo sign-ins ready: {len(made)} personas, one per role")
    return result
