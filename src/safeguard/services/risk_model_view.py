"""The risk model's advice as a practitioner sees it: per target, the latest incident (or
episode) of the person as victim or child, with its calibrated probability, its band, and the
history items that drove it in plain words, each linked to its record. Shown inside the profile
(``Profile.risk_model``, marked as risk summary, so the one projection governs who sees it, and
read under the profile's own audited consultation) and as a sortable band on the worklists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from safeguard.domain.risk.bands import BAND_ORDER
from safeguard.domain.risk.targets import Target
from safeguard.services import risk_model


@dataclass(frozen=True, slots=True)
class Driver:
    words: str
    contribution: float
    records: list[int] = field(default_factory=list)  # event ids


@dataclass(frozen=True, slots=True)
class Advice:
    target: str
    wording: str
    probability: float
    band: str
    event_id: int
    occurred_at: datetime
    role: str  # victim | suspect | child
    drivers: list[Driver] = field(default_factory=list)
    model_version: int | None = None

    @property
    def citation(self) -> str:
        """A sentence to cite on MARAC's professional-judgement route."""
        why = "; ".join(d.words for d in self.drivers) or "no single history item"
        return (
            f"Risk model v{self.model_version} (advisory): {self.probability:.0%} chance of "
            f"{self.wording} (band {self.band}), driven by: {why}."
        )


def advice_of(conn: Connection, person_key: str) -> list[Advice]:
    """The latest scored incident per target and role, highest band first."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for s in risk_model.scores_of(conn, person_key):
        role = "child" if s["target"] == "missing_repeat" else (
            "victim" if s["person_key"] == person_key else "suspect"
        )  # fmt: skip
        latest.setdefault((s["target"], role), s | {"role": role})
    out = [
        Advice(
            target=s["target"],
            wording=Target(s["target"]).wording,
            probability=float(s["probability"]),
            band=s["band"],
            event_id=int(s["event_id"]),
            occurred_at=s["occurred_at"],
            role=s["role"],
            drivers=[
                Driver(d["words"], float(d["contribution"]), [int(r) for r in d["records"]])
                for d in s["drivers"]
            ],
            model_version=s.get("model_version"),
        )
        for s in latest.values()
    ]
    return sorted(out, key=lambda a: (-BAND_ORDER.get(a.band, 0), a.target, a.role))
