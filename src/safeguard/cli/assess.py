"""`safeguard assess` and `safeguard findings ...`: run the rules, work the findings."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import UTC, datetime

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from safeguard.adapters.db.findings import StoredFinding
from safeguard.cli import context
from safeguard.domain.spreadsheet import safe_cell
from safeguard.errors import ValidationFailed
from safeguard.services import assessment as svc
from safeguard.services import findings
from safeguard.services.unit_of_work import UnitOfWork

findings_app = typer.Typer(
    help="Findings: list worklists and a person's findings, acknowledge, resolve.",
    no_args_is_help=True,
)


def _parse_since(value: str | None) -> datetime | None:
    if value is None or value == "last":
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            f"--since {value!r}: expected an ISO 8601 time with offset, e.g. "
            "2024-03-01T21:15:00Z, or 'last'"
        ) from None
    if parsed.tzinfo is None:
        raise ValidationFailed(f"--since {value!r}: give a timezone offset, e.g. Z or +01:00")
    return parsed.astimezone(UTC)


def assess(
    person: list[int] = typer.Option(
        [], "--person", help="Re-assess only this person (people.id); repeatable"
    ),
    since: str | None = typer.Option(
        None,
        "--since",
        help="Re-assess only people touched by records changed since this time "
        "(ISO 8601), or 'last' for since the last full run",
    ),
    job: str = typer.Option(
        "cli", "--actor", help="Batch job (cli or nightly) the run is recorded under, unless --as"
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar"),
    workers: int | None = typer.Option(
        None,
        "--workers",
        min=1,
        help="Processes evaluating the rules in a full run (default: the CPU count); "
        "the result is the same with any number",
    ),
    as_of: str | None = typer.Option(
        None,
        "--as-of",
        help="Evaluate every rule at this moment (ISO 8601 with offset, or a date): records "
        "and timestamps after it are not seen. For replays and scenarios on a test database",
    ),
) -> None:
    """Apply the risk instruments and procedural rules to every person (or only some)."""
    with context.handled():
        moment = context.parse_moment(as_of)
        eng = context.engine()
        principal = context.run_as(eng, job)
        assessor = svc.Assessor.from_settings()
        if person and since is not None:
            raise ValidationFailed("give --person or --since, not both")
        if moment is not None and since is not None:
            raise ValidationFailed("give --as-of or --since, not both")
        progress = Progress(
            TextColumn("[bold]assess"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=context.console,
            disable=quiet,
            transient=True,
        )
        with progress:
            task = progress.add_task("assess", total=None)

            def on_progress(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            if person:
                summary = svc.assess_people(
                    eng, person, assessor=assessor, actor=principal, as_of=moment
                )
            elif since is not None:
                summary = svc.assess_since(
                    eng,
                    _parse_since(since),
                    assessor=assessor,
                    actor=principal,
                    progress=on_progress,
                    workers=workers,
                )
            else:
                summary = svc.assess_all(
                    eng,
                    assessor=assessor,
                    actor=principal,
                    progress=on_progress,
                    workers=workers,
                    as_of=moment,
                )
        context.anchor(eng)
        context.out.print(
            f"assessment run {summary.run_id}: {summary.people:,} people; findings "
            f"{summary.new:,} new, {summary.changed:,} changed, {summary.closed:,} closed"
        )


EXPORT_FIELDS = (
    "id", "finding_key", "person_key", "rule_id", "rule_version", "category", "kind",
    "severity", "status", "due_at", "done_at", "event_id", "instrument_id",
    "instrument_version", "area", "team", "first_found_at", "last_changed_at", "explanation",
    "facts",
)  # fmt: skip


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def _export(rows: list[StoredFinding], fmt: str) -> str:
    """Findings with their facts as JSON (a list of objects) or CSV (facts as JSON text)."""
    records = [{k: _plain(getattr(f, k)) for k in EXPORT_FIELDS} for f in rows]
    if fmt == "json":
        return json.dumps(records, indent=2, sort_keys=False, default=str)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    for r in records:
        r["facts"] = json.dumps(r["facts"], sort_keys=True, default=str)
        writer.writerow({k: safe_cell(v) if isinstance(v, str) else v for k, v in r.items()})
    return buffer.getvalue()


def _table(title: str, rows: list[StoredFinding]) -> Table:
    table = Table(title=title)
    for name in ("id", "person", "rule", "severity", "due", "status", "explanation"):
        table.add_column(name, overflow="fold")
    for f in rows:
        due = f.due_at.strftime("%Y-%m-%d %H:%M") if f.due_at else "-"
        table.add_row(str(f.id), f.person_key, f.rule_id, f.severity, due, f.status, f.explanation)
    return table


@findings_app.command("list")
def list_cmd(
    worklist: str = typer.Option(
        "overdue",
        "--worklist",
        "-w",
        help="overdue, marac_due, repeat_missing, cse_screening_due, new_high_risk, "
        "repeat_victims, professional_judgement, data_quality",
    ),
    person: str | None = typer.Option(
        None, "--person", help="A person's open findings instead (people.id, or P…/M… key)"
    ),
    area: str | None = typer.Option(None, help="Only this area"),
    team: str | None = typer.Option(None, help="Only this team"),
    limit: int = typer.Option(50, help="At most this many"),
    fmt: str = typer.Option(
        "table", "--format", help="table (to read), json or csv (with each finding's facts)"
    ),
) -> None:
    """List a worklist (most urgent first) or a person's open findings, as the account named
    by --as (checked against its role; the people listed are audited as consulted)."""
    with context.handled():
        if fmt not in ("table", "json", "csv"):
            raise ValidationFailed(f"--format {fmt!r}: expected table, json or csv")
        eng = context.engine()
        with UnitOfWork.begin(eng, context.actor(eng)) as uow:  # checked and audited
            if person is not None:
                key: str | int = int(person) if person.isdigit() else person
                rows = findings.read_person_findings(uow, key)[:limit]
                title = f"Open findings of {person}"
            else:
                rows = findings.read_worklist(uow, worklist, area=area, team=team, limit=limit)
                title = f"Worklist {worklist}"
        if fmt == "table":
            context.out.print(_table(title, rows))
        else:
            sys.stdout.write(_export(rows, fmt))


@findings_app.command("acknowledge")
def acknowledge_cmd(
    finding_id: int = typer.Argument(..., help="Finding id"),
    note: str | None = typer.Option(None, help="Note"),
) -> None:
    """Acknowledge a finding: you own it now (as the account named by --as)."""
    with context.handled():
        eng = context.engine()
        f = svc.acknowledge_finding(eng, finding_id, actor=context.actor(eng), note=note)
        context.out.print(f"finding {f.id} acknowledged by {f.acknowledged_by}")


@findings_app.command("resolve")
def resolve_cmd(
    finding_id: int = typer.Argument(..., help="Finding id"),
    note: str = typer.Option(..., help="What was done"),
) -> None:
    """Resolve a finding, saying what was done (as the account named by --as)."""
    with context.handled():
        eng = context.engine()
        f = svc.resolve_finding(eng, finding_id, actor=context.actor(eng), note=note)
        context.out.print(f"finding {f.id} resolved by {f.resolved_by}")


def register(app: typer.Typer) -> None:
    app.command("assess")(assess)
    app.add_typer(findings_app, name="findings")
