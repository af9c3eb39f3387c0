"""A small hand-built data set whose board figures are known exactly (see each comment)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from safeguard.domain.board import Period, previous_periods
from safeguard.domain.board_figures import (
    Assessment,
    BoardFacts,
    Incident,
    MissingEpisode,
    ProcedureOutcome,
    Referral,
    SurveyResponse,
    VictimContact,
)
from safeguard.domain.clocks import Clocks

# People (person keys)
A, B, C, D = 1, 2, 3, 4  # domestic-abuse victims
K, L, M = 11, 12, 13  # missing: child K, child L, adult M
P, Q, R = 21, 22, 23  # children in exploitation concerns
S, T = 31, 32  # hate-crime victims

Q1 = Period.from_dates(date(2025, 1, 1), date(2025, 3, 31))
PERIODS = [*previous_periods(Q1, 1), Q1]  # Oct-Dec 2024, Jan-Mar 2025


def at(y: int, m: int, d: int, h: int = 12, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=UTC)


def facts(*, with_procedures: bool = True) -> BoardFacts:
    incidents = [
        # Domestic abuse. In Q1: e1..e6 (6 incidents); victims A, B, C, D; repeats A (e1 then e2)
        # and B (e0 in June 2024); C's earlier incident is more than 365 days before.
        Incident(100, "domestic_abuse", at(2024, 6, 1), victims=frozenset({B})),
        Incident(99, "domestic_abuse", at(2023, 12, 1), victims=frozenset({C})),
        Incident(1, "domestic_abuse", at(2025, 1, 10), victims=frozenset({A}), team="North"),
        Incident(2, "domestic_abuse", at(2025, 2, 1), victims=frozenset({A})),
        Incident(3, "domestic_abuse", at(2025, 2, 5), victims=frozenset({B})),
        Incident(4, "domestic_abuse", at(2025, 3, 1), victims=frozenset({C})),
        Incident(5, "domestic_abuse", at(2025, 3, 2)),  # no victim recorded
        Incident(6, "other_crime", at(2025, 3, 3), domestic=True, victims=frozenset({D})),
        # Exploitation: x0 (Dec 2024, child R), x1 CSE (child P), x2 CCE (child Q).
        Incident(200, "child_sexual_exploitation", at(2024, 12, 20), victims=frozenset({R})),
        Incident(201, "child_sexual_exploitation", at(2025, 1, 10), victims=frozenset({P})),
        Incident(202, "child_criminal_exploitation", at(2025, 2, 20), victims=frozenset({Q})),
        # Hate: S twice (race, then race+religion), T once (disability).
        Incident(
            301, "other_crime", at(2025, 1, 15), hate_strands=("race",), victims=frozenset({S})
        ),
        Incident(
            302,
            "other_crime",
            at(2025, 3, 15),
            hate_strands=("race", "religion"),
            victims=frozenset({S}),
        ),
        Incident(
            303,
            "other_incident",
            at(2025, 2, 1),
            hate_strands=("disability",),
            victims=frozenset({T}),
        ),
    ]
    assessments = [
        Assessment(
            1,
            "dash-ric",
            at(2025, 1, 10, 15),
            A,
            1,
            "standard",
            None,
            "standard",
            "North",
            "standard",
        ),
        Assessment(
            2, "dash-ric", at(2025, 2, 5, 15), B, 3, "medium", "high", "high", "North", "high"
        ),
        Assessment(
            3, "dash-police", at(2025, 3, 3, 15), D, 6, "medium", None, "medium", "South", "medium"
        ),
        Assessment(4, "cse-seraf", at(2024, 11, 1), P, None, "low", None, "low", "PPU", "low"),
        Assessment(5, "cse-seraf", at(2024, 12, 22), R, 200, "low", None, "low", "PPU", "low"),
        Assessment(6, "cse-seraf", at(2025, 1, 20), P, 201, "medium", None, "low", "PPU", "medium"),
    ]
    referrals = [
        # MARAC: r0 (June 2024, B) makes r1 (Feb 2025, B) a repeat; r2 (A) is not.
        Referral(10, "marac", at(2024, 6, 10), B, 100, at(2024, 6, 1), "visible_high_risk"),
        Referral(11, "marac", at(2025, 2, 10), B, 3, at(2025, 2, 5), "visible_high_risk"),
        Referral(12, "marac", at(2025, 3, 5), A, 2, at(2025, 2, 1), "professional_judgement"),
        # MASH contacts (January: London time is UTC). Red decided in 3 working hours; amber
        # made Friday 16:00, decided Monday 16:00 = 8 working hours; green never decided; blue.
        Referral(20, "mash", at(2025, 1, 6, 9), rag="red", decided_at=at(2025, 1, 6, 12)),
        Referral(21, "mash", at(2025, 1, 10, 16), rag="amber", decided_at=at(2025, 1, 13, 16)),
        Referral(22, "mash", at(2025, 1, 20, 9), rag="green"),
        Referral(23, "mash", at(2025, 2, 3, 9), rag="blue", decided_at=at(2025, 2, 4, 9)),
        # Support: two IDVA, one SARC in Q1; one IDVA in December.
        Referral(30, "idva", at(2025, 1, 11), A),
        Referral(31, "idva", at(2025, 2, 6), B),
        Referral(32, "sarc", at(2025, 3, 1), D),
        Referral(33, "idva", at(2024, 12, 1), C),
    ]
    missing = [
        # K: 3 episodes in the 12 months to 31 Mar 2025 -> repeat-missing.
        MissingEpisode(1, K, at(2024, 5, 1), True, at(2024, 5, 2), "low"),
        MissingEpisode(
            2,
            K,
            at(2025, 1, 5),
            True,
            at(2025, 1, 6, 10),
            "medium",
            rhi_offered_at=at(2025, 1, 9, 11),  # 73 hours: late
        ),
        MissingEpisode(3, K, at(2025, 3, 10), True, at(2025, 3, 11), None),
        MissingEpisode(
            4,
            L,
            at(2025, 2, 1),
            True,
            at(2025, 2, 2, 12),
            "high",
            exploitation_flag=False,
            rhi_offered_at=at(2025, 2, 5, 11),  # 71 hours: in time
        ),
        MissingEpisode(5, M, at(2025, 1, 20), False, at(2025, 1, 21), "low"),
    ]
    # The RHI clock applies to the children's returns (the service sets it from the settings).
    missing = [
        replace(ep, rhi_due_at=ep.found_at + timedelta(hours=72), rhi_done_at=ep.rhi_offered_at)
        if ep.child and ep.found_at
        else ep
        for ep in missing
    ]
    contacts = [
        VictimContact(1, "arrest", at(2025, 1, 6, 10), True, at(2025, 1, 7, 16)),  # in time
        VictimContact(2, "charge", at(2025, 1, 10, 12), False, at(2025, 1, 20, 10)),  # not Right 6
        VictimContact(
            5, "released_on_bail", at(2025, 1, 10, 12), False, at(2025, 1, 20, 10)
        ),  # late
        VictimContact(6, "arrest", at(2025, 3, 3, 12), False, at(2025, 3, 3, 9)),  # told before: DQ
        VictimContact(3, "arrest", at(2025, 2, 3, 10), True, None),  # never told
        VictimContact(4, "needs_assessment", at(2025, 2, 3, 10), True, None),  # not Right 6
    ]
    responses = [SurveyResponse(at(2025, 2, 1), True) for _ in range(8)] + [
        SurveyResponse(at(2025, 2, 2), False) for _ in range(2)
    ]
    procedures = [
        ProcedureOutcome("dash-completed", at(2025, 1, 5), at(2025, 1, 4), "West", "North"),
        ProcedureOutcome("dash-completed", at(2025, 2, 1), at(2025, 2, 3), "West", "North"),
        ProcedureOutcome("rhi-offered", at(2025, 3, 30), None, "East", "Missing"),
        ProcedureOutcome("rhi-offered", at(2024, 12, 20), at(2024, 12, 19), "East", "Missing"),
    ]
    return BoardFacts(
        incidents=incidents,
        assessments=assessments,
        referrals=referrals,
        missing=missing,
        contacts=contacts,
        responses=responses,
        procedures=procedures if with_procedures else None,
        # K's three episodes (May 2024, Jan and Mar 2025) repeat within a 365-day MISSING-REPEAT
        # window (the default 90 days would not make K repeat-missing).
        clocks=Clocks(repeat_missing_window_days=365),
    )
