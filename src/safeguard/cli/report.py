"""`safeguard report`: the Executive Board report for a period, as HTML or PDF."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Literal

import typer
from sqlalchemy.engine import Engine

from safeguard.cli import context
from safeguard.domain.access import Action, Principal
from safeguard.domain.disclosure import DEFAULT_THRESHOLD, DisclosurePolicy
from safeguard.errors import ValidationFailed
from safeguard.services import audit_trail
from safeguard.services.unit_of_work import authorize

logger = logging.getLogger(__name__)


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"{option}: expected a date YYYY-MM-DD, got {value!r}") from None


def report(
    date_from: str = typer.Option(..., "--from", help="First day of the period, YYYY-MM-DD."),
    date_to: str = typer.Option(..., "--to", help="Last day of the period (included), YYYY-MM-DD."),
    fmt: str = typer.Option("pdf", "--format", help="html or pdf."),
    out: Path = typer.Option(..., "--out", help="File to write.", dir_okay=False),
    previous: int = typer.Option(4, "--previous", help="Earlier periods to show for the trend."),
    threshold: int = typer.Option(
        DEFAULT_THRESHOLD, "--threshold", help="Disclosure threshold: counts below it are withheld."
    ),
) -> None:
    """Write the Executive Board vulnerability report (aggregate only, OFFICIAL-SENSITIVE)."""
    from safeguard.adapters.reports import render
    from safeguard.services.reports import build_report

    with context.handled():
        start, end = _date(date_from, "--from"), _date(date_to, "--to")
        if fmt not in ("html", "pdf"):
            raise ValidationFailed(f"--format: expected html or pdf, got {fmt!r}")
        if threshold < 2:
            raise ValidationFailed(f"--threshold: must be at least 2, got {threshold}")
        if not out.parent.exists():
            raise ValidationFailed(f"--out: folder {out.parent} does not exist")
        medium: Literal["html", "pdf"] = "html" if fmt == "html" else "pdf"
        eng = context.engine()
        # Checked before anything is computed or written: the account named by --as must
        # see the board's aggregates; without --as it is the declared operator job.
        principal = authorize(context.operator(eng), Action.VIEW_DASHBOARD)
        with context.console.status("Computing the figures..."):
            published = build_report(
                eng, start, end, previous=previous, policy=DisclosurePolicy(threshold=threshold)
            )
        with context.console.status(f"Rendering {medium.upper()}..."):
            if medium == "html":
                out.write_text(render.html(published, medium="web"), encoding="utf-8")
            else:
                out.write_bytes(render.pdf(published))
        _audit_export(eng, principal, published.current.label, medium, out.name, threshold)
        context.out.print(
            f"report for {published.current.label} written to {out} ({out.stat().st_size:,} bytes)"
        )


def _audit_export(
    engine: Engine, principal: Principal, period: str, medium: str, name: str, threshold: int
) -> None:
    """A report written out of the system is an export: audited (who ran it, which period):
    the account named by --as, else the declared operator job ``cli``."""
    entry = audit_trail.export(
        principal,
        what="board_report",
        records=[period],
        justification="Executive Board report",
        format=medium,
        file=name[:200],
        threshold=threshold,
    )
    audit_trail.record_apart(engine, entry)


def register(app: typer.Typer) -> None:
    app.command("report")(report)
