"""The rules: each with an id, a version, a description, its DOMAIN.md source and parameters.

The parameters' values live in ``rules.yaml`` (defaults) and a force's override file; the logic
of each rule lives in :mod:`safeguard.rules.engine` under the same id. ``docs/rules.md`` is
generated from this table and the instrument files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule's identity and documentation."""

    id: str
    version: int
    title: str
    description: str
    domain_sections: tuple[str, ...]
    kind: Literal["flag", "procedure", "data_quality"]
    category: str
    severity: Literal["high", "medium", "low"]


RULES: tuple[Rule, ...] = (
    Rule("DA-DASH-COMPLETED", 2, "DASH completed for every domestic-abuse victim",
         "Every victim of a domestic-abuse incident has a complete DASH (police or SafeLives) "
         "within `due_hours` of the incident (of its report, when it was reported later). "
         "Missing or late is an assurance finding.",
         ("A1",), "procedure", "dash_due", "medium"),
    Rule("ASSESSMENT-INCOMPLETE", 1, "Risk assessment incomplete or invalid",
         "A stored assessment with unanswered questions, an unknown instrument version, answers "
         "of the wrong type or dates out of order. It gets no grade; this finding asks for it "
         "to be completed. (A grade without its rationale keeps its grade: see "
         "GRADE-RATIONALE-MISSING.)",
         ("A3", "I1"), "data_quality", "data_quality", "medium"),
    Rule("MARAC-VISIBLE-HIGH-RISK", 1, "MARAC referral: visible high risk",
         "A DASH with at least `min_yes` 'yes' answers (or a force's own domestic-abuse "
         "instrument whose answers alone give its top grade) makes a MARAC referral due within "
         "`due_working_days` working days of the assessment.",
         ("A3", "A4"), "procedure", "marac_due", "high"),
    Rule("MARAC-PROFESSIONAL-JUDGEMENT", 1, "MARAC referral: professional judgement",
         "A DASH below the visible-high-risk count whose grade was raised to high by the officer "
         "or a reviewer (with a rationale) makes a MARAC referral due within `due_working_days`.",
         ("A3", "A4"), "procedure", "marac_due", "high"),
    Rule("MARAC-POTENTIAL-ESCALATION", 2, "MARAC referral: potential escalation",
         "`min_incidents` or more domestic-abuse incidents with the person as victim within "
         "`window_days` days (the first and the last inclusive; 365 days is 12 calendar months) "
         "make a MARAC referral due within `due_working_days` of the latest (of its report, "
         "when it was reported later).",
         ("A4",), "procedure", "marac_due", "high"),
    Rule("MARAC-REPEAT", 2, "MARAC referral: repeat",
         "Any domestic-abuse incident with the person as victim within `window_days` days of "
         "their last MARAC referral (365 days: 12 calendar months) makes a repeat referral due "
         "within `due_working_days` of the incident (of its report, when reported later).",
         ("A4",), "procedure", "marac_due", "high"),
    Rule("DA-NEW-HIGH-RISK", 1, "New high-risk domestic-abuse victim",
         "A complete DASH graded high (actuarially or by judgement) puts the victim on the "
         "new-high-risk worklist.", ("A3",), "flag", "new_high_risk", "high"),
    Rule("DA-REPEAT-VICTIM", 2, "Repeat victim of domestic abuse",
         "Victim in `min_incidents` or more domestic-abuse incidents within `window_days` days.",
         ("A4", "F", "I5"), "flag", "repeat_victim", "medium"),
    Rule("DA-REPEAT-PERPETRATOR", 2, "Repeat domestic-abuse perpetrator",
         "Suspect in `min_incidents` or more domestic-abuse incidents within `window_days` days.",
         ("A4", "A6"), "flag", "repeat_perpetrator", "medium"),
    Rule("HATE-REPEAT-VICTIM", 2, "Repeat victim of hate crime",
         "Victim in `min_incidents` or more hate crimes or incidents within `window_days` days.",
         ("E",), "flag", "repeat_victim", "medium"),
    Rule("HATE-REPEAT-PERPETRATOR", 2, "Repeat hate-crime perpetrator",
         "Suspect in `min_incidents` or more hate crimes or incidents within `window_days` days.",
         ("E",), "flag", "repeat_perpetrator", "medium"),
    Rule("DA-CLUSTER-OF-THREE", 1, "Cluster of three: separation, coercive control, violence",
         "A DASH answering yes to separation, coercive control and physical or sexual violence "
         "(raises homicide risk; consider professional judgement for MARAC).",
         ("A3",), "flag", "professional_judgement", "high"),
    Rule("DA-NON-FATAL-STRANGULATION", 1, "Non-fatal strangulation",
         "A DASH answering yes to attempted strangling, choking, suffocating or drowning.",
         ("A3",), "flag", "professional_judgement", "high"),
    Rule("DA-THREATS-TO-KILL", 1, "Threats to kill",
         "A DASH answering yes to threats to kill (the victim, children or others).",
         ("A3",), "flag", "professional_judgement", "high"),
    Rule("MISSING-REPEAT", 1, "Repeat missing: multi-agency review",
         "`min_episodes` or more missing episodes within `window_days` days make a multi-agency "
         "review (referral type multi_agency_review) due within `due_working_days`.",
         ("B4",), "procedure", "repeat_missing", "high"),
    Rule("CSE-SCREENING-DUE", 1, "CSE screening due",
         "A child (age up to `max_age`) missing with exploitation concerns, or repeat missing "
         "(`min_episodes` in `window_days` days), needs a CSE screening (a cse-seraf assessment "
         "or a cse_screening referral) within `due_working_days`.",
         ("B4", "B5", "C2"), "procedure", "cse_screening_due", "high"),
    Rule("CSE-REASSESSMENT", 1, "CSE reassessment while at risk",
         "A CSE screening graded above low is reassessed within `interval_months` months.",
         ("C2",), "procedure", "cse_reassessment_due", "medium"),
    Rule("MISSING-RHI-OFFERED", 1, "Return home interview offered within 72 hours",
         "A child (age up to `max_age`) found or returned is offered a return home interview "
         "within `due_hours` hours of return (elapsed, or working hours if `working_hours`).",
         ("B3",), "procedure", "rhi_due", "medium"),
    Rule("OP-ENCOMPASS-SCHOOL-TOLD", 2, "Operation Encompass: school told",
         "A child aged `min_age` to `max_age` on the day, present at or a victim of a "
         "domestic-abuse incident: the school is told (an operation_encompass referral) before "
         "the start of the next school day (after the report, when the incident was reported "
         "later).", ("C3",), "procedure", "encompass_due", "medium"),
    Rule("MASH-STRATEGY-DISCUSSION", 1, "Strategy discussion held within its clock",
         "A MASH decision that a strategy discussion is needed (reasonable cause to suspect "
         "significant harm; status strategy_discussion_needed) is followed by the discussion "
         "(status strategy_discussion_held) within `due_working_days` working days (Working "
         "Together: promptly; the 3-day default is local practice, unverified; configurable).",
         ("D",), "procedure", "mash_due", "high"),
    Rule("MASH-RAG-DECISION", 1, "MASH RAG decision within its clock",
         "A MASH referral rated red, amber or green has a decision (status decision_made) within "
         "`red_working_hours`, `amber_working_hours` or `green_working_hours` working hours.",
         ("D",), "procedure", "mash_due", "high"),
    Rule("VC-NEEDS-ASSESSMENT", 1, "Victims' Code Right 4: needs assessment",
         "Every victim of a crime has a needs assessment (victim contact, trigger "
         "needs_assessment) within `due_working_days` working days of the report (unverified "
         "timescale; configurable).", ("E",), "procedure", "victim_update", "medium"),
    Rule("VC-SUPPORT-REFERRAL", 2, "Victims' Code Right 4: referral to support services",
         "A victim with enhanced rights (see VC-RIGHT6-UPDATE) is referred to support services "
         "(a victim contact with trigger support_referral, or a victim_support or idva "
         "referral) within `due_working_days` working days of the report (unverified "
         "timescale; configurable).", ("E",), "procedure", "victim_update", "medium"),
    Rule("VC-RIGHT6-UPDATE", 2, "Victims' Code Right 6: told of investigation steps",
         "The victim is told of an arrest, interview, release, bail change or a decision not "
         "to investigate within `enhanced_working_days` working day(s) with enhanced rights "
         "(victims of domestic abuse, hate crime or sexual offences; children; persistently "
         "targeted victims: `persistent_min_crimes` crimes in `persistent_window_days` days), "
         "otherwise within `standard_working_days`.", ("E",), "procedure", "victim_update",
         "medium"),
    Rule("GRADE-OFFICER-BELOW-INSTRUMENT", 1, "Officer grade below the instrument's grade",
         "The officer graded an assessment below the grade its answers (and floors) give. The "
         "instrument's grade stands (judgement never lowers it); this finding lets supervisors "
         "see it and measure consistency by officer and team (training need).",
         ("A3", "A5", "I1"), "flag", "grade_consistency", "low"),
    Rule("GRADE-RATIONALE-MISSING", 1, "Officer's grade without a rationale",
         "The officer's grade raised the instrument's grade (or the instrument needs a rationale "
         "for every grade) and no rationale is recorded. The officer's grade is kept as the "
         "grade; this finding asks for the rationale.",
         ("A3", "A5", "I1"), "data_quality", "grade_consistency", "medium"),
    Rule("GRADE-REGRADE-NO-RATIONALE", 1, "Supervisor regrade without rationale",
         "A supervisor's or specialist's regrade differs from the officer's grade and no "
         "rationale is recorded. A regrade can raise the grade, never lower it.",
         ("A3", "I1"), "data_quality", "grade_consistency", "medium"),
    Rule("CORRECTION-REVIEW", 1, "A correction would lower a grade or remove a duty",
         "A corrected record (e.g. a DASH re-sent under the same reference with fewer 'yes' "
         "answers) would lower a grade or remove a duty that was due. The duty stays due and the "
         "earlier finding stays open until done or closed by a named person with a reason; this "
         "finding asks a supervisor to review the correction.",
         ("A3", "A4", "I1"), "flag", "supervisor_review", "high"),
    Rule("DATA-DATES-OUT-OF-ORDER", 1, "Record dates out of order",
         "A missing episode found before it was reported (or last seen after it was reported), "
         "or a victim told before the step they were told about: the clock cannot run, so the "
         "record is flagged for correction instead of silently passing or failing.",
         ("I2",), "data_quality", "data_quality", "low"),
    Rule("DA-MODEL-GRADE-REVIEW", 1, "Supervisor review: history says high, the form standard",
         "The active risk model (advisory, trained on the force's own linked history) puts an "
         "incident in its high band while the incident's DASH is graded standard: a supervisor "
         "reviews the grade. The model never lowers a grade; its advice may be cited on MARAC's "
         "professional-judgement route.", ("A3",), "flag", "professional_judgement", "high"),
)  # fmt: skip

RULES_BY_ID: dict[str, Rule] = {r.id: r for r in RULES}
