"""Rule thresholds as configuration: package defaults (``rules.yaml``) overlaid by a force file."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from safeguard.domain.clocks import Clocks
from safeguard.domain.linking_policy import LinkingPolicy, parse_linking_policy
from safeguard.domain.local_time import LocalTime
from safeguard.domain.working_time import WorkingCalendar
from safeguard.errors import ValidationFailed
from safeguard.rules.rules import RULES_BY_ID
from safeguard.rules.school_calendar import Closure, load_closures

Param = int | float | bool


@dataclass(frozen=True, slots=True)
class RulesConfig:
    """The calendar, every rule's parameters and the linking policy, validated."""

    calendar: WorkingCalendar
    params: Mapping[str, Mapping[str, Param]]
    fingerprints: Mapping[str, str] = field(default_factory=dict)
    versions: Mapping[str, str] = field(default_factory=dict)
    clocks: Clocks = field(default_factory=Clocks)
    local_time: LocalTime = field(default_factory=LocalTime)
    linking: LinkingPolicy = field(default_factory=LinkingPolicy)

    def __post_init__(self) -> None:
        object.__setattr__(self, "local_time", LocalTime(self.calendar.timezone))
        prints = {
            rule_id: _fingerprint(params, self.calendar) for rule_id, params in self.params.items()
        }
        object.__setattr__(self, "fingerprints", prints)
        versions = {r: f"{RULES_BY_ID[r].version}.{fp}" for r, fp in prints.items()}
        object.__setattr__(self, "versions", versions)
        object.__setattr__(self, "clocks", clocks_of(self.params))

    def of(self, rule_id: str) -> Mapping[str, Param]:
        return self.params[rule_id]

    def fingerprint(self, rule_id: str) -> str:
        """A short hash of a rule's parameters and the calendar (part of the rule version)."""
        return self.fingerprints[rule_id]


def clocks_of(params: Mapping[str, Mapping[str, Param]]) -> Clocks:
    """The clocks and thresholds the board shares with the rules, from the rules' parameters."""

    def n(rule: str, name: str) -> int:
        return int(params[rule][name])

    mash = params["MASH-RAG-DECISION"]
    return Clocks(
        rhi_hours=float(params["MISSING-RHI-OFFERED"]["due_hours"]),
        rhi_working_hours=bool(params["MISSING-RHI-OFFERED"]["working_hours"]),
        rhi_max_age=n("MISSING-RHI-OFFERED", "max_age"),
        mash_working_hours={
            rag: float(mash[f"{rag}_working_hours"]) for rag in ("red", "amber", "green")
        },
        right6_standard_working_days=n("VC-RIGHT6-UPDATE", "standard_working_days"),
        right6_enhanced_working_days=n("VC-RIGHT6-UPDATE", "enhanced_working_days"),
        persistent_min_crimes=n("VC-RIGHT6-UPDATE", "persistent_min_crimes"),
        persistent_window_days=n("VC-RIGHT6-UPDATE", "persistent_window_days"),
        repeat_da_min_incidents=n("DA-REPEAT-VICTIM", "min_incidents"),
        repeat_da_window_days=n("DA-REPEAT-VICTIM", "window_days"),
        repeat_hate_min_incidents=n("HATE-REPEAT-VICTIM", "min_incidents"),
        repeat_hate_window_days=n("HATE-REPEAT-VICTIM", "window_days"),
        repeat_missing_min_episodes=n("MISSING-REPEAT", "min_episodes"),
        repeat_missing_window_days=n("MISSING-REPEAT", "window_days"),
        marac_repeat_window_days=n("MARAC-REPEAT", "window_days"),
        strategy_working_days=n("MASH-STRATEGY-DISCUSSION", "due_working_days"),
    )


