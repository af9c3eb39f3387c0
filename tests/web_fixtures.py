"""Synthetic people and records for the web tests, plus one signed-in persona per role."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy.engine import Connection, Engine

from safeguard.adapters.db.accounts import agency_shares, api_tokens, users
from safeguard.adapters.db.findings import findings
from safeguard.adapters.db.linkage import link_reviews
from safeguard.adapters.db.people import people, person_links
from safeguard.adapters.db.tables import (
    events,
    involvements,
    missing_episodes,
    person_mentions,
    referrals,
    risk_assessments,
)
from safeguard.domain.access import Role
from safeguard.domain.accounts import new_api_token, secret_digest
from safeguard.services import accounts
from safeguard.services.partners import register_agency
from safeguard.services.unit_of_work import UnitOfWork

NOW = datetime.now(UTC).replace(microsecond=0)
PASSWORD = "correct horse battery staple"
# Hashed once: argon2 is slow on purpose, and the tests create these users many times.
PASSWORD_HASH = PasswordHasher().hash(PASSWORD)
PERSONAS: dict[Role, tuple[str, str | None]] = {
    Role.OFFICER: ("pc_patel", None),
    Role.SUPERVISOR: ("sgt_okafor", None),
    Role.ANALYST: ("mash_analyst", None),
    Role.PARTNER_AGENCY: ("social_worker", "childrens-services"),
    Role.BOARD_VIEWER: ("board_member", None),
    Role.ADMINISTRATOR: ("admin", None),
}


def fixture_token(conn: Connection, username: str, name: str = "tests") -> str:
    """An API token for ``username``, stored as ``accounts.issue_api_token`` stores one but
    without its audit entry (a test's setting, like the personas themselves), so that tests
    counting audit entries see only those of what they test."""
    uid = conn.execute(sa.select(users.c.id).where(users.c.username == username)).scalar_one()
    token = new_api_token()
    conn.execute(
        sa.insert(api_tokens).values(
            token_hash=secret_digest(token), user_id=uid, name=name, created_at=datetime.now(UTC)
        )
    )
    return token


def as_admin(conn: Connection) -> UnitOfWork:
    """A unit of work on ``conn`` for the world's administrator (account administration)."""
    return UnitOfWork(conn, accounts.actor_named(conn, PERSONAS[Role.ADMINISTRATOR][0]))


def add(conn: Connection, table: sa.Table, **values: Any) -> int:
    now = datetime.now(UTC)
    row = {
        "source_system": "test",
        "source_id": uuid.uuid4().hex,
        "content_hash": hashlib.md5(str(values).encode()).hexdigest(),  # noqa: S324
        "first_ingested_at": now,
        "last_changed_at": now,
        **values,
    }
    return int(conn.execute(sa.insert(table).values(**row).returning(table.c.id)).scalar_one())


def person(conn: Connection, restricted: bool = False) -> int:
    return int(
        conn.execute(
            sa.insert(people)
            .values(
                created_at=NOW,
                restricted=restricted,
                restriction_reason="protected victim" if restricted else None,
            )
            .returning(people.c.id)
        ).scalar_one()
    )


def link(conn: Connection, mention_id: int, person_id: int, p: float = 0.99) -> None:
    conn.execute(
        sa.insert(person_links).values(
            mention_id=mention_id,
            person_id=person_id,
            match_probability=p,
            model_version="test",
            linked_at=NOW,
        )
    )


AGENCIES = (
    ("childrens-services", "Cumbria Children's Services", "children's social care"),
    ("health", "North Cumbria Health", "health"),
    ("marac", "Cumbria MARAC", "multi-agency"),
)


def register_agencies(conn: Connection) -> None:
    for code, name, sector in AGENCIES:
        register_agency(conn, code=code, display_name=name, sector=sector, names=())


@dataclass
class World:
    victim: int  # person ids
    suspect_restricted: int
    child_shared: int
    unlinked: int  # negative person id of an unlinked mention
    uncertain_review: int  # an open link review item (Joanne Smith / Joanna Smith)
    marac_referral: int
    csc_referral: int
    event: int
    finding: int  # an open finding about the victim


def build_world(engine: Engine) -> World:
    """Joanne Smith (DA victim, high-risk DASH), John Smith (restricted), Kayleigh Brown
    (repeatedly missing child, shared with children's services), one unlinked mention."""
    with engine.begin() as conn:
        register_agencies(conn)
        victim, suspect, child = person(conn), person(conn, restricted=True), person(conn)
        j1 = add(
            conn,
            person_mentions,
            forenames="Joanne",
            surname="Smith",
            date_of_birth=date(1990, 4, 23),
            sex="female",
            postcode="CA1 1AA",
        )
        j2 = add(
            conn,
            person_mentions,
            forenames="Jo",
            surname="Smyth",
            date_of_birth=date(1990, 4, 23),
            sex="female",
            postcode="CA1 1AA",
        )
        j3 = add(conn, person_mentions, forenames="Joanna", surname="Smith", sex="female")
        s1 = add(
            conn,
            person_mentions,
            forenames="John",
            surname="Smith",
            date_of_birth=date(1985, 1, 2),
            sex="male",
        )
        c1 = add(
            conn,
            person_mentions,
            forenames="Kayleigh",
            surname="Brown",
            date_of_birth=date(2010, 6, 1),
            sex="female",
        )
        u1 = add(
            conn,
            person_mentions,
            forenames="Unlinked",
            surname="Person",
            date_of_birth=date(1970, 1, 1),
        )
        link(conn, j1, victim)
        link(conn, j2, victim, 0.97)
        link(conn, j3, victim, 0.62)
        link(conn, s1, suspect)
        link(conn, c1, child)
        ev = add(
            conn,
            events,
            event_type="domestic_abuse",
            occurred_at=NOW - timedelta(days=3),
            summary="Argument at home; victim injured.",
            injury_level="minor",
        )
        add(conn, involvements, event_id=ev, mention_id=j1, role="victim")
        add(conn, involvements, event_id=ev, mention_id=s1, role="suspect")
        answers = {f"q{i}": "yes" if i <= 15 else "no" for i in range(1, 28)}
        add(
            conn,
            risk_assessments,
            event_id=ev,
            subject_id=j1,
            instrument_id="dash-police",
            instrument_version="2009",
            answers=answers,
            officer_grade="high",
            completed_at=NOW - timedelta(days=3),
        )
        marac = add(
            conn,
            referrals,
            subject_id=j1,
            referral_type="marac",
            agency="marac",
            made_at=NOW - timedelta(days=2),
            route="visible_high_risk",
        )
        for days in (20, 60, 100):
            mev = add(
                conn, events, event_type="missing_person", occurred_at=NOW - timedelta(days=days)
            )
            add(conn, involvements, event_id=mev, mention_id=c1, role="missing_person")
            add(
                conn,
                missing_episodes,
                event_id=mev,
                mention_id=c1,
                reported_missing_at=NOW - timedelta(days=days),
                found_at=NOW - timedelta(days=days - 1),
                in_care=True,
                exploitation_flag=days == 20,
                risk_grade="medium",
            )
        csc = add(
            conn,
            referrals,
            subject_id=c1,
            referral_type="childrens_social_care",
            agency="childrens-services",
            made_at=NOW - timedelta(days=19),
        )
        review = int(
            conn.execute(
                sa.insert(link_reviews)
                .values(
                    mention_id_l=min(j1, j3),
                    mention_id_r=max(j1, j3),
                    match_probability=0.62,
                    priority=0.9,
                    reason="uncertain_match",
                    status="open",
                    created_at=NOW,
                )
                .returning(link_reviews.c.id)
            ).scalar_one()
        )
        finding = int(
            conn.execute(
                sa.insert(findings)
                .values(
                    finding_key=f"test:{victim}",
                    rule_id="DA-MARAC-1",
                    rule_version="1",
                    person_key=f"P{victim}",
                    person_id=victim,
                    event_id=ev,
                    category="marac_due",
                    kind="procedure",
                    severity="high",
                    due_at=NOW + timedelta(days=1),
                    status="open",
                    explanation="High risk DASH: refer to MARAC.",
                    facts="{}",
                    content_hash="0" * 32,
                    first_found_at=NOW,
                    last_changed_at=NOW,
                )
                .returning(findings.c.id)
            ).scalar_one()
        )
        admin_id = None
        for role, (username, agency) in PERSONAS.items():
            uid = conn.execute(
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
            if role is Role.SUPERVISOR:
                admin_id = uid
        assert admin_id is not None
        conn.execute(
            sa.insert(agency_shares).values(
                person_id=child,
                agency="childrens-services",
                shared_by=admin_id,
                shared_at=NOW,
                reason="Strategy discussion",
            )
        )
    return World(victim, suspect, child, -u1, review, marac, csc, ev, finding)
