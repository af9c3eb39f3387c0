"""The board report in the app: choose the period, read it as a page, download the PDF.

Aggregate figures only (disclosure-controlled), for everyone who may see the dashboard; the
PDF download is an export, audited.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from importlib.resources import files
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from safeguard.domain.access import Action, Actor
from safeguard.errors import ValidationFailed
from safeguard.services import audit_trail, reports
from safeguard.web.deps import Authorised, EngineDep
from safeguard.web.pages.render import render

router = APIRouter()
BoardViewer = Annotated[Actor, Depends(Authorised(Action.VIEW_DASHBOARD))]
DateText = Annotated[str | None, Query(max_length=10)]


def _last_month(today: date) -> tuple[date, date]:
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def _period(start: str | None, end: str | None) -> tuple[dict[str, str], date, date]:
    """The chosen period, or the field errors (GOV.UK pattern: message per field)."""
    errors: dict[str, str] = {}
    first, last = _last_month(datetime.now(UTC).date())
    chosen: list[date] = []
    for field, text, fallback in (("start", start, first), ("end", end, last)):
        if not text:
            chosen.append(fallback)
            continue
        try:
            chosen.append(date.fromisoformat(text))
        except ValueError:
            errors[field] = "Enter a real date, for example 2026-11-01"
            chosen.append(fallback)
    if not errors and chosen[1] < chosen[0]:
        errors["end"] = "The end must be on or after the start"
    if not errors and (chosen[1] - chosen[0]).days > 366:
        errors["end"] = "Choose a period of at most a year"
    return errors, chosen[0], chosen[1]


def _body(document: str) -> Markup:
    """The report's own content, without its document shell (its styles come from
    ``/board/report.css`` so that the page keeps the strict CSP)."""
    inner = document.split("<body", 1)[1].split(">", 1)[1].rsplit("</body>", 1)[0]
    return Markup(inner)  # noqa: S704 - our own rendered report (autoescaped Jinja)


@router.get("/board", response_class=HTMLResponse)
def board(
    request: Request, engine: EngineDep, actor: BoardViewer, start: DateText = None,
    end: DateText = None,
) -> Response:  # fmt: skip
    """The board report for a chosen period (last month by default)."""
    errors, first, last = _period(start, end)
    ctx: dict[str, object] = {"errors": errors, "start": start or first.isoformat(),
                              "end": end or last.isoformat()}  # fmt: skip
    if not errors:
        try:
            ctx["report"] = _body(reports.render_report_html(engine, first, last))
        except ValidationFailed as exc:
            ctx["errors"] = {"start": str(exc)}
    status = 422 if ctx["errors"] else 200
    return render(request, "board.html", ctx, actor=actor, status_code=status)


@router.get("/board/report.pdf")
def board_pdf(
    request: Request, engine: EngineDep, actor: BoardViewer, start: DateText = None,
    end: DateText = None,
) -> Response:  # fmt: skip
    """The board report as a tagged, accessible PDF (PDF/UA-1); the download is audited."""
    errors, first, last = _period(start, end)
    if errors:
        raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in errors.items()))
    data = reports.render_report_pdf(engine, first, last)
    audit_trail.record_apart(
        engine,
        audit_trail.export(
            actor, what="board_report", records=[f"{first}..{last}"],
            justification="Executive Board report", format="pdf",
        ),
    )  # fmt: skip
    name = f"board-report-{first}-{last}.pdf"
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/board/report.css")
def board_css(actor: BoardViewer) -> Response:
    """The report's styles, nested under the page's report block (CSS nesting)."""
    css = files("safeguard.adapters.reports").joinpath("templates/report.css").read_text("utf-8")
    return Response(".sg-board {\n" + css + "\n}\n", media_type="text/css")
