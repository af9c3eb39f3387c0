"""Areas, towns, synthetic addresses and postcodes, teams and officers of the simulated force.

Three policing areas (North, West, South) with towns shaped like Cumbria's; every postcode and
address is made up (a real postcode district with a random inward code), so nothing identifies a
real household.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from safeguard.simulation.names import STREETS

AREAS: tuple[str, ...] = ("North", "West", "South")
AREA_WEIGHTS = np.array([0.38, 0.27, 0.35])


@dataclass(frozen=True, slots=True)
class Town:
    name: str
    area: int
    district: str
    easting: int
    northing: int
    weight: float


TOWNS: tuple[Town, ...] = (
    Town("Carlisle", 0, "CA2", 340000, 555000, 0.55),
    Town("Penrith", 0, "CA11", 351000, 530000, 0.2),
    Town("Wigton", 0, "CA7", 325000, 548000, 0.1),
    Town("Keswick", 0, "CA12", 326000, 523000, 0.08),
    Town("Brampton", 0, "CA8", 353000, 561000, 0.07),
    Town("Workington", 1, "CA14", 300000, 528000, 0.35),
    Town("Whitehaven", 1, "CA28", 297000, 518000, 0.35),
    Town("Maryport", 1, "CA15", 303000, 536000, 0.12),
    Town("Cockermouth", 1, "CA13", 312000, 530000, 0.1),
    Town("Egremont", 1, "CA22", 301000, 510000, 0.08),
    Town("Barrow-in-Furness", 2, "LA14", 320000, 469000, 0.4),
    Town("Kendal", 2, "LA9", 351000, 492000, 0.3),
    Town("Ulverston", 2, "LA12", 328000, 478000, 0.12),
    Town("Windermere", 2, "LA23", 341000, 498000, 0.1),
    Town("Grange-over-Sands", 2, "LA11", 341000, 477000, 0.08),
)

_INWARD_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))

#: Teams per area; the MASH and the MARAC coordinator are force-wide.
TEAM_KINDS: tuple[str, ...] = ("Response", "Neighbourhood", "CID", "Public Protection Unit")
FORCE_TEAMS: tuple[str, ...] = ("MASH", "Missing Persons Unit", "Control Room")
OFFICERS_PER_TEAM = 25


def town_weights() -> np.ndarray:
    """Probability of living in each town (area share x town share within the area)."""
    w = np.array([AREA_WEIGHTS[t.area] * t.weight for t in TOWNS])
    out: np.ndarray = w / w.sum()
    return out


def team_name(area: int, kind: str) -> str:
    return f"{AREAS[area]} {kind}"


def officer_id(team_index: int, n: int) -> str:
    """Stable staff id: team block of 100 plus the officer's number."""
    return f"P{1000 + team_index * 100 + n}"


def team_index(area: int, kind: str) -> int:
    if kind in FORCE_TEAMS:
        return len(AREAS) * len(TEAM_KINDS) + FORCE_TEAMS.index(kind)
    return area * len(TEAM_KINDS) + TEAM_KINDS.index(kind)


def addresses(
    rng: np.random.Generator, towns: np.ndarray
) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """Synthetic (address, postcode, easting, northing) for households in ``towns``."""
    n = len(towns)
    numbers = rng.integers(1, 180, size=n)
    streets = rng.integers(0, len(STREETS), size=n)
    sector = rng.integers(1, 10, size=n)
    letters = _INWARD_LETTERS[rng.integers(0, len(_INWARD_LETTERS), size=(n, 2))]
    de = rng.normal(0, 2500, size=n).astype(np.int64)
    dn = rng.normal(0, 2500, size=n).astype(np.int64)
    addr: list[str] = []
    post: list[str] = []
    east = np.empty(n, dtype=np.int64)
    north = np.empty(n, dtype=np.int64)
    for i, t in enumerate(towns.tolist()):
        town = TOWNS[int(t)]
        addr.append(f"{numbers[i]} {STREETS[streets[i]]}, {town.name}")
        post.append(f"{town.district} {sector[i]}{letters[i, 0]}{letters[i, 1]}")
        east[i] = town.easting + de[i]
        north[i] = town.northing + dn[i]
    return addr, post, east, north


def school_name(town: int, age: int) -> str:
    """The school a child of ``age`` in ``town`` attends (primary under 11, else secondary)."""
    return school_name_of(TOWNS[town].name, age)


def school_name_of(town_name: str, age: int) -> str:
    return f"{town_name} Primary School" if age < 11 else f"{town_name} Academy"
