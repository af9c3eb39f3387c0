"""Missing, exploitation and child-safeguarding rules: repeat missing, CSE screening and
reassessment, return home interviews, Operation Encompass and MASH RAG clocks."""

from __future__ import annotations

from datetime import datetime

from safeguard.domain.clocks import decided_at, rhi_done_at, strategy_times
from safeguard.domain.history import MissingFact
from safeguard.rules.context import (
    REPORTED,
    Context,
    known_at,
    phrase,
    referral_done,
    reported_late,
    working_days_deadline,
)

CSE_INSTRUMENT = "cse-seraf"
RAG_HOURS = {
    "red": "red_working_hours",
    "amber": "amber_working_hours",
    "green": "green_working_hours",
}


def _episodes_within(
    ctx: Context, episodes: list[MissingFact], end: MissingFact, days: int
) -> list[MissingFact]:
    """Episodes reported up to ``end`` on a local date at most ``days`` days before its own."""
    start = ctx.clock.window_start(end.reported_missing_at, days)
    return [
        m
        for m in episodes
        if start <= m.reported_missing_at
        and (m.reported_missing_at, m.episode_id) <= (end.reported_missing_at, end.episode_id)
    ]


def _dates_in_order(ctx: Context, episode: MissingFact) -> bool:
    problems = []
    if episode.last_seen_at and episode.last_seen_at > episode.reported_missing_at:
        problems.append(
            f"last seen {ctx.when(episode.last_seen_at)} after reported missing "
            f"{ctx.when(episode.reported_missing_at)}"
        )
    if episode.found_at and episode.found_at < episode.reported_missing_at:
        problems.append(
            f"found {ctx.when(episode.found_at)} before reported missing "
            f"{ctx.when(episode.reported_missing_at)}"
        )
    if problems:
        ctx.flag(
            "DATA-DATES-OUT-OF-ORDER",
            f"episode:{episode.episode_id}",
            f"missing episode {episode.episode_id}: " + "; ".join(problems) + ".",
            event=ctx.history.event(episode.event_id),
        )
    return not problems


def _cse_done(ctx: Context, event_id: int, since: datetime) -> datetime | None:
    done = referral_done(ctx, ("cse_screening",), event_id, since)
    for s in ctx.scored:
        if s.fact.instrument_id == CSE_INSTRUMENT and (
            s.fact.event_id == event_id or s.fact.completed_at >= since
        ):
            if done is None or s.fact.completed_at < done:
                done = s.fact.completed_at
            break
    return done


def _missing(ctx: Context) -> None:
    history, cal = ctx.history, ctx.config.calendar
    episodes = list(history.missing)
    rep, cse = "MISSING-REPEAT", "CSE-SCREENING-DUE"
    rep_min, rep_days = ctx.n(rep, "min_episodes"), ctx.n(rep, "window_days")
    cse_min, cse_days = ctx.n(cse, "min_episodes"), ctx.n(cse, "window_days")
    for ep in episodes:
        event = history.event(ep.event_id)
        at = ep.reported_missing_at
        recent = _episodes_within(ctx, episodes, ep, rep_days)
        reviewed_before = any(
            r.referral_type == "multi_agency_review"
            and r.made_at is not None
            and ctx.clock.window_start(at, rep_days) <= r.made_at < at
            for r in history.referrals
        )
        if len(recent) >= rep_min and not reviewed_before:
            days = ctx.n(rep, "due_working_days")
            ctx.procedure(
                rep,
                f"episode:{ep.episode_id}",
                trigger=f"{len(recent)} missing episodes within {rep_days} days (>= {rep_min}): "
                + ", ".join(
                    f"episode {m.episode_id} ({ctx.when(m.reported_missing_at)})" for m in recent
                ),
                trigger_at=at,
                due_at=working_days_deadline(cal, at, days),
                done_at=referral_done(ctx, ("multi_agency_review",), ep.event_id, at),
                what=f"a multi-agency review (within {days} working days)",
                event=event,
                facts={"episodes": [m.episode_id for m in recent]},
            )
        age = ctx.age_at(at)
        if age is None or age > ctx.n(cse, "max_age"):
            continue
        cse_recent = _episodes_within(ctx, episodes, ep, cse_days)
        reasons = []
        if ep.exploitation_flag:
            reasons.append("exploitation concerns recorded")
        if len(cse_recent) >= cse_min:
            reasons.append(f"{len(cse_recent)} missing episodes within {cse_days} days")
        screened_before = any(
            s.fact.instrument_id == CSE_INSTRUMENT
            and ctx.clock.window_start(at, cse_days) <= s.fact.completed_at < at
            for s in ctx.scored
        )
        if reasons and not screened_before:
            days = ctx.n(cse, "due_working_days")
            ctx.procedure(
                cse,
                f"episode:{ep.episode_id}",
                trigger=phrase(
                    "child aged {age} missing (episode {episode}, {at}): {reasons}",
                    age=age,
                    episode=ep.episode_id,
                    at=at,
                    reasons=" and ".join(reasons),
                ),
                trigger_at=at,
                due_at=working_days_deadline(cal, at, days),
                done_at=_cse_done(ctx, ep.event_id, at),
                what=f"a CSE screening (within {days} working days)",
                event=event,
                facts={"age": age, "reasons": reasons},
            )


