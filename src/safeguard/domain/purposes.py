"""Why a person's record is consulted, opened behind break glass or shared: the s.62(2)
justification, chosen from a controlled list with a reference where the purpose needs one.

``PURPOSES`` is the list (data, like the rules' ``RULES``); ``justify`` turns what a form or an
API call sent into a ``Justification`` or says exactly what is wrong. Nothing is ever chosen for
the user: a missing purpose is an error, not a default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from safeguard.errors import ValidationFailed


class Use(StrEnum):
    """What a justification is given for."""

    CONSULT = "consult"  # search, profile, event
    BREAK_GLASS = "break_glass"  # open a restricted person
    SHARE = "share"  # disclose to a partner agency


@dataclass(frozen=True, slots=True)
class Purpose:
    """One purpose of the controlled list.

    Args:
        code: stable identifier, stored with every grant, share and audit entry.
        label: what the user reads.
        reference: what the reference is (e.g. "incident number"), ``None`` when none is needed.
        uses: what the purpose may justify.
    """

    code: str
    label: str
    reference: str | None
    uses: frozenset[Use]


_ALL = frozenset(Use)
_NO_SHARE = frozenset({Use.CONSULT, Use.BREAK_GLASS})

PURPOSES: tuple[Purpose, ...] = (
    Purpose("incident_response", "Responding to an incident", "incident number", _NO_SHARE),
    Purpose("investigation", "Criminal investigation", "crime or case number", _ALL),
    Purpose(
        "safeguarding_referral",
        "Safeguarding referral or assessment",
        "referral or MASH contact number",
        _ALL,
    ),
    Purpose("marac_preparation", "MARAC preparation", "MARAC case or meeting reference", _ALL),
    Purpose("missing_enquiry", "Missing person enquiry", "missing person report number", _NO_SHARE),
    Purpose("supervision_qa", "Supervision and quality assurance", None, _NO_SHARE),
    Purpose(
        "disclosure",
        "Disclosure (DVDS, court, subject access)",
        "application or request number",
        _ALL,
    ),
    Purpose("worklist_action", "Acting on a worklist item", None, frozenset({Use.CONSULT})),
)
BY_CODE = {p.code: p for p in PURPOSES}
REFERENCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 /._:-]{1,39}$")


@dataclass(frozen=True, slots=True)
class Justification:
    """A chosen purpose and its reference: what the audit log records as "why"."""

    purpose: Purpose
    reference: str | None = None

    @property
    def text(self) -> str:
        if self.reference:
            return f"{self.purpose.label} (ref {self.reference})"
        return self.purpose.label

    def detail(self) -> dict[str, object]:
        return {"purpose": self.purpose.code, "reference": self.reference}


def purposes_for(use: Use) -> list[Purpose]:
    return [p for p in PURPOSES if use in p.uses]


def justify(purpose: str | None, reference: str | None, *, use: Use) -> Justification:
    """Check a purpose code and reference sent by a form or API call.

    Raises:
        ValidationFailed: no purpose, an unknown one, one not for ``use``, a reference missing
            where the purpose needs one, or a malformed reference (the message names the field).

    Examples:
        >>> justify("investigation", "CU/2026/1234", use=Use.CONSULT).text
        'Criminal investigation (ref CU/2026/1234)'
    """
    code = (purpose or "").strip()
    if not code:
        raise ValidationFailed("purpose: choose why you need this record")
    chosen = BY_CODE.get(code)
    if chosen is None:
        known = ", ".join(p.code for p in PURPOSES)
        raise ValidationFailed(f"purpose: {code[:40]!r} is not one of {known}")
    if use not in chosen.uses:
        allowed = ", ".join(p.code for p in purposes_for(use))
        raise ValidationFailed(
            f"purpose: {chosen.label!r} cannot justify {use.value.replace('_', ' ')}; "
            f"choose one of {allowed}"
        )
    ref = (reference or "").strip() or None
    if ref is not None and not REFERENCE_RE.fullmatch(ref):
        raise ValidationFailed(
            "reference: 2 to 40 letters, digits, spaces or / . _ : - (for example CU/2026/1234)"
        )
    if chosen.reference is not None and ref is None:
        raise ValidationFailed(f"reference: {chosen.label} needs the {chosen.reference}")
    return Justification(chosen, ref)
