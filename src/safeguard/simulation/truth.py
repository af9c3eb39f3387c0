"""Ground truth files: who each mention really is, the true people, hard negatives, outcomes.

Only tests and ``bench/`` read these; the product never does.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from safeguard.simulation import geography as geo
from safeguard.simulation.config import SimulationConfig
from safeguard.simulation.records import ChunkRecords
from safeguard.simulation.writer import TruthWriter

TRUTH_FILES: dict[str, list[str]] = {
    "mention_person.csv": ["source_system", "source_id", "person_key"],
    "people.csv": [
        "person_key", "forenames", "surname", "birth_surname", "dob", "sex", "household_key",
        "in_care", "area", "address", "postcode", "moved_on", "new_address", "new_postcode",
        "ethnicity", "pnc_id", "criminality", "mother_key", "father_key", "partner_key",
    ],
    "hard_negatives.csv": ["person_key_a", "person_key_b", "kind"],
    "outcomes.csv": [
        "event_source_id", "victim_person_key", "suspect_person_key", "relationship_key",
        "occurred_at", "escalating", "repeat_within_12m", "serious_harm_within_12m",
        "followup_complete",
    ],
}

README = """# Ground truth (tests and bench/ only; the product never reads this folder)

Simulated force: {population:,} people, {start} to {end} (seed {seed}).

- `mention_person.csv`: `source_system,source_id,person_key`, one row per `person_mention`
  in `../interchange/`: the real person behind each (noisy) mention.
- `people.csv`: each simulated person's true attributes: names (`forenames` holds forename and
  any middle name; `birth_surname` differs from `surname` after a name change), `dob`, `sex`,
  `household_key`, `in_care`, `area`, `address`/`postcode` at the start and, for people who
  moved, `moved_on` with the new address; `ethnicity`, `pnc_id`, latent `criminality`, and the
  keys of mother, father and partner (empty when none).
- `hard_negatives.csv`: `person_key_a,person_key_b,kind`: different people who look alike:
  `twins` (same surname, address and date of birth), `siblings` (one address and surname),
  `father_son_same_name` (same forename and surname, one address).
- `outcomes.csv`: one row per domestic abuse incident (by its event `source_id`): the true
  victim and suspect, the abusive relationship, whether it was an escalating relationship,
  whether the same victim suffered another incident (`repeat_within_12m`) or serious or fatal
  harm (`serious_harm_within_12m`) in the 12 months after, and `followup_complete`: false
  when those 12 months run past the end of the period (the outcome is then censored).
"""


def write_truth(truth: TruthWriter, rec: ChunkRecords, start: date) -> None:
    pop = rec.pop
    truth.write(
        "mention_person.csv", TRUTH_FILES["mention_person.csv"],
        [{"source_system": s, "source_id": i, "person_key": k} for s, i, k in rec.truth_mentions],
    )

    def key(i: int) -> int | None:
        return pop.key(i) if i >= 0 else None

    people: list[dict[str, Any]] = []
    for i in range(len(pop)):
        moved = pop.moved_day[i] >= 0
        people.append({
            "person_key": pop.key(i),
            "forenames": f"{pop.forename[i]} {pop.middle[i]}".strip(),
            "surname": pop.surname[i], "birth_surname": pop.birth_surname[i],
            "dob": (start + timedelta(days=pop.dob[i])).isoformat(),
            "sex": "male" if pop.sex[i] == 0 else "female",
            "household_key": pop.household[i], "in_care": pop.in_care[i],
            "area": geo.AREAS[geo.TOWNS[pop.town[i]].area],
            "address": pop.address[i], "postcode": pop.postcode[i],
            "moved_on": (start + timedelta(days=pop.moved_day[i])).isoformat() if moved else None,
            "new_address": pop.new_address[i] or None, "new_postcode": pop.new_postcode[i] or None,
            "ethnicity": pop.ethnicity[i], "pnc_id": pop.pnc[i] or None,
            "criminality": round(float(pop.criminality[i]), 4),
            "mother_key": key(pop.mother[i]), "father_key": key(pop.father[i]),
            "partner_key": key(pop.partner[i]),
        })
    truth.write("people.csv", TRUTH_FILES["people.csv"], people)
    truth.write(
        "hard_negatives.csv", TRUTH_FILES["hard_negatives.csv"],
        [{"person_key_a": pop.key(a), "person_key_b": pop.key(b), "kind": k}
         for a, b, k in pop.hard_negatives],
    )
    truth.write("outcomes.csv", TRUTH_FILES["outcomes.csv"], rec.outcomes)


def write_readme(path: Path, config: SimulationConfig) -> None:
    path.write_text(
        README.format(population=config.population, start=config.start, end=config.end,
                      seed=config.seed),
        encoding="utf-8",
    )
