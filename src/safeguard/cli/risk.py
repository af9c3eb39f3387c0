"""`safeguard risk ...`: train, evaluate, activate and score the advisory risk model."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.table import Table

from safeguard.cli import context
from safeguard.domain.access import Action
from safeguard.domain.risk.targets import MIN_POSITIVES, Target
from safeguard.errors import ValidationFailed
from safeguard.services.unit_of_work import authorize

# The risk model service is imported inside each command, not here: it loads scikit-learn, skops
# and SciPy (seconds of CPU), which every other command, and every worker process of a full
# assessment (a spawned worker imports the CLI), would otherwise load for nothing.

risk_app = typer.Typer(
    help="The advisory risk model: learn from the force's linked history, validate, activate, "
    "score.",
    no_args_is_help=True,
)
TARGETS = ", ".join(t.value for t in Target)


def _targets(values: list[str]) -> list[Target]:
    try:
        return [Target(v) for v in values] if values else list(Target)
    except ValueError:
        raise ValidationFailed(f"--target {values}: expected one of {TARGETS}") from None


def _target(value: str) -> Target:
    return _targets([value])[0]


def _data_end(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise ValidationFailed(f"--data-end {value!r}: expected a date, e.g. 2026-01-01") from None


@risk_app.command("train")
def train(
    target: list[str] = typer.Option([], "--target", help=f"Target(s): {TARGETS} (default all)"),
    data_end: str | None = typer.Option(
        None,
        "--data-end",
        help="Records are complete up to this day (default: the day after the latest event)",
    ),  # fmt: skip
    out: Path | None = typer.Option(None, "--out", help="Also write each card here (.md, .json)"),
    min_positives: int = typer.Option(
        MIN_POSITIVES,
        "--min-positives",
        min=1,
        help="Fewest outcomes of each kind to train",
    ),
    job: str = typer.Option(
        "cli",
        "--actor",
        help="Batch job (cli or nightly) recorded with the model, unless --as",
    ),
) -> None:
    """Train on earlier years, test on the latest complete year, write the model card."""
    with context.handled():
        eng = context.engine()
        # Checked before the records are read (the service checks again before it writes).
        principal = authorize(context.run_as(eng, job), Action.RUN_BATCH_JOBS)
        wanted = _targets(target)
        from safeguard.services import risk_model as svc
        from safeguard.services import risk_model_data as data

        with eng.connect() as conn:
            ds = data.build(conn, data_end=_data_end(data_end))
        for t in wanted:
            trained = svc.train(eng, t, actor=principal, dataset=ds, min_positives=min_positives)
            test = trained.card["test"]
            same = test["same_incidents"]
            context.out.print(
                f"{t.value} v{trained.version}: AUC {test['auc']:.3f}, ECE {test['ece']:.3f}; "
                + ", ".join(f"{k} {v:.3f}" for k, v in same.items() if k != "n" and v is not None)
            )
            context.out.print(
                "  gate: passes" if not trained.refusals else
                "  gate: refused: " + "; ".join(trained.refusals)
            )  # fmt: skip
            if out is not None:
                out.mkdir(parents=True, exist_ok=True)
                got = svc.card(eng, t, trained.version)
                stem = out / f"{t.value}-v{trained.version}"
                stem.with_suffix(".md").write_text(got["markdown"], encoding="utf-8")
                stem.with_suffix(".json").write_text(
                    json.dumps(got["card"], indent=2), encoding="utf-8"
                )


@risk_app.command("evaluate")
def evaluate(
    target: str = typer.Option(..., "--target", help=f"One of {TARGETS}"),
    version: int | None = typer.Option(None, "--version", help="Default: the active model"),
    as_json: bool = typer.Option(False, "--json", help="The card as JSON"),
) -> None:
    """Show a model's card: test-year AUC beside DASH and officer grade, calibration, groups."""
    with context.handled():
        from safeguard.services import risk_model as svc

        got = svc.card(context.engine(), _target(target), version)
        if as_json:
            context.out.print_json(json.dumps(got["card"]))
        else:
            context.out.print(got["markdown"], markup=False, highlight=False)


@risk_app.command("activate")
def activate(
    target: str = typer.Option(..., "--target", help=f"One of {TARGETS}"),
    version: int = typer.Option(..., "--version", help="The version to make active"),
    job: str = typer.Option(
        "cli",
        "--actor",
        help="Batch job (cli or nightly) recorded as the activator, unless --as",
    ),
) -> None:
    """Make a version active if it passes the gate and its stored file matches the code."""
    with context.handled():
        eng = context.engine()
        from safeguard.services import risk_model as svc

        svc.activate(eng, _target(target), version, actor=context.run_as(eng, job))
        context.out.print(f"{target} v{version} is active; run `safeguard risk score`")


@risk_app.command("score")
def score() -> None:
    """Score every incident and missing episode with the active models."""
    with context.handled():
        from safeguard.services import risk_model as svc

        counts = svc.score_all(context.engine())
        for t, n in counts.items():
            context.out.print(f"{t}: {n:,} scored")


@risk_app.command("cards")
def cards() -> None:
    """Every model version: target, family, when trained, test AUC and ECE, gate, active."""
    with context.handled():
        from safeguard.services import risk_model as svc

        table = Table("target", "version", "family", "trained", "AUC", "ECE", "gate", "active")
        for v in svc.versions(context.engine()):
            test = v["card"]["test"]
            table.add_row(
                v["target"], str(v["version"]), v["family"], f"{v['created_at']:%Y-%m-%d %H:%M}",
                f"{test['auc']:.3f}", f"{test['ece']:.3f}",
                "passes" if not v["refusals"] else "refused", "yes" if v["active"] else "",
            )  # fmt: skip
        context.out.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(risk_app, name="risk")
