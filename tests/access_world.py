"""A world for the need-to-know tests: four people, one in each access state, each with every
kind of record (two records of the person, an incident, a DASH, a referral, a finding, a link
review, a share and an expired break-glass grant), and values that appear nowhere else, so that
a test can say which of them a response may hold.

* ordinary:   an adult victim, referred to MARAC, shared with nobody the partner persona knows;
* restricted: a protected victim, referred to children's services (so the partner persona could
              reach them, were they not restricted);
* shared:     a child referred to children's services as the records write it ("Cumbria
              Children's Services") and shared with it for its risk summary only;
* unshared:   a child referred to a school, shared with nobody.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from safeguard.adapters.db.accounts import agency_shares, break_glass_grants, users
from safeguard.adapters.db.findings import findings
from safeguard.adapters.db.linkage import link_reviews
from safeguard.adapters.db.tables import (
    events,
    involvements,
    person_mentions,
    referrals,
    risk_assessments,
)
from safeguard.domain.access import RecordKind, Role
from safeguard.services.partners import register_agency
from tests.web_fixtures import NOW, PASSWORD_HASH, PERSONAS, add, link, person

STATES = ("ordinary", "restricted", "shared", "unshared")
K = RecordKind

AGENCIES = (
    ("childrens-services", "Cumbria Children's Services", "children's social care", ()),
    ("health", "North Cumbria Health", "health", ()),
    ("marac", "Cumbria MARAC", "multi-agency", ()),
    ("school-carlisle-academy", "Carlisle Academy", "education", ()),
)
RECIPIENT = {
    "ordinary": "Cumbria MARAC",
    "restricted": "Cumbria Children's Services",
    "shared": "Cumbria Children's Services",
    "unshared": "Carlisle Academy",
}
# Values found nowhere else in the app: (forenames, surname, alias, dob, postcode, phone, pnc)
IDENTITY = {
    "ordinary": ("Avelina", "Ormsgill", "Avvy", date(1981, 3, 17), "CA1 9QX", "07700 900111"),
    "restricted": ("Berenike", "Rookhope", "Bex", date(1984, 7, 29), "LA9 9RZ", "07700 900222"),
    "shared": ("Cosima", "Sandwith", "Cossie", date(2011, 2, 13), "CA2 9SY", "07700 900333"),
    "unshared": ("Delphine", "Ulpha", "Della", date(2012, 9, 5), "CA3 9UW", "07700 900444"),
}
PNC = {s: f"{80 + i}/10{i}10{i}A" for i, s in enumerate(STATES)}


@dataclass
class Someone:
    state: str
    person_id: int
    mentions: tuple[int, int]
    event: int
    referral: int
    finding: int
    review: int
    share: int
    grant: int
    values: dict[RecordKind, list[str]] = field(default_factory=dict)

    @property
    def forenames(self) -> str:
        return IDENTITY[self.state][0]


@dataclass
class AccessWorld:
    people: dict[str, Someone]
    users: dict[Role, int]


def _values(state: str) -> dict[RecordKind, list[str]]:
    forenames, surname, alias, dob, postcode, phone = IDENTITY[state]
    tag = state.upper()[:3]
    return {
        K.IDENTITY: [
            forenames,
            surname,
            alias,
            dob.isoformat(),
            dob.strftime("%d %b %Y"),
            PNC[state],
        ],
        K.CONTACT: [postcode, phone, f"7 {surname} Row"],
        K.INCIDENTS: [f"Incident note {tag}-7Q1"],
        K.ASSESSMENTS: [f"Rationale {tag}-7Q2"],
        K.VICTIM_UPDATES: [],
    }


def _someone(conn: Connection, state: str, analyst: int, supervisor: int) -> Someone:
    forenames, surname, alias, dob, postcode, phone = IDENTITY[state]
    pid = person(conn, restricted=state == "restricted")
    values = _values(state)
    mentions = []
    for n in (1, 2):
        mid = add(
            conn,
            person_mentions,
            forenames=forenames,
            surname=surname,
            other_names=alias,
            date_of_birth=dob,
            sex="female",
            postcode=postcode,
            phone=phone,
            address=values[K.CONTACT][2],
            pnc_id=PNC[state],
            source_id=f"{state}-{n}",
        )
        link(conn, mid, pid, 0.99 if n == 1 else 0.7)
        mentions.append(mid)
    ev = add(
        conn,
        events,
        event_type="domestic_abuse",
        occurred_at=NOW - timedelta(days=3),
        summary=values[K.INCIDENTS][0],
        injury_level="minor",
    )
    add(conn, involvements, event_id=ev, mention_id=mentions[0], role="victim")
    add(
        conn,
        risk_assessments,
        event_id=ev,
        subject_id=mentions[0],
        instrument_id="dash-police",
        instrument_version="2009",
        answers={f"q{i}": "yes" if i <= 15 else "no" for i in range(1, 28)},
        officer_grade="high",
        rationale=values[K.ASSESSMENTS][0],
        completed_at=NOW - timedelta(days=3),
    )
    referral = add(
        conn,
        referrals,
        subject_id=mentions[0],
        referral_type="childrens_social_care" if state != "ordinary" else "marac",
        agency=RECIPIENT[state],
        made_at=NOW - timedelta(days=2),
    )
    finding = int(
        conn.execute(
            sa.insert(findings)
            .values(
                finding_key=f"test:{state}",
                rule_id="DA-MARAC-1",
                rule_version="1",
                person_key=f"P{pid}",
                person_id=pid,
                event_id=ev,
                category="marac_due",
                kind="procedure",
                severity="high",
                due_at=NOW + timedelta(days=1),
                status="open",
                explanation=f"High risk DASH for {forenames} {surname}: refer to MARAC.",
                facts="{}",
                content_hash="0" * 32,
                first_found_at=NOW,
                last_changed_at=NOW,
            )
            .returning(findings.c.id)
        ).scalar_one()
    )
    review = int(
        conn.execute(
            sa.insert(link_reviews)
            .values(
                mention_id_l=mentions[0],
                mention_id_r=mentions[1],
                match_probability=0.7,
                priority=0.5,
                reason="uncertain_match",
                status="open",
                created_at=NOW,
            )
            .returning(link_reviews.c.id)
        ).scalar_one()
    )
    share = int(
        conn.execute(
            sa.insert(agency_shares)
            .values(
                person_id=pid,
                agency="childrens-services" if state == "shared" else "health",
                shared_by=supervisor,
                shared_at=NOW,
                reason="Strategy discussion",
                purpose="safeguarding_referral",
                reference="MASH/1",
                record_kinds="risk_summary",
                expires_at=NOW + timedelta(days=30),
            )
            .returning(agency_shares.c.id)
        ).scalar_one()
    )
    grant = int(  # an analyst's past use, for the supervisor to review (expired: opens nothing)
        conn.execute(
            sa.insert(break_glass_grants)
            .values(
                user_id=analyst,
                person_id=pid,
                reason="Criminal investigation (ref CU/9)",
                purpose="investigation",
                reference="CU/9",
                granted_at=NOW - timedelta(days=2),
                expires_at=NOW - timedelta(days=2) + timedelta(hours=1),
            )
            .returning(break_glass_grants.c.id)
        ).scalar_one()
    )
    return Someone(
        state, pid, (mentions[0], mentions[1]), ev, referral, finding, review, share, grant, values
    )


def build_access_world(engine: Engine) -> AccessWorld:
    with engine.begin() as conn:
        for code, name, sector, names in AGENCIES:
            register_agency(conn, code=code, display_name=name, sector=sector, names=names)
        ids: dict[Role, int] = {}
        for role, (username, agency) in PERSONAS.items():
            ids[role] = int(
                conn.execute(
                    sa.insert(users)
                    .values(
                        username=username,
                        display_name=username,
                        role=str(role),
                        agency=agency,
                        password_hash=PASSWORD_HASH,
                        created_at=NOW,
                    )
                    .returning(users.c.id)
                ).scalar_one()
            )
        found = {s: _someone(conn, s, ids[Role.ANALYST], ids[Role.SUPERVISOR]) for s in STATES}
    return AccessWorld(found, ids)
