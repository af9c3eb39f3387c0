"""Addresses, postcodes and phone numbers of households (made up; vectorised).

An address id fixes the address: about ``households_per_postcode`` households share a postcode
unit, eight units a street, as neighbours do in the extracts (a real unit holds about 15
delivery points, of which a few appear in police records).
"""

from __future__ import annotations

import numpy as np

from safeguard.simulation.extracts.config import ExtractConfig

# fmt: off
_STEMS = ("Ash", "Beech", "Birch", "Bridge", "Brook", "Castle", "Cedar", "Chapel", "Church",
          "Clifton", "Elm", "Fern", "Field", "Forest", "Garden", "Glebe", "Grange", "Hawthorn",
          "Hazel", "Heath", "Highfield", "Hill", "Holly", "Kings", "Lark", "Laurel", "Manor",
          "Maple", "Meadow", "Mill", "Moor", "Oak", "Orchard", "Park", "Priory", "Queens",
          "Rectory", "Rose", "School", "Spring", "Station", "Valley", "Victoria", "West",
          "Willow", "Windsor", "York", "Albert", "Cross", "Dale", "Fountain", "Grove", "Hollin",
          "Low", "Marsh", "New", "North", "Pinfold", "Tannery", "Well")
_KINDS = ("Road", "Street", "Lane", "Avenue", "Close", "Drive", "Grove", "Terrace", "Crescent",
          "Way", "Gardens", "Court", "View", "Place", "Mount", "Walk")
_TOWNS = ("Leeds", "Bradford", "Wakefield", "Halifax", "Huddersfield", "Dewsbury", "Keighley",
          "Batley", "Castleford", "Pontefract", "Brighouse", "Morley", "Pudsey", "Shipley",
          "Ossett", "Todmorden", "Holmfirth", "Otley", "Ilkley", "Garforth")
_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
# fmt: on

UNITS_PER_STREET = 8


def addresses(ids: np.ndarray, cfg: ExtractConfig) -> tuple[np.ndarray, np.ndarray]:
    """(address, postcode) text for each address id."""
    per = max(1, round(cfg.population.households_per_postcode))
    unit = ids // per
    street = unit // UNITS_PER_STREET
    number = (ids % (per * UNITS_PER_STREET)) * 2 + 1 + (street % 3)
    stem = np.array(_STEMS, dtype=object)[street % len(_STEMS)]
    kind = np.array(_KINDS, dtype=object)[(street // len(_STEMS)) % len(_KINDS)]
    town = np.array(_TOWNS, dtype=object)[(street // 7) % len(_TOWNS)]
    area = np.array(cfg.area_codes, dtype=object)[(street // 50) % len(cfg.area_codes)]
    rest = unit
    district = (rest % 40 + 1).astype(str).astype(object)
    sector = ((rest // 40) % 10).astype(str).astype(object)
    u = (rest // 400) % 400
    letters = _LETTERS[u // 20].astype(object) + _LETTERS[u % 20].astype(object)
    postcode = area + district + " " + sector + letters
    address = number.astype(str).astype(object) + " " + stem + " " + kind + ", " + town
    return address, postcode


def phone_numbers(rng: np.random.Generator, n: int, mobile: bool) -> np.ndarray:
    """UK-style numbers: mobiles 07xxx xxxxxx, landlines 01xxx xxxxxx (drawn at random)."""
    lead = "07" if mobile else "01"
    digits = rng.integers(0, 10**9, n)
    return np.array([f"{lead}{d:09d}" for d in digits.tolist()], dtype=object)


def pnc_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """Police National Computer ids: year of first arrest / serial + check letter."""
    years = rng.integers(0, 26, n)
    serial = rng.integers(0, 10**7, n)
    check = rng.integers(0, 26, n)
    return np.array(
        [f"{y:02d}/{s:07d}{chr(65 + c)}" for y, s, c in zip(years, serial, check, strict=True)],
        dtype=object,
    )
