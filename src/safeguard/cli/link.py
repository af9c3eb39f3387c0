"""`safeguard link`: link mentions into people, and the analysts' review commands."""

from __future__ import annotations

from datetime import UTC, date, datetime

import typer
from rich.table import Table

from safeguard.cli import context
from safeguard.domain.linking import UNLINKABLE_DESCRIPTIONS, UnlinkableReason
from safeguard.domain.purposes import Use, justify
from safeguard.errors import ValidationFailed
from safeguard.services.linking import decisions, one_record
from safeguard.services.linking.config import LinkConfig, force_policy
from safeguard.services.unit_of_work import UnitOfWork

link_app = typer.Typer(
    help="Person linking: one history per person (Splink). Without a sub-command, link now.",
    invoke_without_command=True,
    no_args_is_help=False,
)


_OPTIONS = {
    "match_threshold": "--match-threshold",
    "review_from": "--review-from",
    "guards_off": "--guard-off",
}


def _config(
    backend: str = "duckdb",
    retrain: bool = False,
    guards_off: list[str] | None = None,
    hold_ambiguous: bool | None = None,
    match_threshold: float | None = None,
    review_from: float | None = None,
) -> LinkConfig:
    """The force's linking policy (its settings file), with this command's options on top."""
    settings = context.settings()
    if backend not in ("duckdb", "spark"):
        raise typer.BadParameter("backend must be duckdb or spark", param_hint="--backend")
    policy = force_policy()  # a bad settings file: ValidationFailed naming file and key
    try:
        return LinkConfig.for_force(
            settings.data_dir / "linkage",
            policy,
            backend=backend,
            retrain=retrain,
            guards_off=frozenset(guards_off) if guards_off else None,
            hold_ambiguous=hold_ambiguous,
            match_threshold=match_threshold,
            review_from=review_from,
        )
    except ValidationFailed as exc:
        field = str(exc).split(":", 1)[0].removeprefix("linking.")
        raise typer.BadParameter(
            str(exc).split(": ", 1)[-1], param_hint=_OPTIONS.get(field, field)
        ) from None


