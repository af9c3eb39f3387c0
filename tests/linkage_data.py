"""A small synthetic population with known truth, for linking tests (synthetic data only).

Each person has several mentions with the noise police records carry (nicknames, initials,
typos, swapped names and day/month, age instead of date of birth, a changed surname), plus the
hard negatives: twins, and father and son with one name at one address.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.tables import events, involvements, person_mentions

FORENAMES = [
    ("robert", "bob"),
    ("william", "bill"),
    ("elizabeth", "liz"),
    ("margaret", "peggy"),
    ("thomas", "tom"),
    ("james", "jim"),
    ("katherine", "kate"),
    ("rebecca", "becky"),
    ("jennifer", "jenny"),
    ("susan", "sue"),
    ("david", "dave"),
    ("nicholas", "nick"),
    ("alice", "alice"),
    ("oliver", "oliver"),
    ("amelia", "amelia"),
    ("harry", "harry"),
    ("george", "george"),
    ("isla", "isla"),
    ("jack", "jack"),
    ("sophie", "sophie"),
    ("noah", "noah"),
    ("grace", "grace"),
    ("leo", "leo"),
    ("freya", "freya"),
]
_STEMS = [
    "arm",
    "bell",
    "carr",
    "dix",
    "gra",
    "hodg",
    "irv",
    "jack",
    "kirk",
    "lit",
    "mof",
    "nich",
    "oli",
    "patt",
    "quay",
    "rob",
    "stew",
    "thom",
    "under",
    "vick",
    "wil",
    "young",
    "atk",
    "bow",
    "coul",
    "dob",
    "elli",
    "fors",
    "gib",
    "heth",
]
_ENDINGS = ["son", "ton", "ham", "ley", "ford", "wood", "well", "by", "er", "strong"]
SURNAMES = [stem + end for stem in _STEMS for end in _ENDINGS]
STREETS = ["High St", "Mill Lane", "Church Rd", "Station Rd", "Fell View", "Beck Side"]
NOW = datetime(2026, 6, 1, tzinfo=UTC)


@dataclass
class Person:
    key: int
    forename: str
    nickname: str
    surname: str
    dob: date
    postcode: str
    address: str
    phone: str
    sex: str


def _typo(text: str, rng: random.Random) -> str:
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def make_people(n: int, seed: int = 7) -> list[Person]:
    rng = random.Random(seed)
    people: list[Person] = []
    while len(people) < n:
        key = len(people)
        forename, nick = rng.choice(FORENAMES)
        surname = rng.choice(SURNAMES)
        dob = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 55))
        unit = "".join(rng.choice("ABDEFGHJLNPQRSTUWXYZ") for _ in range(2))
        pc = f"CA{rng.randrange(1, 28)} {rng.randrange(1, 9)}{unit}"
        address = f"{rng.randrange(1, 120)} {rng.choice(STREETS)}, {pc.split()[0]}"
        phone = f"07700 9{rng.randrange(10000, 99999)}"
        sex = rng.choice(["male", "female"])
        people.append(Person(key, forename, nick, surname, dob, pc, address, phone, sex))
        if key % 25 == 3 and len(people) < n:
            # a twin: same surname, date of birth and address, another forename
            other = rng.choice([f for f, _ in FORENAMES if f != forename])
            people.append(Person(len(people), other, other, surname, dob, pc, address, "", sex))
        if key % 25 == 11 and len(people) < n and dob.year < 1980:
            # father and son with one name, at one address
            son_dob = date(dob.year + 26, rng.randrange(1, 13), rng.randrange(1, 28))
            people.append(
                Person(len(people), forename, nick, surname, son_dob, pc, address, "", sex)
            )
    return people


def make_mentions(people: list[Person], seed: int = 11, start_id: int = 1) -> list[dict[str, Any]]:
    """Mentions (storage columns, with ``person_key`` truth) of each person."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    next_id = start_id
    for p in people:
        for k in range(rng.randint(2, 4)):
            forename, surname, dob = p.forename, p.surname, p.dob
            age = None
            noise = rng.random()
            if k > 0 and noise < 0.15:
                forename = p.nickname
            elif k > 0 and noise < 0.22:
                surname = _typo(surname, rng)
            elif k > 0 and noise < 0.28 and dob.day <= 12 and dob.day != dob.month:
                dob = date(dob.year, dob.day, dob.month)
            elif k > 0 and noise < 0.33:
                forename, surname = surname, forename
            mention_date = date(2020, 1, 1) + timedelta(days=rng.randrange(0, 1800))
            if k > 0 and 0.33 <= noise < 0.40:
                dob = None  # type: ignore[assignment]
                age = (mention_date - p.dob).days // 365
            rows.append(
                {
                    "id": next_id,
                    "source_system": "NICHE",
                    "source_id": f"P{next_id}",
                    "forenames": forename.title(),
                    "surname": surname.upper() if k % 2 else surname.title(),
                    "date_of_birth": dob,
                    "age": age,
                    "sex": p.sex,
                    "postcode": p.postcode if rng.random() > 0.1 else None,
                    "address": p.address,
                    "phone": p.phone if p.phone and rng.random() > 0.5 else None,
                    "mention_date": mention_date,
                    "person_key": p.key,
                }
            )
            next_id += 1
    return rows


def insert_mentions(engine: Engine, rows: list[dict[str, Any]]) -> None:
    columns = [c for c in person_mentions.c.keys() if c not in ("version", "recorded_at")]
    with engine.begin() as conn:
        conn.execute(
            sa.insert(person_mentions),
            [
                {k: r.get(k) for k in columns}
                | {"content_hash": f"h{r['id']}", "first_ingested_at": NOW, "last_changed_at": NOW}
                for r in rows
            ],
        )


def insert_roles(engine: Engine, roles: dict[int, str]) -> None:
    """One event with each mention in the given role."""
    with engine.begin() as conn:
        event_id = conn.execute(
            sa.insert(events)
            .values(
                source_system="NICHE",
                source_id="E1",
                event_type="domestic_abuse",
                content_hash="e",
                first_ingested_at=NOW,
                last_changed_at=NOW,
            )
            .returning(events.c.id)
        ).scalar_one()
        conn.execute(
            sa.insert(involvements),
            [
                {
                    "source_system": "NICHE",
                    "source_id": f"I{m}",
                    "event_id": event_id,
                    "mention_id": m,
                    "role": role,
                    "content_hash": f"i{m}",
                    "first_ingested_at": NOW,
                    "last_changed_at": NOW,
                }
                for m, role in roles.items()
            ],
        )
