"""Load the interchange JSON Schema files and describe each record type's fields.

The JSON Schema files are the single source of truth: the storage tables, the ingest validator,
``docs/schema.md`` and the simulator all read them through this module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

SCHEMA_VERSION = "1"
SUPPORTED_VERSIONS = ("1",)
COMMON_FIELDS = ("record_type", "schema_version", "source_system", "source_id", "recorded_at")

FieldKind = Literal["string", "date", "date-time", "integer", "boolean", "array", "object", "ref"]

TABLE_NAMES: dict[str, str] = {
    "location": "locations",
    "person_mention": "person_mentions",
    "object": "objects",
    "event": "events",
    "involvement": "involvements",
    "risk_assessment": "risk_assessments",
    "referral": "referrals",
    "referral_status": "referral_status_changes",
    "missing_episode": "missing_episodes",
    "victim_contact": "victim_contacts",
    "satisfaction_response": "satisfaction_responses",
}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a record type, as the schema defines it."""

    name: str
    kind: FieldKind
    required: bool
    description: str
    max_length: int | None = None
    enum: tuple[str, ...] | None = None
    item_enum: tuple[str, ...] | None = None
    item_max_length: int | None = None
    max_items: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    pattern: str | None = None
    ref_target: str | None = None

    @property
    def column(self) -> str:
        """Storage column name: references become ``<name>_id`` integer keys."""
        if self.kind == "ref":
            return self.name.removesuffix("_ref") + "_id"
        return self.name


@dataclass(frozen=True, slots=True)
class RecordSpec:
    """One record type: its fields (without the common identity fields) and its table."""

    record_type: str
    description: str
    fields: tuple[FieldSpec, ...]
    schema: dict[str, Any]

    @property
    def table_name(self) -> str:
        return TABLE_NAMES[self.record_type]

    @property
    def refs(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.kind == "ref")

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


def _field(name: str, prop: dict[str, Any], required: bool) -> FieldSpec:
    kind: FieldKind
    if "x-ref" in prop:
        kind = "ref"
    elif prop.get("type") == "string" and prop.get("format") in ("date", "date-time"):
        kind = prop["format"]
    elif prop.get("const") is not None:
        kind = "string"
    else:
        kind = prop["type"]
    items = prop.get("items", {})
    return FieldSpec(
        name=name,
        kind=kind,
        required=required,
        description=prop.get("description", ""),
        max_length=prop.get("maxLength"),
        enum=tuple(prop["enum"]) if "enum" in prop else None,
        item_enum=tuple(items["enum"]) if "enum" in items else None,
        item_max_length=items.get("maxLength"),
        max_items=prop.get("maxItems"),
        minimum=prop.get("minimum"),
        maximum=prop.get("maximum"),
        pattern=prop.get("pattern"),
        ref_target=prop.get("x-ref"),
    )


def _load_json(version: str, name: str) -> dict[str, Any]:
    path = resources.files("safeguard.schemas").joinpath(f"v{version}", name)
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@cache
def record_types(version: str = SCHEMA_VERSION) -> tuple[str, ...]:
    """Record types in dependency order (a type only refers to types before it)."""
    manifest = _load_json(version, "manifest.json")
    return tuple(manifest["record_types"])


@cache
def record_spec(record_type: str, version: str = SCHEMA_VERSION) -> RecordSpec:
    """The spec of one record type; KeyError when unknown."""
    if record_type not in record_types(version):
        raise KeyError(record_type)
    schema = _load_json(version, f"{record_type}.schema.json")
    required = set(schema["required"])
    fields = tuple(
        _field(name, prop, name in required)
        for name, prop in schema["properties"].items()
        if name not in COMMON_FIELDS
    )
    return RecordSpec(record_type, schema.get("description", ""), fields, schema)


def all_specs(version: str = SCHEMA_VERSION) -> tuple[RecordSpec, ...]:
    """Every record type's spec, in dependency order."""
    return tuple(record_spec(t, version) for t in record_types(version))