def _rhi(ctx: Context) -> None:
    rule = "MISSING-RHI-OFFERED"
    history, cal = ctx.history, ctx.config.calendar
    hours = ctx.n(rule, "due_hours")
    working = bool(ctx.p(rule, "working_hours"))
    for ep in history.missing:
        if not _dates_in_order(ctx, ep) or ep.found_at is None:
            continue
        age = ctx.age_at(ep.found_at)
        if age is None or age > ctx.n(rule, "max_age"):
            continue
        due = ctx.config.clocks.rhi_due(ep.found_at, cal)
        offered = rhi_done_at(ep.rhi_offered_at, ep.rhi_completed_at)
        clock = "working" if working else "elapsed"
        ctx.procedure(
            rule,
            f"episode:{ep.episode_id}",
            trigger=phrase(
                "child aged {age} returned from missing episode {episode} at {at}",
                age=age,
                episode=ep.episode_id,
                at=ep.found_at,
            ),
            trigger_at=ep.found_at,
            due_at=due,
            done_at=offered,
            what=f"a return home interview offer (within {hours} {clock} hours)",
            event=history.event(ep.event_id),
            facts={"age": age, "due_hours": hours, "clock": clock},
        )


def _cse_reassessment(ctx: Context) -> None:
    rule = "CSE-REASSESSMENT"
    months = ctx.n(rule, "interval_months")
    cse = [s for s in ctx.scored if s.fact.instrument_id == CSE_INSTRUMENT]
    for n, s in enumerate(cse):
        if not (s.complete and s.result and s.instrument and s.result.grade):
            continue
        if s.instrument.rank(s.result.grade) == 0:
            continue
        at = s.fact.completed_at
        due = ctx.clock.add_months(at, months)
        age = ctx.age_at(due)
        if age is not None and age >= 18:
            continue
        later = [x.fact.completed_at for x in cse[n + 1 :]]
        ctx.procedure(
            rule,
            f"assessment:{s.fact.assessment_id}",
            trigger=phrase(
                "CSE screening {screening} ({at}) graded {grade}",
                screening=s.fact.assessment_id,
                at=at,
                grade=s.result.grade,
            ),
            trigger_at=at,
            due_at=due,
            done_at=later[0] if later else None,
            what=f"a CSE reassessment (within {months} months)",
            event=ctx.history.event(s.fact.event_id),
            scored=s,
            facts={"grade": s.result.grade, "interval_months": months},
        )


def _encompass(ctx: Context) -> None:
    rule = "OP-ENCOMPASS-SCHOOL-TOLD"
    history, cal = ctx.history, ctx.config.calendar
    lo, hi = ctx.n(rule, "min_age"), ctx.n(rule, "max_age")
    seen: set[int] = set()
    for inv in history.involvements:
        event = inv.event
        if inv.role not in ("child_present", "victim") or not event.domestic_abuse:
            continue
        if event.event_id in seen:
            continue
        age = ctx.age_at(event.occurred_at)
        if age is None or not lo <= age <= hi:
            continue
        seen.add(event.event_id)
        start, late = known_at(event), reported_late(event)
        ctx.procedure(
            rule,
            f"event:{event.event_id}",
            trigger=phrase(
                "child aged {age} ({role}) at domestic-abuse incident event {event} at {at}"
                + (REPORTED if late else ""),
                age=age,
                role=inv.role.replace("_", " "),
                event=event.event_id,
                at=event.occurred_at,
                reported=late,
            ),
            trigger_at=start,
            due_at=cal.next_school_day_start(start, cal.authority_of(event.area)),
            done_at=referral_done(ctx, ("operation_encompass",), event.event_id, event.occurred_at),
            what="the school told (before the start of the next school day)",
            event=event,
            facts={"age": age, "min_age": lo, "max_age": hi},
        )


def _mash(ctx: Context) -> None:
    rule = "MASH-RAG-DECISION"
    cal = ctx.config.calendar
    for ref in ctx.history.referrals:
        if ref.referral_type != "mash" or ref.rag not in RAG_HOURS or ref.made_at is None:
            continue
        hours = ctx.n(rule, RAG_HOURS[ref.rag])
        due = ctx.config.clocks.mash_due(ref.made_at, ref.rag, cal)
        assert due is not None
        ctx.procedure(
            rule,
            f"referral:{ref.referral_id}",
            trigger=phrase(
                "MASH referral {referral} rated {rag} at {at}",
                referral=ref.referral_id,
                rag=ref.rag,
                at=ref.made_at,
            ),
            trigger_at=ref.made_at,
            due_at=due,
            done_at=decided_at(ref.statuses),
            what=f"a MASH decision (within {hours} working hours)",
            event=ctx.history.event(ref.event_id),
            facts={"rag": ref.rag, "working_hours": hours},
        )


def _strategy(ctx: Context) -> None:
    rule = "MASH-STRATEGY-DISCUSSION"
    days = ctx.n(rule, "due_working_days")
    for ref in ctx.history.referrals:
        needed, held = strategy_times(ref.statuses)
        if needed is None:
            continue
        ctx.procedure(
            rule,
            f"referral:{ref.referral_id}",
            trigger=phrase(
                "MASH decision on referral {referral} at {at}: a strategy discussion is needed",
                referral=ref.referral_id,
                at=needed,
            ),
            trigger_at=needed,
            due_at=ctx.config.clocks.strategy_due(needed, ctx.config.calendar),
            done_at=held,
            what=f"the strategy discussion (within {days} working day(s))",
            event=ctx.history.event(ref.event_id),
            facts={"due_working_days": days},
        )


def run(ctx: Context) -> None:
    """Apply the missing, exploitation and child-safeguarding rules."""
    _missing(ctx)
    _rhi(ctx)
    _cse_reassessment(ctx)
    _encompass(ctx)
    _mash(ctx)
    _strategy(ctx)
