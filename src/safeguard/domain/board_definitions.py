"""The Executive Board report's figures, defined once: what each counts, how, which way is better.

The report's appendix and ``docs/report.md`` are generated from ``FIGURES`` and ``BREAKDOWNS``,
and :mod:`safeguard.domain.board_figures` computes them. Clocks and repeat thresholds are the
force's rules settings (:class:`safeguard.domain.clocks.Clocks`): each definition names the rule
whose setting applies and its default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Unit = Literal["count", "rate", "days", "hours"]
Better = Literal["higher", "lower"] | None


@dataclass(frozen=True, slots=True)
class FigureDefinition:
    """One headline figure: what it counts, how, and which way is better."""

    id: str
    section: str
    title: str
    unit: Unit
    definition: str
    better: Better = None
    target: float | None = None


@dataclass(frozen=True, slots=True)
class BreakdownDefinition:
    """A figure split into categories (a table and a chart), each category a count."""

    id: str
    section: str
    title: str
    categories: tuple[str, ...]
    definition: str


SECTIONS: tuple[tuple[str, str], ...] = (
    ("domestic_abuse", "Domestic abuse"),
    ("missing", "Missing children and adults"),
    ("exploitation", "Exploitation and hate crime"),
    ("procedures", "Procedures"),
    ("judgement", "Consistency of judgement"),
    ("hub", "Safeguarding hub (MASH)"),
    ("victims", "Victims"),
)

# The clocks and repeat thresholds are the force's rules settings (``Clocks``, shared with the
# rules engine); the definitions below name the rule whose setting applies and its default.
REPEAT_WINDOW_DAYS = 365  # the default DA-REPEAT-VICTIM / MARAC-REPEAT window, for the text
SCREENING_DUE_DAYS = 28

_DA = (
    "A domestic-abuse incident is an event of type domestic_abuse, or any event flagged "
    "domestic-abuse related, that occurred in the period."
)

FIGURES: tuple[FigureDefinition, ...] = (
    FigureDefinition("da.incidents", "domestic_abuse", "Domestic-abuse incidents", "count", _DA),
    FigureDefinition(
        "da.repeat_victims",
        "domestic_abuse",
        "Repeat victimisation (12 months)",
        "rate",
        "Of the people who were victims of a domestic-abuse incident in the period, the share "
        "who were repeat victims at one of those incidents under the rule DA-REPEAT-VICTIM "
        f"(default: another domestic-abuse incident in the {REPEAT_WINDOW_DAYS} days before). "
        "People are counted once, using linked records.",
        better="lower",
    ),
    FigureDefinition(
        "da.dash_completion",
        "domestic_abuse",
        "DASH completion",
        "rate",
        "Of the domestic-abuse incidents in the period with at least one victim, the share with "
        "a DASH risk assessment (any dash-* instrument) recorded against the incident.",
        better="higher",
        target=1.0,
    ),
    FigureDefinition(
        "marac.referrals",
        "domestic_abuse",
        "MARAC referrals",
        "count",
        "Referrals of type marac made in the period.",
    ),
    FigureDefinition(
        "marac.repeat_rate",
        "domestic_abuse",
        "Repeat MARAC referrals",
        "rate",
        "Of the MARAC referrals made in the period, the share whose subject had another MARAC "
        "referral within the MARAC-REPEAT window before it (default "
        f"{REPEAT_WINDOW_DAYS} days: SafeLives' repeat definition; SafeLives expects 28-40 %).",
    ),
    FigureDefinition(
        "marac.days_to_referral",
        "domestic_abuse",
        "Time to MARAC referral (median)",
        "days",
        "For MARAC referrals made in the period that name their incident, the median number of "
        "days from the incident occurring to the referral being made.",
        better="lower",
    ),
    FigureDefinition(
        "missing.episodes",
        "missing",
        "Missing episodes",
        "count",
        "Missing-person episodes reported in the period.",
    ),
    FigureDefinition(
        "missing.children",
        "missing",
        "Children reported missing",
        "count",
        "Distinct people under 18 when reported missing (from date of birth, else the recorded "
        "age) with an episode reported in the period.",
    ),
    FigureDefinition(
        "missing.repeat_children",
        "missing",
        "Repeat-missing children",
        "count",
        "Children reported missing in the period who were repeat missing at one of those "
        "episodes under the rule MISSING-REPEAT (default: 3 or more episodes within 90 days).",
        better="lower",
    ),
    FigureDefinition(
        "missing.high_risk_share",
        "missing",
        "Episodes graded high risk",
        "rate",
        "Of the episodes reported in the period that were graded, the share graded high risk.",
    ),
    FigureDefinition(
        "missing.rhi_72h",
        "missing",
        "Return home interviews offered within 72 hours",
        "rate",
        "Of the episodes of children (aged up to MISSING-RHI-OFFERED's max_age, default 17, "
        "when found) found or returned in the period, the share where a return home interview "
        "was offered (or held) within the MISSING-RHI-OFFERED clock of the return (default "
        "72 hours: statutory guidance, 2014). Episodes whose dates are out of order are left "
        "to data quality.",
        better="higher",
        target=1.0,
    ),
    FigureDefinition(
        "exploitation.concerns",
        "exploitation",
        "Exploitation concerns",
        "count",
        "Events of type child_sexual_exploitation or child_criminal_exploitation that occurred "
        "in the period.",
    ),
    FigureDefinition(
        "exploitation.screenings_done",
        "exploitation",
        "Exploitation screenings done",
        "count",
        "CSE/CCE screenings (instrument cse-seraf) completed in the period.",
    ),
    FigureDefinition(
        "exploitation.screenings_due",
        "exploitation",
        "Exploitation screenings due",
        "count",
        "Screenings that fell due in the period: one for each child who is the victim of an "
        "exploitation event, or missing in an episode with exploitation concerns recorded, due "
        f"{SCREENING_DUE_DAYS} days after the concern.",
    ),
    FigureDefinition(
        "exploitation.screened_in_time",
        "exploitation",
        "Screenings done in time",
        "rate",
        "Of the screenings due in the period, the share where the child was screened (cse-seraf) "
        f"between the concern and its due date {SCREENING_DUE_DAYS} days later.",
        better="higher",
        target=1.0,
    ),
    FigureDefinition(
        "hate.incidents",
        "exploitation",
        "Hate crimes and incidents",
        "count",
        "Events with at least one hate-crime strand that occurred in the period.",
    ),
    FigureDefinition(
        "hate.repeat_victims",
        "exploitation",
        "Repeat hate-crime victims",
        "rate",
        "Of the victims of hate crimes or incidents in the period, the share who were repeat "
        "victims under the rule HATE-REPEAT-VICTIM (default: another in the "
        f"{REPEAT_WINDOW_DAYS} days before).",
        better="lower",
    ),
    FigureDefinition(
        "procedures.compliance",
        "procedures",
        "Procedures done on time",
        "rate",
        "Of every procedure that fell due in the period under the rules engine's rules, the "
        "share done by its deadline. Per rule, area and team in the table.",
        better="higher",
        target=1.0,
    ),
    FigureDefinition(
        "procedures.overdue",
        "procedures",
        "Procedures overdue at period end",
        "count",
        "Procedures due before the end of the period and not done by then.",
        better="lower",
    ),
    FigureDefinition(
        "judgement.differs_from_computed",
        "judgement",
        "Officer grade differs from computed grade",
        "rate",
        "Of the risk assessments completed in the period whose instrument computes a grade, the "
        "share where the officer's grade differs from the computed grade.",
        better="lower",
    ),
    FigureDefinition(
        "judgement.changed_on_review",
        "judgement",
        "Grade changed on review",
        "rate",
        "Of the risk assessments completed in the period that were reviewed by a supervisor or "
        "specialist, the share where the reviewed grade differs from the officer's grade.",
        better="lower",
    ),
    FigureDefinition(
        "mash.contacts",
        "hub",
        "Contacts into the hub",
        "count",
        "Referrals of type mash made in the period.",
    ),
    FigureDefinition(
        "mash.decided_in_time",
        "hub",
        "Decisions within the RAG clock",
        "rate",
        "Of the MASH contacts rated red, amber or green made in the period, the share with a "
        "decision (status decision_made, closed, declined or withdrawn) within the "
        "MASH-RAG-DECISION clock in working hours (defaults red 4, amber 24, green 72; the "
        "force's working hours and bank holidays).",
        better="higher",
        target=1.0,
    ),
    FigureDefinition(
        "mash.hours_to_decision",
        "hub",
        "Time to decision (median)",
        "hours",
        "For MASH contacts made in the period with a decision, the median elapsed hours from "
        "contact to decision.",
        better="lower",
    ),
    FigureDefinition(
        "mash.backlog",
        "hub",
        "Backlog at period end",
        "count",
        "MASH contacts made before the end of the period with no decision by then.",
        better="lower",
    ),
    FigureDefinition(
        "victims.code_timeliness",
        "victims",
        "Victims' Code updates on time",
        "rate",
        "Of the Right 6 events (arrest, interview under caution, release without charge, on "
        "bail or under investigation, bail conditions changed, decision not to investigate) in "
        "the period, the share where the victim was told within the VC-RIGHT6-UPDATE clock: "
        "default 1 working day with enhanced rights (victims of domestic abuse, hate crime, "
        "sexual offences including child sexual exploitation, or modern slavery; victims under "
        "18; persistently targeted victims, default 3 crimes in 365 days) and 5 working days "
        "for others. A victim told before the event is left to data quality.",
        better="higher",
        target=1.0,
    ),
    FigureDefinition(
        "victims.idva_referrals",
        "victims",
        "Referrals to an IDVA",
        "count",
        "Referrals of type idva made in the period.",
    ),
    FigureDefinition(
        "victims.sarc_referrals",
        "victims",
        "Referrals to the SARC",
        "count",
        "Referrals of type sarc (sexual assault referral centre) made in the period.",
    ),
    FigureDefinition(
        "victims.satisfaction",
        "victims",
        "Victims satisfied overall",
        "rate",
        "Of the victim survey responses in the period, the share very or fairly satisfied with "
        "the overall service, with its 95 % Wilson score interval.",
        better="higher",
    ),
)

BREAKDOWNS: tuple[BreakdownDefinition, ...] = (
    BreakdownDefinition(
        "da.risk_grades",
        "domestic_abuse",
        "DASH risk grades",
        ("standard", "medium", "high"),
        "DASH assessments completed in the period by final grade: the instrument's grade raised "
        "(never lowered) by the officer's or a reviewer's judgement, and by any floor. "
        "Incomplete assessments and those with no grade are left out.",
    ),
    BreakdownDefinition(
        "marac.routes",
        "domestic_abuse",
        "MARAC referrals by route",
        (
            "visible_high_risk",
            "professional_judgement",
            "potential_escalation",
            "repeat",
            "not_recorded",
        ),
        "MARAC referrals made in the period by the SafeLives criterion they were made under.",
    ),
    BreakdownDefinition(
        "missing.risk_grades",
        "missing",
        "Missing episodes by risk grade",
        ("no_apparent_risk", "low", "medium", "high", "not_graded"),
        "Episodes reported in the period by the risk grade given.",
    ),
    BreakdownDefinition(
        "exploitation.kinds",
        "exploitation",
        "Exploitation concerns by kind",
        ("sexual", "criminal"),
        "Exploitation events in the period: child sexual exploitation or child criminal "
        "exploitation.",
    ),
    BreakdownDefinition(
        "exploitation.movement",
        "exploitation",
        "Risk movement between screenings",
        ("reduced", "unchanged", "increased"),
        "Screenings completed in the period that follow an earlier screening of the same "
        "child, by how the final grade moved (low < medium < significant < serious).",
    ),
    BreakdownDefinition(
        "hate.strands",
        "exploitation",
        "Hate crimes and incidents by strand",
        (
            "race",
            "religion",
            "sexual_orientation",
            "disability",
            "transgender",
            "other",
            "multiple",
        ),
        "Hate events in the period by strand; an event with several strands counts once, "
        "under multiple; other covers alternative subculture, sex and other strands.",
    ),
    BreakdownDefinition(
        "mash.rag",
        "hub",
        "Hub contacts by RAG rating",
        ("red", "amber", "green", "blue", "not_rated"),
        "MASH contacts made in the period by the RAG rating given at screening.",
    ),
    BreakdownDefinition(
        "victims.support",
        "victims",
        "Referrals to support services",
        ("idva", "sarc", "victim_support"),
        "Referrals to an independent domestic violence adviser, the sexual assault referral "
        "centre and Victim Support made in the period.",
    ),
)

FIGURE_BY_ID = {f.id: f for f in FIGURES}
BREAKDOWN_BY_ID = {b.id: b for b in BREAKDOWNS}
