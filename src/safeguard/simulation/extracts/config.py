"""Profiles of the extract generator: the source systems, their habits and the population.

Every rate here is a habit of real extracts; ``docs/simulation.md`` ("Realistic extracts")
gives the source of each. Change rates here, never in the scoring.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

Profile = Literal["police", "diverse"]
PROFILES: tuple[Profile, ...] = ("police", "diverse")
Case = Literal["mixed", "upper", "title"]

#: bumped whenever the same configuration writes different files (bench caches by it)
GENERATOR_VERSION = 4  # 3 was gen14's, never merged

START = date(2019, 1, 1)
END = date(2025, 12, 31)  # the last day of records: nothing is in the future for ingest


@dataclass(frozen=True)
class SystemHabits:
    """How one source system writes a person down."""

    name: str  #: the ``source_system`` code
    label: str  #: what kind of system it is
    share: float  #: share of an adult's mentions
    child_share: float  #: share of a child's mentions (under 18 on the day)
    case: Case
    dob_missing: float  #: date of birth not recorded
    age_when_missing: float  #: of those, an age recorded instead
    age_only: bool = False  #: records age, never a date of birth
    age_off: float = 0.0  #: an age estimate off by 1-2 years
    keying: float = 0.02  #: per name field, one keying error
    phonetic: float = 0.01  #: per name field, a sound-alike spelling
    swapped: float = 0.01  #: forename and surname fields swapped
    nickname: float = 0.03  #: a nickname (Bob for Robert)
    known_as: float = 0.01  #: a known-as name instead of the forename
    middle: float = 0.3  #: the middle name written in the forenames (if the person has one)
    initial: float = 0.0  #: forename as an initial only
    dob_day_month: float = 0.015  #: day and month swapped
    dob_typo: float = 0.008  #: one digit of the date mistyped
    placeholder_dob: float = 0.0  #: 1900-01-01 entered for "unknown"
    impossible: float = 0.0005  #: a date of birth after the record, or age over 120
    address: float = 0.85  #: address recorded
    postcode: float = 0.8  #: postcode recorded
    house_number_dropped: float = 0.05
    stale_address: float = 0.15  #: after a move, the old address given
    stale_surname: float = 0.1  #: after a marriage, the birth surname given
    phone: float = 0.3
    pnc: float = 0.0  #: PNC id recorded for a person who has one
    diacritics_kept: float = 0.0  #: accented letters kept (others are stripped)
    transliteration: float = 0.0  #: another spelling of a transliterated name
    prefix_form: float = 0.0  #: Mac/Mc/O' written another way
    family_first: float = 1.0  #: multiplier of a tradition's family-name-first rate
    alias: float = 0.0  #: for a person with an alias, the alias recorded as the name
    events: bool = True  #: mentions belong to events (incidents, crimes) with involvements


CUSTODY = SystemHabits(
    "NICHE", "custody and crime records", share=0.57, child_share=0.30, case="mixed",
    dob_missing=0.15, age_when_missing=0.4, keying=0.025, phonetic=0.012, swapped=0.012,
    nickname=0.035, known_as=0.015, middle=0.45, initial=0.005, placeholder_dob=0.002,
    impossible=0.0008, pnc=0.7, phone=0.25, alias=0.5,
)  # fmt: skip
COMMAND_AND_CONTROL = SystemHabits(
    "STORM", "command and control log (calls)", share=0.30, child_share=0.25, case="upper",
    dob_missing=0.25, age_when_missing=0.7, age_off=0.5, keying=0.03, phonetic=0.07,
    swapped=0.05, nickname=0.08, known_as=0.03, middle=0.02, initial=0.02, dob_day_month=0.02,
    dob_typo=0.012, impossible=0.0008, address=0.8, postcode=0.45, house_number_dropped=0.15,
    stale_address=0.2, stale_surname=0.15, phone=0.6, transliteration=0.3, prefix_form=0.4,
    alias=0.3,
)  # fmt: skip
REFERRAL = SystemHabits(
    "LCS", "safeguarding referrals (children's services)", share=0.08, child_share=0.30,
    case="title", dob_missing=1.0, age_when_missing=1.0, age_only=True, keying=0.015,
    phonetic=0.01, swapped=0.005, nickname=0.03, known_as=0.06, middle=0.2, dob_day_month=0.0,
    dob_typo=0.0, impossible=0.0, address=0.9, postcode=0.9, stale_address=0.1, phone=0.3,
    transliteration=0.15, prefix_form=0.2, events=False,
)  # fmt: skip
PARTNER_HEALTH = SystemHabits(
    "ED", "partner agency (hospital emergency department)", share=0.15, child_share=0.15,
    case="upper", dob_missing=0.02, age_when_missing=0.5, keying=0.02, phonetic=0.02,
    swapped=0.02, nickname=0.01, known_as=0.01, middle=0.5, dob_day_month=0.04, dob_typo=0.01,
    placeholder_dob=0.004, address=0.95, postcode=0.95, house_number_dropped=0.02,
    stale_address=0.25, stale_surname=0.2, phone=0.5, diacritics_kept=0.6,
    transliteration=0.25, prefix_form=0.3, family_first=1.5, events=False,
)  # fmt: skip


@dataclass(frozen=True)
class PopulationHabits:
    """Who lives together and how often they appear."""

    #: share of households of 1..6 people
    household_sizes: tuple[float, ...] = (0.30, 0.33, 0.15, 0.13, 0.06, 0.03)
    couple_share: float = 0.68  #: households of 2+ headed by a couple (else a lone parent)
    twins: float = 0.05  #: households with 2+ children holding a twin pair
    twins_same_initial: float = 0.35
    junior: float = 0.06  #: first sons given their father's forename
    junior_same_middle: float = 0.4
    married: float = 0.65  #: couples who are married
    married_in_period: float = 0.15  #: of the wives who took the name, married during it
    middle_name: float = 0.55
    known_by_middle: float = 0.02
    alias: float = 0.03  #: people with an alias (mostly those with many mentions)
    moved: float = 0.35  #: households that move once during the period
    landline: float = 0.35
    mobile: float = 0.8  #: adults with a mobile phone
    pnc: float = 0.08  #: people with a PNC id (more with many mentions)
    #: mentions per person ~ k^-zeta for k in 1..max_mentions
    zeta: float = 2.0
    zeta_child: float = 2.6  #: children are recorded less often (most once)
    #: members of a household of two or more never recorded at all (adults, children)
    unrecorded_adult: float = 0.25
    unrecorded_child: float = 0.45
    max_mentions: int = 60
    households_per_postcode: float = 3.0


@dataclass(frozen=True)
class ExtractConfig:
    """What to generate: ``people`` people of ``profile``, reproducibly from ``seed``."""

    people: int = 40_000
    profile: Profile = "police"
    seed: int = 1
    chunk_people: int = 50_000
    systems: tuple[SystemHabits, ...] = (CUSTODY, COMMAND_AND_CONTROL, REFERRAL)
    population: PopulationHabits = field(default_factory=PopulationHabits)
    diverse: bool = False  #: other naming traditions (``traditions.DIVERSE_MIX``)
    area_codes: tuple[str, ...] = ("LS", "BD", "WF", "HX", "HD")

    def __post_init__(self) -> None:
        if self.people < 1:
            raise ValueError("people must be at least 1")
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}")

    @classmethod
    def for_profile(cls, profile: str, *, people: int, seed: int = 1) -> ExtractConfig:
        if profile == "diverse":
            custody = replace(CUSTODY, share=0.45, transliteration=0.2, prefix_form=0.3)
            cand = replace(COMMAND_AND_CONTROL, share=0.30)
            return cls(
                people=people,
                profile="diverse",
                seed=seed,
                systems=(custody, cand, replace(REFERRAL, share=0.10), PARTNER_HEALTH),
                population=PopulationHabits(alias=0.06, moved=0.45),
                diverse=True,
                area_codes=("M", "OL", "BL", "SK", "WN"),
            )
        if profile != "police":
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}")
        return cls(people=people, profile="police", seed=seed)

    def mean_mentions(self) -> float:
        """Mentions per person, measured on a small sample of this configuration (children,
        unrecorded household members and households make a closed form awkward)."""
        from safeguard.simulation.extracts.estimate import mentions_per_person

        return mentions_per_person(self)