def _fingerprint(params: Mapping[str, Param], calendar: WorkingCalendar) -> str:
    body = json.dumps({"p": dict(params), "c": repr(calendar)}, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()[:8]


def _defaults_text() -> str:
    return resources.files(__package__).joinpath("rules.yaml").read_text(encoding="utf-8")


def _time(value: Any, where: str) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed(f"{where}: expected a time HH:MM, got {value!r}") from None


def _merge(base: dict[str, Any], override: Mapping[str, Any], origin: str) -> dict[str, Any]:
    merged = {"calendar": dict(base.get("calendar") or {}), "rules": {}}
    merged["rules"] = {k: dict(v or {}) for k, v in (base.get("rules") or {}).items()}
    for key, value in (override.get("calendar") or {}).items():
        if key not in merged["calendar"]:
            raise ValidationFailed(f"{origin}: calendar.{key} is not a calendar setting")
        merged["calendar"][key] = value
    for rule_id, params in (override.get("rules") or {}).items():
        if rule_id not in merged["rules"]:
            raise ValidationFailed(f"{origin}: rules.{rule_id} is not a known rule")
        for name, value in (params or {}).items():
            current = merged["rules"][rule_id]
            if name not in current:
                raise ValidationFailed(f"{origin}: rules.{rule_id}.{name} is not a parameter")
            if type(value) is not type(current[name]) and not (
                isinstance(value, int | float)
                and isinstance(current[name], float)
                and not isinstance(value, bool)
            ):
                raise ValidationFailed(
                    f"{origin}: rules.{rule_id}.{name} must be {type(current[name]).__name__}, "
                    f"got {value!r}"
                )
            if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
                raise ValidationFailed(f"{origin}: rules.{rule_id}.{name} must not be negative")
            current[name] = value
    unknown = set(override) - {"calendar", "rules", "linking"}
    if unknown:
        raise ValidationFailed(f"{origin}: unknown top-level keys {sorted(unknown)}")
    return merged


def _closures(value: Any, base_dir: Path | None, origin: str) -> tuple[Closure, ...]:
    if value is None or value == "":
        return ()
    if not isinstance(value, str):
        raise ValidationFailed(f"{origin}: calendar.school_closures must be a file path")
    path = Path(value)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return load_closures(path)


def _areas(value: Any, origin: str) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValidationFailed(f"{origin}: calendar.area_authorities maps area to authority")
    return tuple(sorted(value.items()))


def parse_rules_config(
    override: Mapping[str, Any] | None = None, origin: str = "", base_dir: Path | None = None
) -> RulesConfig:
    """Defaults overlaid by ``override`` (a parsed mapping); errors name ``origin`` and the key.
    ``base_dir``: where relative file paths in the settings (the school calendar) are found."""
    base: dict[str, Any] = yaml.safe_load(_defaults_text())
    where = origin or "rules config"
    merged = _merge(base, override or {}, where)
    cal = merged["calendar"]
    closures = _closures(cal.get("school_closures"), base_dir, where)
    try:
        LocalTime(str(cal["timezone"]))
        calendar = WorkingCalendar(
            region=str(cal["region"]),
            timezone=str(cal["timezone"]),
            day_start=_time(cal["day_start"], "calendar.day_start"),
            day_end=_time(cal["day_end"], "calendar.day_end"),
            school_day_start=_time(cal["school_day_start"], "calendar.school_day_start"),
            school_closures=closures,
            local_authority=str(cal.get("local_authority") or "*"),
            area_authorities=_areas(cal.get("area_authorities"), where),
        )
    except ValueError as exc:
        raise ValidationFailed(f"{where}: calendar: {exc}") from None
    linking = parse_linking_policy((override or {}).get("linking"), where)
    return RulesConfig(calendar=calendar, params=merged["rules"], linking=linking)


def load_rules_config(path: Path | None = None) -> RulesConfig:
    """The package defaults, overlaid by the YAML file at ``path`` when given."""
    if path is None:
        return parse_rules_config()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ValidationFailed(f"{path}: cannot read rules config ({exc})") from None
    if not isinstance(data, Mapping):
        raise ValidationFailed(f"{path}: a rules config must be a mapping")
    return parse_rules_config(data, str(path), path.parent)
