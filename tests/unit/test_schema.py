"""The interchange schema: valid JSON Schema, in step with the domain vocabulary and the docs."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from safeguard.domain import vocabulary as v
from safeguard.interchange.docs import render_markdown
from safeguard.interchange.schema import all_specs, record_spec, record_types

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("record_type", record_types())
def test_every_schema_file_is_valid_json_schema(record_type: str) -> None:
    jsonschema.Draft202012Validator.check_schema(record_spec(record_type).schema)


@pytest.mark.parametrize(
    ("record_type", "field", "enum"),
    [
        ("event", "event_type", v.EventType),
        ("involvement", "role", v.InvolvementRole),
        ("referral", "referral_type", v.ReferralType),
        ("referral", "route", v.MaracRoute),
        ("referral", "rag", v.Rag),
        ("referral_status", "status", v.ReferralStatus),
        ("missing_episode", "risk_grade", v.MissingRiskGrade),
        ("victim_contact", "trigger", v.VictimContactTrigger),
        ("satisfaction_response", "overall", v.Satisfaction),
    ],
)
def test_the_domain_vocabulary_matches_the_schema(record_type: str, field: str, enum: type) -> None:
    spec = next(f for f in record_spec(record_type).fields if f.name == field)
    assert spec.enum == tuple(e.value for e in enum)  # type: ignore[attr-defined]


def test_references_only_point_backwards_in_dependency_order() -> None:
    order = {t: i for i, t in enumerate(record_types())}
    for spec in all_specs():
        for ref in spec.refs:
            assert ref.ref_target is not None
            assert order[ref.ref_target] < order[spec.record_type], (spec.record_type, ref.name)


def test_the_schema_document_is_up_to_date() -> None:
    assert (ROOT / "docs" / "schema.md").read_text() == render_markdown(), (
        "run `safeguard schema markdown > docs/schema.md`"
    )


def test_the_schema_names_every_record_type_the_brief_asks_for() -> None:
    assert set(record_types()) >= {
        "person_mention",
        "location",
        "object",
        "event",
        "involvement",
        "risk_assessment",
        "referral",
        "referral_status",
        "missing_episode",
        "victim_contact",
        "satisfaction_response",
    }
