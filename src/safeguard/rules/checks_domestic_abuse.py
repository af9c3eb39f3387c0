"""Domestic-abuse and hate-crime rules: DASH done, MARAC routes, repeat flags, risk flags."""

from __future__ import annotations

from datetime import timedelta

from safeguard.domain.history import EventFact, ReferralFact
from safeguard.rules.context import (
    REPORTED,
    Context,
    Scored,
    known_at,
    listing,
    phrase,
    referral_done,
    reported_late,
    role_events,
    victim_events,
    within,
    working_days_deadline,
)

MARAC = ("marac",)


def _is_da(event: EventFact) -> bool:
    return event.domestic_abuse


def _is_hate(event: EventFact) -> bool:
    return event.hate


def _dash_completed(ctx: Context) -> None:
    rule = "DA-DASH-COMPLETED"
    hours = ctx.n(rule, "due_hours")
    dashes = [s for s in ctx.scored if s.is_da_instrument and s.complete]
    for event in victim_events(ctx, _is_da):
        matched = [s for s in dashes if s.fact.event_id == event.event_id]
        if not matched:
            matched = [
                s
                for s in dashes
                if s.fact.event_id is None and s.fact.completed_at >= event.occurred_at
            ]
        done = matched[0] if matched else None
        start, late = known_at(event), reported_late(event)
        ctx.procedure(
            rule,
            f"event:{event.event_id}",
            trigger=phrase(
                "victim of domestic-abuse incident event {event} at {at}"
                + (REPORTED if late else ""),
                event=event.event_id,
                at=event.occurred_at,
                reported=late,
            ),
            trigger_at=start,
            due_at=start + timedelta(hours=hours),
            done_at=done.fact.completed_at if done else None,
            what=f"a complete DASH (within {hours} h)",
            event=event,
            scored=done,
            facts={"due_hours": hours},
        )


def _incomplete(ctx: Context) -> None:
    for s in ctx.scored:
        if s.complete:
            continue
        if s.error is not None:
            why = s.error
        else:
            assert s.result is not None
            why = f"incomplete, missing {', '.join(s.result.missing)}"
        ctx.flag(
            "ASSESSMENT-INCOMPLETE",
            f"assessment:{s.fact.assessment_id}",
            f"assessment {s.fact.assessment_id} ({s.fact.instrument_id}/"
            f"{s.fact.instrument_version}, {ctx.when(s.fact.completed_at)}) has no grade: {why}.",
            event=ctx.history.event(s.fact.event_id),
            scored=s,
        )


def _marac_from_assessments(ctx: Context) -> None:
    min_yes = ctx.n("MARAC-VISIBLE-HIGH-RISK", "min_yes")
    for s in ctx.scored:
        if not (s.is_da_instrument and s.complete and s.result and s.instrument):
            continue
        result = s.result
        top = s.instrument.marac_threshold_grade
        event = ctx.history.event(s.fact.event_id)
        if result.yes_count >= min_yes:
            rule = "MARAC-VISIBLE-HIGH-RISK"
            trigger = (
                f"DASH {s.fact.assessment_id} has {result.yes_count} 'yes' answers (>= {min_yes})"
            )
        elif result.marac_route == "visible_high_risk":
            # A force's own instrument (e.g. DARA-like) whose answers alone give its top grade.
            rule = "MARAC-VISIBLE-HIGH-RISK"
            trigger = (
                f"{s.fact.instrument_id} {s.fact.assessment_id} answers give {result.grade} on "
                f"the instrument's own bands ({result.yes_count} 'yes')"
            )
        elif result.raised_by_judgement and result.grade == top:
            rule = "MARAC-PROFESSIONAL-JUDGEMENT"
            trigger = (
                f"DASH {s.fact.assessment_id} has {result.yes_count} 'yes' answers (< {min_yes}) "
                f"but professional judgement graded it {result.grade}"
            )
        else:
            continue
        days = ctx.n(rule, "due_working_days")
        at = s.fact.completed_at
        ctx.procedure(
            rule,
            f"assessment:{s.fact.assessment_id}",
            trigger=trigger,
            trigger_at=at,
            due_at=working_days_deadline(ctx.config.calendar, at, days),
            done_at=referral_done(ctx, MARAC, s.fact.event_id, at),
            what=f"a MARAC referral (within {days} working day(s))",
            event=event,
            scored=s,
            facts={"yes_count": result.yes_count, "min_yes": min_yes, "grade": result.grade},
        )


def _last_marac_before(ctx: Context, event: EventFact) -> ReferralFact | None:
    """The latest MARAC referral made before this incident (not one made about it)."""
    last = None
    for ref in ctx.history.referrals:
        if ref.referral_type != "marac" or ref.made_at is None or ref.event_id == event.event_id:
            continue
        if ref.made_at < event.occurred_at:
            last = ref
    return last


