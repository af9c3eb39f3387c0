"""The fields of each mention as its source system writes them, and the variations applied.

Masks are drawn for all mentions at once; only the strings that change are touched one by one.
Each variation is recorded by name in the truth (``variations``), so missed links can be
counted by the kind of variation behind them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from safeguard.simulation import names as sim_names
from safeguard.simulation.extracts import spelling
from safeguard.simulation.extracts.config import ExtractConfig, SystemHabits
from safeguard.simulation.extracts.households import DAY0
from safeguard.simulation.extracts.mentions import Drawn, Homes, Persons
from safeguard.simulation.extracts.traditions import Tradition

PLACEHOLDER_DOB = np.datetime64("1900-01-01", "D").astype(np.int64)


class Writer:
    """Writes the fields of drawn mentions (one chunk)."""

    def __init__(self, cfg: ExtractConfig, rng: np.random.Generator,
                 traditions: list[Tradition]) -> None:  # fmt: skip
        self.cfg = cfg
        self.rng = rng
        self.traditions = traditions
        self.nicknames = sim_names.nickname_table()

    def fields(self, d: Drawn, p: Persons, homes: Homes) -> dict[str, Any]:
        rng = self.rng
        m = len(d.person)
        pi = d.person
        var: list[list[str]] = [[] for _ in range(m)]
        fore = p.forename[pi].copy()
        sur = p.surname[pi].copy()
        other: list[str | None] = [None] * m
        rate = {
            name: np.array([getattr(s, name) for s in self.cfg.systems])[d.system]
            for name in SystemHabits.__dataclass_fields__
            if name not in ("name", "label", "case", "age_only", "events")
        }
        u: defaultdict[str, np.ndarray] = defaultdict(lambda: rng.random(m))

        def hit(name: str) -> np.ndarray:
            return np.flatnonzero(u[name] < rate[name])

        day_abs = DAY0 + d.day
        # --- surname on the day: before a marriage in the period, the birth surname ---
        md = p.marriage_day[pi]
        before = (md >= 0) & (d.day < md)
        sur[before] = p.birth_surname[pi][before]
        for i in np.flatnonzero(before):
            var[i].append("surname_change")
        changed = (p.birth_surname[pi] != p.surname[pi]) & ~before
        for i in hit("stale_surname"):
            if changed[i]:
                sur[i] = p.birth_surname[pi[i]]
                var[i].append("stale_surname")
        for i in np.flatnonzero(changed & (d.system == 0) & (u["other"] < 0.3)):
            other[i] = p.birth_surname[pi[i]]
        # --- forenames: known by the middle name, nickname, known-as, alias ---
        for i in np.flatnonzero(p.known_by_middle[pi] & (u["kbm"] < 0.6)):
            fore[i] = p.middle[pi[i]]
            var[i].append("known_by_middle")
        for i in hit("nickname"):
            nicks = self.nicknames.get(fore[i])
            if nicks:
                fore[i] = nicks[int(rng.integers(0, len(nicks)))]
                var[i].append("nickname")
        for i in hit("known_as"):
            if p.known_as[pi[i]] and p.known_as[pi[i]] != fore[i]:
                fore[i] = p.known_as[pi[i]]
                var[i].append("known_as")
        has_alias = p.alias_forename[pi] != ""
        for i in np.flatnonzero(has_alias):
            j = pi[i]
            if u["alias"][i] < rate["alias"][i]:
                fore[i] = p.alias_forename[j]
                sur[i] = p.alias_surname[j] or sur[i]
                var[i].append("alias")
            elif u["alias"][i] < 0.7:
                other[i] = f"{p.alias_forename[j]} {p.alias_surname[j] or sur[i]}".strip()
        # --- spellings of other traditions: transliteration, Mac/Mc/O', gendered forms ---
        if self.cfg.diverse:
            self._traditions(d, p, fore, sur, var, hit, u)
        # --- middle names, initials ---
        mid = p.middle[pi]
        for i in hit("middle"):
            if mid[i] and "known_by_middle" not in var[i]:
                fore[i] = f"{fore[i]} {mid[i]}"
                var[i].append("middle_name")
        for i in hit("initial"):
            fore[i] = fore[i][:1]
            var[i].append("initial")
        # --- keying errors and phonetic spellings, each name field on its own ---
        for field_values, tag in ((fore, "fore"), (sur, "sur")):
            for i in np.flatnonzero(u[f"key_{tag}"] < rate["keying"]):
                new = spelling.keying_error(field_values[i], rng)
                if new != field_values[i]:
                    field_values[i] = new
                    var[i].append("typo")
            for i in np.flatnonzero(u[f"ph_{tag}"] < rate["phonetic"]):
                new = spelling.phonetic(field_values[i], rng)
                if new != field_values[i]:
                    field_values[i] = new
                    var[i].append("phonetic")
        # --- accents stripped unless the system keeps them ---
        keep = u["diacritics"] < rate["diacritics_kept"]
        for k in np.flatnonzero(~keep):
            if not fore[k].isascii() or not sur[k].isascii():
                fore[k], sur[k] = spelling.strip_accents(fore[k]), spelling.strip_accents(sur[k])
                var[k].append("diacritics")
        # --- swapped fields: family name first, or keyed into the wrong box ---
        fam = np.array([t.family_first for t in self.traditions])[p.tradition[pi]]
        ff = u["family_first"] < fam * rate["family_first"]
        sw = (u["swapped"] < rate["swapped"]) | ff
        for i in np.flatnonzero(sw):
            fore[i], sur[i] = sur[i], fore[i]
            var[i].append("family_first" if ff[i] else "swapped")
        fore, sur = self._case(d, fore, sur, u)
        dob, age = self._dates(d, p, var, hit, u, day_abs)
        address, postcode = self._address(d, p, homes, var, hit, u)
        phone = self._phone(d, p, homes, u, rate)
        pnc = np.where((p.pnc[pi] != "") & (u["pnc"] < rate["pnc"]), p.pnc[pi], None)
        sex = np.where(p.female[pi], "female", "male").astype(object)
        sex[(u["sex"] < 0.03) & (d.system == 1)] = "unknown"
        return {
            "forenames": fore,
            "surname": sur,
            "other_names": np.array(other, dtype=object),
            "date_of_birth": dob,
            "age": age,
            "sex": sex,
            "address": address,
            "postcode": postcode,
            "phone": phone,
            "pnc_id": pnc,
            "mention_date": day_abs.astype("datetime64[D]").astype(str).astype(object),
            "variations": np.array([";".join(v) for v in var], dtype=object),
        }

    def _traditions(self, d: Drawn, p: Persons, fore: np.ndarray, sur: np.ndarray,
                    var: list[list[str]], hit: Any, u: Any) -> None:  # fmt: skip
        rng = self.rng
        pi = d.person
        for i in hit("transliteration"):
            t = self.traditions[p.tradition[pi[i]]]
            for values in (fore, sur):
                alts = t.variants.get(values[i]) or t.variants.get(values[i].split(" ")[0])
                if alts:
                    values[i] = alts[int(rng.integers(0, len(alts)))]
                    var[i].append("transliteration")
                    break
        for i in hit("prefix_form"):
            if spelling.has_prefix(sur[i]):
                new = spelling.prefix_form(sur[i], rng)
                if new != sur[i]:
                    sur[i] = new
                    var[i].append("prefix_form")
        for i in np.flatnonzero(p.female[pi] & (u["gender_form"] < 0.3)):
            t = self.traditions[p.tradition[pi[i]]]
            for male, female in t.gendered.items():
                if sur[i].endswith(female):
                    sur[i] = sur[i][: len(sur[i]) - len(female)] + male
                    var[i].append("gendered_form")
                    break

    def _case(self, d: Drawn, fore: np.ndarray, sur: np.ndarray,
              u: Any) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        cases = np.array([s.case for s in self.cfg.systems])[d.system]
        upper = cases == "upper"
        mixed = cases == "mixed"
        r = u["case"]
        sur_upper = upper | (mixed & (r < 0.12))
        lower = mixed & (r >= 0.12) & (r < 0.17)
        f = np.where(upper, [s.upper() for s in fore], fore)
        s = np.where(sur_upper, [x.upper() for x in sur], sur)
        f = np.where(lower, [x.lower() for x in f], f)
        s = np.where(lower, [x.lower() for x in s], s)
        return f.astype(object), s.astype(object)

    def _dates(self, d: Drawn, p: Persons, var: list[list[str]], hit: Any, u: Any,
               day_abs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        rng = self.rng
        m = len(d.person)
        rate_dob_missing = np.array([s.dob_missing for s in self.cfg.systems])[d.system]
        age_only = np.array([s.age_only for s in self.cfg.systems])[d.system]
        true_dob = p.dob[d.person].copy()
        dob = true_dob.astype("datetime64[D]").astype(object)
        missing = age_only | (u["dob_missing"] < rate_dob_missing)
        age: list[int | None] = [None] * m
        with_age = missing & (age_only | (u["age_rec"] < self._rate(d, "age_when_missing")))
        off = with_age & (u["age_off"] < self._rate(d, "age_off"))
        shift = rng.choice(np.array([-2, -1, 1, 2]), m)
        for i in np.flatnonzero(with_age):
            a = int(d.age[i]) + (int(shift[i]) if off[i] else 0)
            age[i] = max(0, a)
            if off[i]:
                var[i].append("age_off")
        for i in np.flatnonzero(missing):
            dob[i] = None
            var[i].append("age_only" if age[i] is not None else "dob_missing")
        present = ~missing
        for i in hit("dob_day_month"):
            v = dob[i]
            if present[i] and v.day <= 12 and v.day != v.month:
                dob[i] = v.replace(day=v.month, month=v.day)
                var[i].append("dob_swapped")
        for i in hit("dob_typo"):
            v = dob[i]
            if present[i]:
                new_day = v.day + int(rng.choice([-10, -1, 1, 10]))
                year = v.year + int(rng.choice([-10, -1, 1, 10])) if rng.random() < 0.5 else v.year
                try:
                    dob[i] = v.replace(year=year, day=new_day if year == v.year else v.day)
                    var[i].append("dob_typo")
                except ValueError:
                    pass
        for i in hit("placeholder_dob"):
            if present[i]:
                dob[i] = PLACEHOLDER_DOB.astype("datetime64[D]").astype(object)
                var[i].append("placeholder_dob")
        for i in hit("impossible"):
            if present[i]:
                later = int(day_abs[i]) + int(rng.integers(1, 400))
                dob[i] = np.int64(later).astype("datetime64[D]").astype(object)
                var[i].append("impossible_dob")
            elif age[i] is not None:
                age[i] = int(rng.integers(121, 200))
                var[i].append("impossible_age")
        dob_text = np.array([None if v is None else v.isoformat() for v in dob], dtype=object)
        return dob_text, np.array(age, dtype=object)

    def _rate(self, d: Drawn, name: str) -> np.ndarray:
        out: np.ndarray = np.array([getattr(s, name) for s in self.cfg.systems])[d.system]
        return out

    def _address(self, d: Drawn, p: Persons, homes: Homes, var: list[list[str]], hit: Any,
                 u: Any) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        hh = p.household[d.person]
        moved = d.day >= homes.move_day[hh]
        stale = moved & (u["stale_address"] < self._rate(d, "stale_address"))
        new = moved & ~stale
        address = np.where(new, homes.new_address[hh], homes.address[hh]).astype(object)
        postcode = np.where(new, homes.new_postcode[hh], homes.postcode[hh]).astype(object)
        for i in np.flatnonzero(new):
            var[i].append("moved")
        for i in np.flatnonzero(stale):
            var[i].append("stale_address")
        for i in hit("house_number_dropped"):
            address[i] = address[i].split(" ", 1)[1]
            var[i].append("address_partial")
        upper = np.array([s.case == "upper" for s in self.cfg.systems])[d.system]
        address = np.where(upper, [a.upper() for a in address], address).astype(object)
        address[u["address"] >= self._rate(d, "address")] = None
        postcode[u["postcode"] >= self._rate(d, "postcode")] = None
        return address, postcode

    def _phone(self, d: Drawn, p: Persons, homes: Homes, u: Any,
               rate: dict[str, np.ndarray]) -> np.ndarray:  # fmt: skip
        own = p.mobile[d.person]
        landline = homes.landline[p.household[d.person]]
        phone = np.where((own != "") & (u["which_phone"] < 0.75), own, landline).astype(object)
        phone[(phone == "") | (u["phone"] >= rate["phone"])] = None
        out: np.ndarray = phone
        return out
