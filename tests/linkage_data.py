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

from safeguard.adapters.db.linkage import save_model
from safeguard.adapters.db.people import person_links
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


def insert_events(engine: Engine, mention_events: list[tuple[int, int]]) -> None:
    """Events with the given ids, each involving its mentions (``Households.events``)."""
    ids = sorted({e for _, e in mention_events})
    stamps = {"first_ingested_at": NOW, "last_changed_at": NOW}
    with engine.begin() as conn:
        conn.execute(
            sa.insert(events),
            [
                {"id": e, "source_system": "NICHE", "source_id": f"E{e}"}
                | {"event_type": "domestic_abuse", "content_hash": f"e{e}"}
                | stamps
                for e in ids
            ],
        )
        conn.execute(
            sa.insert(involvements),
            [
                {"source_system": "NICHE", "source_id": f"I{m}-{e}", "event_id": e}
                | {"mention_id": m, "role": "witness", "content_hash": f"i{m}-{e}"}
                | stamps
                for m, e in mention_events
            ],
        )


def with_model(
    engine: Engine,
    model_json: str,
    *,
    trained_on: int,
    version: str = "test-model",
    backend: str = "duckdb",
    at: datetime = NOW,
) -> None:
    """A saved model, as a run that trained it would leave it (the next run loads it)."""
    with engine.begin() as conn:
        save_model(
            conn,
            version=version,
            model_json=model_json,
            backend=backend,
            trained_on=trained_on,
            at=at,
        )