def _marac_from_history(ctx: Context) -> None:
    events = victim_events(ctx, _is_da)
    cal = ctx.config.calendar
    esc, rep = "MARAC-POTENTIAL-ESCALATION", "MARAC-REPEAT"
    n_min, esc_days = ctx.n(esc, "min_incidents"), ctx.n(esc, "window_days")
    rep_days = ctx.n(rep, "window_days")
    for event in events:
        start = known_at(event)
        last = _last_marac_before(ctx, event)
        if (
            last is not None
            and last.made_at is not None
            and ctx.clock.within_days(last.made_at, event.occurred_at, rep_days)
        ):
            days = ctx.n(rep, "due_working_days")
            late = reported_late(event)
            ctx.procedure(
                rep,
                f"event:{event.event_id}",
                trigger=phrase(
                    "domestic-abuse incident event {event} at {at}"
                    + (REPORTED if late else "")
                    + " is within {days} days of MARAC referral {referral} made {made}",
                    event=event.event_id,
                    at=event.occurred_at,
                    reported=late,
                    days=rep_days,
                    referral=last.referral_id,
                    made=last.made_at,
                ),
                trigger_at=start,
                due_at=working_days_deadline(cal, start, days),
                done_at=referral_done(ctx, MARAC, event.event_id, event.occurred_at),
                what=f"a repeat MARAC referral (within {days} working day(s))",
                event=event,
                facts={"window_days": rep_days, "last_referral_id": last.referral_id},
            )
            continue
        recent = within(ctx, events, event, esc_days)
        if len(recent) >= n_min:
            days = ctx.n(esc, "due_working_days")
            # Due once the force knew of all of them (one may have been reported late; each
            # occurred no later than this one, so only their reports can be later).
            for e in recent:
                if e.reported_at is not None and e.reported_at > start:
                    start = e.reported_at
            known_later = start != event.occurred_at
            ctx.procedure(
                esc,
                f"event:{event.event_id}",
                trigger=f"{len(recent)} domestic-abuse incidents as victim within {esc_days} "
                f"days (>= {n_min}): {listing(ctx, recent)}"
                + (f", the last known of {ctx.when(start)}" if known_later else ""),
                trigger_at=start,
                due_at=working_days_deadline(cal, start, days),
                done_at=referral_done(ctx, MARAC, event.event_id, event.occurred_at),
                what=f"a MARAC referral (within {days} working day(s))",
                event=event,
                facts={
                    "incidents": [e.event_id for e in recent],
                    "min_incidents": n_min,
                    "window_days": esc_days,
                },
            )


def _risk_flags(ctx: Context) -> None:
    for s in ctx.scored:
        if not (s.is_da_instrument and s.complete and s.result and s.instrument):
            continue
        result = s.result
        event = ctx.history.event(s.fact.event_id)
        anchor = f"assessment:{s.fact.assessment_id}"
        name = f"DASH {s.fact.assessment_id} ({ctx.when(s.fact.completed_at)})"
        tagged = s.instrument.questions_tagged
        if result.grade == s.instrument.marac_threshold_grade:
            ctx.flag(
                "DA-NEW-HIGH-RISK",
                anchor,
                f"{name} graded {result.grade}: " + "; ".join(result.reasons),
                event=event,
                scored=s,
                facts={"yes_count": result.yes_count, "grade": result.grade},
            )
        needs = ("separation", "coercive_control", "violence")
        if all(t in result.yes_tags for t in needs):
            ctx.flag(
                "DA-CLUSTER-OF-THREE",
                anchor,
                f"{name}: yes to separation ({', '.join(tagged('separation'))}), coercive "
                f"control ({', '.join(tagged('coercive_control'))}) and violence "
                f"(one of {', '.join(tagged('violence'))}).",
                event=event,
                scored=s,
            )
        for tag, rule, words in (
            ("strangulation", "DA-NON-FATAL-STRANGULATION", "attempted strangulation"),
            ("threats_to_kill", "DA-THREATS-TO-KILL", "threats to kill"),
        ):
            if tag in result.yes_tags:
                yes = [q for q in tagged(tag) if s.fact.answers.get(q) == "yes"]
                ctx.flag(
                    rule,
                    anchor,
                    f"{name}: yes to {words} ({', '.join(yes)}).",
                    event=event,
                    scored=s,
                )


def _repeat_flags(ctx: Context) -> None:
    for rule, roles, pred, what in (
        ("DA-REPEAT-VICTIM", ("victim",), _is_da, "domestic-abuse incidents as victim"),
        ("DA-REPEAT-PERPETRATOR", ("suspect",), _is_da, "domestic-abuse incidents as suspect"),
        ("HATE-REPEAT-VICTIM", ("victim",), _is_hate, "hate crimes or incidents as victim"),
        ("HATE-REPEAT-PERPETRATOR", ("suspect",), _is_hate, "hate crimes or incidents as suspect"),
    ):
        n_min, days = ctx.n(rule, "min_incidents"), ctx.n(rule, "window_days")
        events = role_events(ctx, roles, pred)
        for event in events:
            recent = within(ctx, events, event, days)
            if len(recent) >= n_min:
                ctx.flag(
                    rule,
                    f"event:{event.event_id}",
                    f"{len(recent)} {what} within {days} days (>= {n_min}): "
                    f"{listing(ctx, recent)}.",
                    event=event,
                    facts={"incidents": [e.event_id for e in recent]},
                )


def run(ctx: Context) -> None:
    """Apply the domestic-abuse and hate-crime rules."""
    _dash_completed(ctx)
    _incomplete(ctx)
    _marac_from_assessments(ctx)
    _marac_from_history(ctx)
    _risk_flags(ctx)
    _repeat_flags(ctx)


__all__ = ["Scored", "run"]
