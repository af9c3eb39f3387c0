"""The worklists: each kind's code, title, what to do, and the finding categories it shows.

One table for the CLI (``safeguard findings --worklist``), the JSON API and the web app. Codes
are written with hyphens (``marac-due``); the underscore spelling is accepted everywhere
(``marac_due``). ``overdue`` is any open procedure past its due time; ``uncertain-links`` is
linking's review queue, not findings.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WorklistKind:
    code: str
    title: str
    what_to_do: str
    categories: tuple[str, ...] = ()  # finding categories (empty: not a findings list)
    on_web: bool = True


WORKLIST_KINDS: tuple[WorklistKind, ...] = (
    WorklistKind(
        "new-high-risk",
        "New high risk",
        "Review the safety plan and MARAC referral.",
        ("new_high_risk",),
    ),
    WorklistKind("marac-due", "MARAC referral due", "Refer to MARAC.", ("marac_due",)),
    WorklistKind(
        "repeat-missing",
        "Repeat-missing children",
        "Plan with partners; consider CSE.",
        ("repeat_missing",),
    ),
    WorklistKind(
        "cse-screening-due",
        "CSE screening due",
        "Complete a CSE screening (SERAF).",
        ("cse_screening_due", "cse_reassessment_due"),
    ),
    WorklistKind(
        "repeat-victims",
        "Repeat victims",
        "Review the victim's history and safety plan.",
        ("repeat_victim",),
    ),
    WorklistKind(
        "rhi-due",
        "Return home interviews due",
        "Offer the child a return home interview within its clock.",
        ("rhi_due",),
    ),
    WorklistKind(
        "encompass-due",
        "Operation Encompass notices due",
        "Tell the child's school before the next school day.",
        ("encompass_due",),
    ),
    WorklistKind(
        "victims-code-due",
        "Victims' Code contacts due",
        "Contact the victim: needs assessment, support referral or update.",
        ("victim_update",),
    ),
    WorklistKind(
        "mash-due",
        "MASH decisions due",
        "Decide the MASH contact within its RAG clock.",
        ("mash_due",),
    ),
    WorklistKind(
        "professional-judgement",
        "Professional judgement raised the grade",
        "Check the rationale and the MARAC decision.",
        ("professional_judgement",),
        on_web=False,
    ),
    WorklistKind(
        "data-quality",
        "Data quality",
        "Correct the record at source.",
        ("data_quality",),
        on_web=False,
    ),
    WorklistKind(
        "supervisor-review",
        "Supervisor review",
        "Review the correction or the grade: officer below the instrument, a grade or regrade "
        "without rationale.",
        ("supervisor_review", "grade_consistency"),
        on_web=False,
    ),
    WorklistKind("overdue", "Overdue procedures", "A procedure is past its deadline: act now."),
    WorklistKind("uncertain-links", "Uncertain links", "Confirm or split the record link."),
)
WORKLIST_BY_CODE = {w.code: w for w in WORKLIST_KINDS}


def worklist_kind(name: str) -> WorklistKind | None:
    """The worklist called ``name`` (hyphens or underscores), or None."""
    return WORKLIST_BY_CODE.get(name.strip().lower().replace("_", "-"))