@link_app.callback()
def link(
    ctx: typer.Context,
    delta: bool = typer.Option(False, "--delta", help="Link only mentions with no person yet"),
    backend: str = typer.Option("duckdb", help="duckdb (one machine) or spark (a cluster)"),
    retrain: bool = typer.Option(False, "--retrain", help="Train a new model even if one is saved"),
    job: str = typer.Option(
        "cli",
        "--actor",
        help="Batch job (cli or nightly) the run is recorded under, unless --as",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress messages"),
    guard_off: list[str] = typer.Option(  # noqa: B008
        [],
        "--guard-off",
        help="Turn a guard off by name, to measure it (repeatable; replaces the force's "
        "linking.guards_off; see docs/linking.md)",
    ),
    hold_ambiguous: bool | None = typer.Option(
        None,
        "--hold-ambiguous/--no-hold-ambiguous",
        help="Hold mentions that link equally to two kept-apart people "
        "(default: the force's linking.hold_ambiguous)",
        show_default=False,
    ),
    match_threshold: float | None = typer.Option(
        None,
        "--match-threshold",
        help="Pairs at or above this probability are one person "
        "(default: the force's linking.match_threshold, 0.95)",
    ),
    review_from: float | None = typer.Option(
        None,
        "--review-from",
        help="Uncertain pairs from this probability up are queued for review "
        "(default: the force's linking.review_from, 0.5)",
    ),
) -> None:
    """Link every mention (train or load the model, score, cluster, store people).

    Thresholds and guards come from the `linking:` section of the force's settings file
    (SAFEGUARD_RULES_CONFIG); the options here override it for one run."""
    if ctx.invoked_subcommand is not None:
        return
    with context.handled():
        eng = context.engine()
        config = _config(backend, retrain, guard_off, hold_ambiguous, match_threshold, review_from)

        def say(message: str) -> None:
            if not quiet:
                context.console.print(f"[dim]link:[/] {message}")

        from safeguard.services.linking import runs  # Splink and DuckDB: only when linking

        run = runs.link_new if delta else runs.link_all
        summary = run(eng, actor=context.run_as(eng, job), config=config, progress=say)
        context.anchor(eng)
        table = Table(title=f"Link run {summary.run_id} ({summary.kind})")
        for name in ("mentions", "people", "links changed", "unlinkable", "to review", "seconds"):
            table.add_column(name, justify="right")
        table.add_row(
            f"{summary.mentions:,}",
            f"{summary.people:,}",
            f"{summary.changed_links:,}",
            f"{summary.unlinkable:,}",
            f"{summary.review_items:,}",
            f"{summary.seconds:.1f}",
        )
        context.out.print(table)
        trained = "trained now" if summary.trained else "saved"
        context.out.print(f"model {summary.model_version} ({trained})")
        if summary.stages:
            context.out.print(
                "stages: " + ", ".join(f"{k} {v:.1f}s" for k, v in summary.stages.items())
            )


@link_app.command("review")
def review(limit: int = typer.Option(20, help="How many items to show")) -> None:
    """The review queue: uncertain pairs, most important first."""
    with context.handled():
        items = decisions.review_queue(context.engine(), limit=limit)
        table = Table(title="Links to review")
        for name in ("item", "mention", "person", "mention", "person", "p", "why"):
            table.add_column(name)
        for i in items:
            table.add_row(
                str(i.id),
                str(i.mention_id_l),
                str(i.person_id_l),
                str(i.mention_id_r),
                str(i.person_id_r),
                f"{i.match_probability:.3f}",
                i.reason,
            )
        context.out.print(table)


@link_app.command("confirm")
def confirm(
    item: int = typer.Argument(..., help="Review item id"),
    reason: str = typer.Option(..., help="Why they are one person"),
) -> None:
    """Confirm a review item: the two mentions are one person (kept by every later run).
    Acts as the account named by --as (it must be allowed to review links)."""
    with context.handled():
        eng = context.engine()
        decision = decisions.confirm_link(
            eng, actor=context.actor(eng), reason=reason, review_id=item
        )
        context.out.print(f"confirmed (decision {decision})")


@link_app.command("split")
def split(
    item: int = typer.Argument(..., help="Review item id"),
    reason: str = typer.Option(..., help="Why they are different people"),
) -> None:
    """Split a review item: the two mentions are different people (kept by every later run).
    Acts as the account named by --as (it must be allowed to review links)."""
    with context.handled():
        eng = context.engine()
        decision = decisions.split_link(
            eng, actor=context.actor(eng), reason=reason, review_id=item
        )
        context.out.print(f"split (decision {decision})")


@link_app.command("undo")
def undo(
    decision: int = typer.Argument(..., help="Decision id (from confirm or split)"),
    reason: str = typer.Option(..., help="Why the decision is undone"),
) -> None:
    """Undo a confirm or split: links return to how they were before it. Acts as the account
    named by --as (it must be allowed to review links)."""
    with context.handled():
        eng = context.engine()
        decisions.undo_decision(eng, actor=context.actor(eng), decision_id=decision, reason=reason)
        context.out.print(f"decision {decision} undone")


@link_app.command("unlinkable")
def unlinkable(limit: int = typer.Option(50, help="How many mentions to list")) -> None:
    """Mentions kept on their own because they cannot be linked, with the reason."""
    from safeguard.services.linking import runs

    with context.handled():
        eng = context.engine()
        for reason, n in sorted(runs.reason_counts(eng).items()):
            context.out.print(
                f"{n:,} {reason}: {UNLINKABLE_DESCRIPTIONS[UnlinkableReason(reason)]}"
            )
        table = Table(title="Unlinkable mentions")
        table.add_column("mention")
        table.add_column("reason")
        for mention, reason in runs.unlinkable_mentions(eng, limit=limit):
            table.add_row(str(mention), reason)
        context.out.print(table)


@link_app.command("candidates")
def candidates(
    forenames: str = typer.Option(None, help="Forename(s)"),
    surname: str = typer.Option(None, help="Surname"),
    dob: str = typer.Option(None, help="Date of birth YYYY-MM-DD"),
    postcode: str = typer.Option(None, help="Postcode"),
    limit: int = typer.Option(5, help="How many people"),
    purpose: str = typer.Option(..., help="Why you look (a purpose code, as on the web's search)"),
    reference: str | None = typer.Option(None, help="The purpose's reference, where it needs one"),
) -> None:
    """Who a record being entered now may be (link_one), with match probabilities, as the
    account named by --as (allowed to search people); the people shown are audited as
    consulted, with the purpose."""
    with context.handled():
        justification = justify(purpose, reference, use=Use.CONSULT)
        try:
            born = date.fromisoformat(dob) if dob else None
        except ValueError as exc:
            raise typer.BadParameter("use YYYY-MM-DD", param_hint="--dob") from exc
        mention = {
            "forenames": forenames,
            "surname": surname,
            "date_of_birth": born,
            "postcode": postcode,
        }
        eng = context.engine()
        with UnitOfWork.begin(eng, context.actor(eng)) as uow:  # checked and audited
            found = one_record.candidates_for(
                uow,
                mention,
                justification=justification,
                config=_config(),
                today=datetime.now(UTC).date(),
                limit=limit,
            )
        table = Table(title="Candidate people")
        table.add_column("person")
        table.add_column("p")
        table.add_column("mentions")
        for c in found:
            table.add_row(str(c.person_id), f"{c.match_probability:.3f}", str(len(c.mention_ids)))
        context.out.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(link_app, name="link")
