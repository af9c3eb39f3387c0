"""Truth files of generated extracts: who each mention is, the people, and household relations."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from safeguard.simulation.extracts.households import People
from safeguard.simulation.extracts.mentions import Homes, Persons
from safeguard.simulation.writer import TruthWriter

README = """# Ground truth of generated extracts (tests and bench/ only)

`safeguard simulate-extracts` (generator version {version}): {people:,} people, profile
`{profile}`, seed {seed}.

- `mention_person.csv`: `source_system,source_id,person_key,variations`: one row per
  `person_mention` in `../interchange/`: the real person, and the variations applied to this
  record (`;`-separated: typo, phonetic, nickname, known_as, known_by_middle, middle_name,
  initial, swapped, family_first, alias, transliteration, prefix_form, gendered_form,
  diacritics, surname_change, stale_surname, moved, stale_address, address_partial,
  dob_missing, age_only, age_off, dob_swapped, dob_typo, placeholder_dob, impossible_dob,
  impossible_age).
- `people.csv`: each person's true names, date of birth, sex, household, naming tradition,
  PNC id, alias and number of mentions.
- `relations.csv`: `person_key_a,person_key_b,relation,household_key`: every pair of people who
  share a household: `partner`, `parent_child`, `father_son_same_name` (a father and the son
  given his forename), `sibling`, `twin`.

How each habit is drawn and where its rate comes from: `docs/simulation.md` ("Realistic
extracts").
"""

MENTION_COLUMNS = ("source_system", "source_id", "person_key", "variations")
RELATION_COLUMNS = ("person_key_a", "person_key_b", "relation", "household_key")


class TruthFiles:
    def __init__(self, directory: Path) -> None:
        self.w = TruthWriter(directory)

    def write_chunk(self, p: Persons, people: People, homes: Homes, systems: np.ndarray,
                    sids: np.ndarray, variations: np.ndarray) -> None:  # fmt: skip
        person_of_mention = np.repeat(p.key, p.mentions)
        self.w.write_columns(
            "mention_person.csv",
            {
                "source_system": systems.tolist(),
                "source_id": sids.tolist(),
                "person_key": person_of_mention.tolist(),
                "variations": variations.tolist(),
            },
        )
        self.w.write_columns(
            "people.csv",
            {
                "person_key": p.key.tolist(),
                "household_key": homes.household_key[p.household].tolist(),
                "forename": p.forename.tolist(),
                "middle": p.middle.tolist(),
                "surname": p.surname.tolist(),
                "birth_surname": p.birth_surname.tolist(),
                "dob": p.dob.astype("datetime64[D]").astype(str).tolist(),
                "sex": np.where(p.female, "female", "male").tolist(),
                "tradition": p.tradition.tolist(),
                "pnc_id": p.pnc.tolist(),
                "alias": [
                    f"{a} {b}".strip()
                    for a, b in zip(p.alias_forename, p.alias_surname, strict=True)
                ],
                "mentions": p.mentions.tolist(),
            },
        )
        rel = people.relations
        self.w.write_columns(
            "relations.csv",
            {
                "person_key_a": [people.key[a] for a, _, _ in rel],
                "person_key_b": [people.key[b] for _, b, _ in rel],
                "relation": [k for _, _, k in rel],
                "household_key": [people.household[a] for a, _, _ in rel],
            },
        )

    def close(self) -> None:
        self.w.close()