def stored_links(engine: Engine) -> dict[int, int]:
    """Every stored link: mention id to person id."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(person_links.c.mention_id, person_links.c.person_id))
        return {int(m): int(p) for m, p in rows}


# --- households with the hard cases, and relation truth (guards' tests and bench/guards.py) ---

BOYS = ["jack", "james", "oliver", "harry", "george", "noah", "leo", "thomas", "william", "david"]
GIRLS = ["sophie", "isla", "amelia", "grace", "freya", "alice", "susan", "rebecca", "jennifer"]
RELATIONS = ("twins", "father_son_same_name", "parent_child", "siblings", "partners")


@dataclass
class Households:
    """Mentions (storage columns, ``person_key`` truth), the true relation of pairs of people in
    one household, and which mentions each event involves."""

    rows: list[dict[str, Any]]
    relations: list[tuple[int, int, str]]
    events: list[tuple[int, int]]  # (mention id, event id)


def _mention_noise(
    rng: random.Random, p: Person, k: int, suffix: str | None
) -> tuple[str, str, date | None, int | None, date]:
    forename, surname, dob = p.forename, p.surname, p.dob
    age: int | None = None
    mention_date = date(2019, 1, 1) + timedelta(days=rng.randrange(0, 2200))
    noise = rng.random()
    if k > 0 and noise < 0.12:
        forename = p.nickname
    elif k > 0 and noise < 0.18:
        surname = _typo(surname, rng)
    elif k > 0 and noise < 0.22:
        forename = _typo(forename, rng)
    elif k > 0 and noise < 0.26 and dob.day <= 12 and dob.day != dob.month:
        dob = date(dob.year, dob.day, dob.month)
    elif k > 0 and noise < 0.29:
        forename, surname = surname, forename
    elif k > 0 and noise < 0.33:
        forename = forename[0]
    if k > 0 and 0.33 <= noise < 0.43:
        dob = None  # type: ignore[assignment]
        age = max(0, (mention_date - p.dob).days // 365 + rng.choice([-1, 0, 0, 1]))
    elif k > 0 and 0.43 <= noise < 0.48:
        dob = None  # type: ignore[assignment]
    if suffix and rng.random() < 0.4:
        forename = f"{forename} {suffix}"
    return forename, surname, dob, age, mention_date


def make_households(n_households: int, seed: int = 3, start_id: int = 1) -> Households:
    """Households of one to five people: couples with children (siblings, parent and child,
    partners), twins (some with one initial, some of different sex), father and son with one
    name (some written Jr / Sr), people on their own. Each person has one to eight mentions with
    the usual noise; some events involve two people of a household (a partner and a partner, a
    parent and a child), one mention each."""
    rng = random.Random(seed)
    people: list[Person] = []
    relations: list[tuple[int, int, str]] = []
    households: list[list[int]] = []
    suffixes: dict[int, str] = {}

    def person(forename: str, surname: str, dob: date, base: Person, sex: str) -> int:
        key = len(people)
        nick = next((b for f, b in FORENAMES if f == forename), forename)
        people.append(
            Person(key, forename, nick, surname, dob, base.postcode, base.address, base.phone, sex)
        )
        return key

    for h in range(n_households):
        surname = rng.choice(SURNAMES)
        unit = "".join(rng.choice("ABDEFGHJLNPQRSTUWXYZ") for _ in range(2))
        pc = f"CA{rng.randrange(1, 28)} {rng.randrange(1, 9)}{unit}"
        address = f"{rng.randrange(1, 120)} {rng.choice(STREETS)}, {pc.split()[0]}"
        phone = f"07700 9{rng.randrange(10000, 99999)}"
        base = Person(-1, "", "", surname, date(1970, 1, 1), pc, address, phone, "")
        parent_dob = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 30))
        kind = h % 5
        members: list[int] = []
        if kind == 0:  # a couple and children
            a = person(rng.choice(BOYS), surname, parent_dob, base, "male")
            b_dob = parent_dob + timedelta(days=rng.randrange(-2000, 2000))
            b = person(rng.choice(GIRLS), surname, b_dob, base, "female")
            members += [a, b]
            relations.append((a, b, "partners"))
            kids: list[int] = []
            kid_dob = parent_dob + timedelta(days=365 * rng.randrange(20, 34))
            used: set[str] = set()
            for _ in range(rng.randint(1, 3)):
                sex = rng.choice(["male", "female"])
                name = rng.choice([n for n in (BOYS if sex == "male" else GIRLS) if n not in used])
                used.add(name)
                kid = person(name, surname, kid_dob, base, sex)
                kid_dob += timedelta(days=365 * rng.randint(1, 5) + rng.randrange(0, 200))
                for parent in (a, b):
                    relations.append((parent, kid, "parent_child"))
                for other in kids:
                    relations.append((other, kid, "siblings"))
                kids.append(kid)
            members += kids
        elif kind == 1:  # twins and a parent
            mum = person(rng.choice(GIRLS), surname, parent_dob, base, "female")
            twin_dob = parent_dob + timedelta(days=365 * rng.randrange(20, 34))
            style = rng.random()
            if style < 0.3:  # one initial, different sex
                pair = [("sam", "male"), ("sophie", "female")]
            else:
                pair = [(rng.choice(BOYS), "male"), (rng.choice(GIRLS), "female")]
                if style < 0.6:
                    pair[1] = (rng.choice([g for g in BOYS if g != pair[0][0]]), "male")
            t1 = person(pair[0][0], surname, twin_dob, base, pair[0][1])
            t2 = person(pair[1][0], surname, twin_dob, base, pair[1][1])
            members += [mum, t1, t2]
            relations += [(t1, t2, "twins"), (mum, t1, "parent_child"), (mum, t2, "parent_child")]
        elif kind == 2:  # father and son with one name
            name = rng.choice(BOYS)
            dad = person(name, surname, parent_dob, base, "male")
            son_dob = parent_dob + timedelta(days=365 * rng.randrange(20, 34))
            son = person(name, surname, son_dob, base, "male")
            members += [dad, son]
            relations.append((dad, son, "father_son_same_name"))
            if rng.random() < 0.5:
                suffixes[dad], suffixes[son] = "Snr", "Jr"
        else:  # on their own
            sex = rng.choice(["male", "female"])
            members.append(
                person(rng.choice(BOYS if sex == "male" else GIRLS), surname, parent_dob, base, sex)
            )
        households.append(members)

    rows: list[dict[str, Any]] = []
    first_mention: dict[int, int] = {}
    next_id = start_id
    for p in people:
        count = min(8, 1 + int(rng.paretovariate(1.3)))
        for k in range(count):
            forename, surname, dob, age, mention_date = _mention_noise(
                rng, p, k, suffixes.get(p.key)
            )
            rows.append(
                {
                    "id": next_id,
                    "source_system": "NICHE",
                    "source_id": f"P{next_id}",
                    "forenames": forename.title(),
                    "surname": surname.upper() if k % 2 else surname.title(),
                    "date_of_birth": dob,
                    "age": age,
                    "sex": p.sex if rng.random() > 0.02 else None,
                    "postcode": p.postcode if rng.random() > 0.1 else None,
                    "address": p.address,
                    "phone": p.phone if rng.random() > 0.6 else None,
                    "mention_date": mention_date,
                    "person_key": p.key,
                }
            )
            first_mention.setdefault(p.key, next_id)
            next_id += 1
    # an event each for some related pairs (a domestic incident, a child at risk), one mention
    # of each person, and every other mention in an event of its own
    events: list[tuple[int, int]] = []
    in_event: set[int] = set()
    event_id = 1
    for a, b, relation in relations:
        if relation in ("partners", "parent_child") and rng.random() < 0.5:
            ma, mb = first_mention[a], first_mention[b]
            if ma in in_event or mb in in_event:
                continue
            events += [(ma, event_id), (mb, event_id)]
            in_event |= {ma, mb}
            event_id += 1
    for r in rows:
        if r["id"] not in in_event:
            events.append((r["id"], event_id))
            event_id += 1
    return Households(rows, relations, events)


def relation_merge_rates(
    cluster_of: dict[int, int], households: Households
) -> dict[str, tuple[int, int]]:
    """Per relation: (pairs of people any of whose mentions were put into one person, pairs)."""
    clusters_of_person: dict[int, set[int]] = {}
    for r in households.rows:
        if r["id"] in cluster_of:
            clusters_of_person.setdefault(r["person_key"], set()).add(cluster_of[r["id"]])
    out: dict[str, list[int]] = {rel: [0, 0] for rel in RELATIONS}
    for a, b, relation in households.relations:
        merged = bool(clusters_of_person.get(a, set()) & clusters_of_person.get(b, set()))
        out[relation][0] += merged
        out[relation][1] += 1
    return {rel: (m, n) for rel, (m, n) in out.items()}
