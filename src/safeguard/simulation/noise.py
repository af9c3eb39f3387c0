"""Record noise as police data has it: how one real person gets written down on one record.

Typos, nicknames (Bob for Robert), day and month swapped, missing dates of birth, age only,
maiden names, hyphenation variants, forename and surname swapped, upper-case surnames, dropped
middle names and the address the person lived at on the day.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from safeguard.simulation.config import Rates
from safeguard.simulation.draws import Uniforms
from safeguard.simulation.names import nickname_table
from safeguard.simulation.population import DAYS_PER_YEAR, Population

_ALPHABET = "abcdefghijklmnopqrstuvwxyz"


def typo(word: str, u: Uniforms) -> str:
    """One keying error: a substitution, deletion, insertion or transposition."""
    if len(word) < 3:
        return word
    pos = 1 + u.below(len(word) - 1)
    kind = u.below(4)
    letter = _ALPHABET[u.below(26)]
    if kind == 0:
        return word[:pos] + letter + word[pos + 1 :]
    if kind == 1:
        return word[:pos] + word[pos + 1 :]
    if kind == 2:
        return word[:pos] + letter + word[pos:]
    if pos + 1 < len(word):
        return word[:pos] + word[pos + 1] + word[pos] + word[pos + 2 :]
    return word[:pos] + letter


def hyphen_variant(surname: str, u: Uniforms) -> str:
    """``Smith-Jones`` recorded as ``Smith Jones``, ``Smith`` or ``Jones``."""
    first, _, second = surname.partition("-")
    return (f"{first} {second}", first, second)[u.below(3)]


class MentionNoise:
    """Writes a person's fields as one record would hold them, with realistic errors."""

    def __init__(self, u: Uniforms, rates: Rates, start: date) -> None:
        self.u = u
        self.rates = rates
        self.start = start
        self.nicknames = nickname_table()

    def fields(self, pop: Population, i: int, day: float) -> dict[str, Any]:
        """Interchange fields of a person_mention of person ``i`` recorded on ``day``."""
        u, r = self.u, self.rates
        forename, middle = pop.forename[i], pop.middle[i]
        surname = pop.surname[i]
        other_names: list[str] = []
        if pop.birth_surname[i] != surname and u() < r.noise_maiden_name:
            other_names.append(surname)
            surname = pop.birth_surname[i]
            if u() < 0.5:
                other_names = []
        if "-" in surname and u() < r.noise_hyphen_variant:
            surname = hyphen_variant(surname, u)
        if forename in self.nicknames and u() < r.noise_nickname:
            nicks = self.nicknames[forename]
            forename = nicks[u.below(len(nicks))]
        if u() < r.noise_typo:
            forename = typo(forename, u)
        if u() < r.noise_typo:
            surname = typo(surname, u)
        forenames = (
            forename
            if (not middle or u() < r.noise_middle_name_dropped)
            else (f"{forename} {middle}")
        )
        if u() < r.noise_name_swap:
            forenames, surname = surname, forenames
        if u() < r.noise_uppercase:
            surname = surname.upper()
        mention_day = int(day)
        mention_date = self.start + timedelta(days=mention_day)
        dob = self.start + timedelta(days=pop.dob[i])
        out: dict[str, Any] = {
            "forenames": forenames,
            "surname": surname,
            "sex": "male" if pop.sex[i] == 0 else "female",
            "mention_date": mention_date.isoformat(),
        }
        x = u()
        if x < r.noise_dob_missing:
            pass
        elif x < r.noise_dob_missing + r.noise_age_only:
            out["age"] = max(0, int((mention_day - pop.dob[i]) // DAYS_PER_YEAR))
        else:
            if dob.day <= 12 and dob.day != dob.month and u() < r.noise_day_month_swap:
                dob = dob.replace(month=dob.day, day=dob.month)
            out["date_of_birth"] = dob.isoformat()
        if other_names:
            out["other_names"] = other_names
        if u() < 0.02:
            out["sex"] = "unknown"
        if u() < 0.85:
            out["ethnicity"] = pop.ethnicity[i]
        address, postcode = pop.address_on(i, mention_day)
        if u() < 0.9:
            out["address"] = address
            if u() < 0.92:
                out["postcode"] = postcode if u() > 0.03 else postcode.replace(" ", "")
        if pop.phone[i] and u() < 0.5:
            out["phone"] = pop.phone[i]
        if pop.pnc[i] and u() < 0.7:
            out["pnc_id"] = pop.pnc[i]
        return out
