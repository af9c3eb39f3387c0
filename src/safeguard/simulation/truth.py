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

TRUTH_FILES: dict[str, list[str]] = {
    "mention_person.csv": ["source_system", "source_id", "person_key"],
    "people.csv": [
        "person_key",
        "forenames",
        "surname",
        "birth_surname",
        "dob",
        "sex",
        "household_key",
        "in_care",
        "area",
        "address",
        "postcode",
        "moved_on",
        "new_address",
        "new_postcode",
        "ethnicity",
        "pnc_id",
        "criminality",
        "mother_key",
        "father_key",
        "partner_key",
    ],
    "hard_negatives.csv": ["person_key_a", "person_key_b", "kind"],
    "outcomes.csv": [
        "event_source_id",
        "victim_person_key",
        "suspect_person_key",
        "relationship_key",
        "occurred_at",
        "escalating",
        "serious_harm",
        "repeat_within_12m",
        "p_repeat_12m",
        "serious_harm_within_12m",
        "p_serious_harm_12m",
        "followup_complete",
    ],
    "missing_outcomes.csv": [
        "missing_episode_source_id",
        "event_source_id",
        "person_key",
        "last_seen_at",
        "in_care",
        "repeat_within_90d",
        "p_repeat_90d",
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
- `outcomes.csv`: one row per recorded domestic abuse incident (by its event `source_id`): the
  true victim and suspect and their abusive relationship (the victim–suspect pair), whether it
  was an escalating relationship, whether the incident itself was serious harm
  (`serious_harm`: injury serious or fatal, or rape), and for the 12 months (365 days) after
  it: whether the same pair had another incident (`repeat_within_12m`) and a serious-harm
  incident (`serious_harm_within_12m`), each with the true probability it was drawn with
  (`p_repeat_12m`, `p_serious_harm_12m`); `followup_complete` is false when those 12 months
  run past the end of the period (the outcome is then censored).
- `missing_outcomes.csv`: one row per recorded missing episode of a child (under 18 when last
  seen): the episode and its event, the true child, `in_care`, whether the child went missing
  again within 90 days (`repeat_within_90d`) with its true probability (`p_repeat_90d`), and
  `followup_complete`.

How each probability is formed, and which factors the records do not show:
`docs/simulation.md` ("True risk").
"""


def truth_rows(rec: ChunkRecords, start: date) -> dict[str, dict[str, list[Any]]]:
    """The truth of one chunk, as columns, by truth file name."""
    pop = rec.pop
    n = len(pop)
    keys = [pop.key(i) for i in range(n)]

    def key(i: int) -> int | None:
        return pop.key(i) if i >= 0 else None

    def day(d: int) -> str:
        return (start + timedelta(days=d)).isoformat()

    people: dict[str, list[Any]] = {
        "person_key": keys,
        "forenames": [f"{f} {m}".strip() for f, m in zip(pop.forename, pop.middle, strict=True)],
        "surname": pop.surname,
        "birth_surname": pop.birth_surname,
        "dob": [day(d) for d in pop.dob],
        "sex": ["male" if s == 0 else "female" for s in pop.sex],
        "household_key": pop.household,
        "in_care": pop.in_care,
        "area": [geo.AREAS[geo.TOWNS[t].area] for t in pop.town],
        "address": pop.address,
        "postcode": pop.postcode,
        "moved_on": [day(d) if d >= 0 else None for d in pop.moved_day],
        "new_address": [a or None for a in pop.new_address],
        "new_postcode": [p or None for p in pop.new_postcode],
        "ethnicity": pop.ethnicity,
        "pnc_id": [p or None for p in pop.pnc],
        "criminality": [round(c, 4) for c in pop.criminality.tolist()],
        "mother_key": [key(i) for i in pop.mother],
        "father_key": [key(i) for i in pop.father],
        "partner_key": [key(i) for i in pop.partner],
    }
    negatives = pop.hard_negatives
    outcomes = rec.outcomes
    missing = rec.missing_outcomes
    return {
        "mention_person.csv": {
            "source_system": [s for s, _, _ in rec.truth_mentions],
            "source_id": [i for _, i, _ in rec.truth_mentions],
            "person_key": [k for _, _, k in rec.truth_mentions],
        },
        "people.csv": people,
        "hard_negatives.csv": {
            "person_key_a": [pop.key(a) for a, _, _ in negatives],
            "person_key_b": [pop.key(b) for _, b, _ in negatives],
            "kind": [k for _, _, k in negatives],
        },
        "outcomes.csv": {h: [o[h] for o in outcomes] for h in TRUTH_FILES["outcomes.csv"]},
        "missing_outcomes.csv": {
            h: [o[h] for o in missing] for h in TRUTH_FILES["missing_outcomes.csv"]
        },
    }


def write_readme(path: Path, config: SimulationConfig) -> None:
    path.write_text(
        README.format(
            population=config.population, start=config.start, end=config.end, seed=config.seed
        ),
        encoding="utf-8",
    )
