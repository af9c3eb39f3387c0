"""The partner agencies the simulated force refers to, as the registry should hold them: code,
display name, sector, and the names its records use (the referral recipients written by
``procedures``, ``domestic``, ``missing`` and ``crime``)."""

from __future__ import annotations

from safeguard.simulation import geography as geo
from safeguard.simulation import procedures as proc

# (code, display name, sector, other names the records use)
PARTNER_AGENCIES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "childrens-services",
        proc.CHILDRENS_SOCIAL_CARE,
        "children's social care",
        ("Children's Social Care", "Cumbria Children's Social Care"),
    ),
    ("marac", "Cumbria MARAC", "multi-agency", ()),
    ("idva", proc.IDVA, "victim services", ()),
    ("victim-support", proc.VICTIM_SUPPORT, "victim services", ()),
    ("sarc", proc.SARC, "health", ("The Bridgeway",)),
    ("cerar", "CERAR", "multi-agency", ()),
)


def partner_agencies() -> list[tuple[str, str, str, tuple[str, ...]]]:
    """Every partner of the simulated force, its schools included (Operation Encompass)."""
    out = list(PARTNER_AGENCIES)
    for town in geo.TOWNS:
        for name in (geo.school_name_of(town.name, 5), geo.school_name_of(town.name, 14)):
            code = "school-" + name.lower().replace(" ", "-")
            out.append((code, name, "education", ()))
    return out
