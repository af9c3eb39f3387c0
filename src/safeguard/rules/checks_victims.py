"""Victims' Code rules (DOMAIN.md E): needs assessment (Right 4) and Right 6 update timescales."""

from __future__ import annotations

from safeguard.domain.history import EventFact
from safeguard.domain.victims import RIGHT6_TRIGGERS
from safeguard.domain.victims import enhanced_rights as enhanced_rights_of
from safeguard.rules.context import (
    Context,
    is_crime,
    phrase,
    referral_done,
    victim_events,
    working_days_deadline,
)


def enhanced_rights(ctx: Context, event: EventFact | None) -> list[str]:
    """Why the victim has enhanced rights for this crime (empty when they do not)."""
    key = event.event_id if event is not None else None
    cached = ctx.enhanced_cache.get(key)
    if cached is None:
        cached = ctx.enhanced_cache[key] = _enhanced_rights(ctx, event)
    return cached


def _enhanced_rights(ctx: Context, event: EventFact | None) -> list[str]:
    if event is None:
        return []
    clocks = ctx.config.clocks
    return enhanced_rights_of(
        event_type=event.event_type,
        domestic_abuse=event.domestic_abuse,
        hate=event.hate,
        age=ctx.age_at(event.occurred_at),
        crimes_before=[e.occurred_at for e in victim_events(ctx, is_crime)],
        occurred_at=event.occurred_at,
        persistent_min_crimes=clocks.persistent_min_crimes,
        persistent_window_days=clocks.persistent_window_days,
        window_start=ctx.clock.window_start(event.occurred_at, clocks.persistent_window_days),
    )


def _needs_assessment(ctx: Context) -> None:
    rule = "VC-NEEDS-ASSESSMENT"
    days = ctx.n(rule, "due_working_days")
    cal = ctx.config.calendar
    for event in victim_events(ctx, is_crime):
        start = event.reported_at or event.occurred_at
        done = [
            c.contacted_at
            for c in ctx.history.contacts
            if c.trigger == "needs_assessment"
            and c.contacted_at is not None
            and (c.event_id == event.event_id or (c.event_id is None and c.contacted_at >= start))
        ]
        ctx.procedure(
            rule,
            f"event:{event.event_id}",
            trigger=phrase(
                "victim of {kind} event {event} reported {at}",
                kind=event.event_type.replace("_", " "),
                event=event.event_id,
                at=start,
            ),
            trigger_at=start,
            due_at=working_days_deadline(cal, start, days),
            done_at=min(done) if done else None,
            what=f"a needs assessment (within {days} working days)",
            event=event,
            facts={"due_working_days": days},
        )


def _support_referral(ctx: Context) -> None:
    rule = "VC-SUPPORT-REFERRAL"
    days = ctx.n(rule, "due_working_days")
    cal = ctx.config.calendar
    for event in victim_events(ctx, is_crime):
        reasons = enhanced_rights(ctx, event)
        if not reasons:
            continue
        start = event.reported_at or event.occurred_at
        done = [
            c.contacted_at
            for c in ctx.history.contacts
            if c.trigger == "support_referral"
            and c.contacted_at is not None
            and (c.event_id == event.event_id or (c.event_id is None and c.contacted_at >= start))
        ]
        referred = referral_done(ctx, ("victim_support", "idva"), event.event_id, start)
        if referred is not None:
            done.append(referred)
        ctx.procedure(
            rule,
            f"event:{event.event_id}",
            trigger=phrase(
                "victim with enhanced rights ({reasons}) of event {event} reported {at}",
                reasons="; ".join(reasons),
                event=event.event_id,
                at=start,
            ),
            trigger_at=start,
            due_at=working_days_deadline(cal, start, days),
            done_at=min(done) if done else None,
            what=f"a referral to support services (within {days} working days)",
            event=event,
            facts={"due_working_days": days, "enhanced": reasons},
        )


def _right6(ctx: Context) -> None:
    rule = "VC-RIGHT6-UPDATE"
    cal = ctx.config.calendar
    for contact in ctx.history.contacts:
        if contact.trigger not in RIGHT6_TRIGGERS or contact.trigger_at is None:
            continue
        event = ctx.history.event(contact.event_id)
        if contact.contacted_at is not None and contact.contacted_at < contact.trigger_at:
            ctx.flag(
                "DATA-DATES-OUT-OF-ORDER",
                f"contact:{contact.contact_id}",
                f"victim contact {contact.contact_id}: told at {ctx.when(contact.contacted_at)}, "
                f"before the {contact.trigger.replace('_', ' ')} at "
                f"{ctx.when(contact.trigger_at)}.",
                event=event,
            )
            continue
        reasons = enhanced_rights(ctx, event)
        days = ctx.config.clocks.right6_days(bool(reasons))
        rights = f"enhanced rights ({'; '.join(reasons)})" if reasons else "standard rights"
        ctx.procedure(
            rule,
            f"contact:{contact.contact_id}",
            trigger=phrase(
                "{what} at {at}, {rights}",
                what=contact.trigger.replace("_", " "),
                at=contact.trigger_at,
                rights=rights,
            ),
            trigger_at=contact.trigger_at,
            due_at=working_days_deadline(cal, contact.trigger_at, days),
            done_at=contact.contacted_at,
            what=f"the victim told (within {days} working day(s))",
            event=event,
            facts={"enhanced": bool(reasons), "due_working_days": days},
        )


def run(ctx: Context) -> None:
    """Apply the Victims' Code rules."""
    _needs_assessment(ctx)
    _support_referral(ctx)
    _right6(ctx)
