"""The force's linking policy: the `linking:` section of its settings file, validated whole."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from safeguard.adapters.linkage.guards import GUARDS
from safeguard.domain.linking_policy import GUARD_NAMES, LinkingPolicy, parse_linking_policy
from safeguard.errors import ValidationFailed
from safeguard.rules import load_rules_config, parse_rules_config
from safeguard.services.linking.config import LinkConfig, force_policy


def test_no_section_gives_the_defaults_that_link_config_uses() -> None:
    policy = parse_linking_policy(None, "force.yaml")
    assert policy == LinkingPolicy()
    assert LinkConfig(store_dir=Path("x")).policy == policy
    assert parse_rules_config().linking == policy


def test_a_full_section_is_read() -> None:
    policy = parse_linking_policy(
        {
            "match_threshold": 0.97,
            "review_from": 0.6,
            "review_limit": 200,
            "guards_off": ["siblings", "look_alike"],
            "hold_ambiguous": True,
            "earliest_birth": date(1905, 1, 1),
        },
        "force.yaml",
    )
    assert policy == LinkingPolicy(
        match_threshold=0.97,
        review_from=0.6,
        review_limit=200,
        guards_off=frozenset({"siblings", "look_alike"}),
        hold_ambiguous=True,
        earliest_birth=date(1905, 1, 1),
    )
    assert parse_linking_policy({"earliest_birth": "1910-02-03"}, "f").earliest_birth == date(
        1910, 2, 3
    )
    assert parse_linking_policy({"match_threshold": 1}, "f").match_threshold == 1


@pytest.mark.parametrize(
    ("section", "field", "words"),
    [
        ({"match_threshold": 1.5}, "match_threshold", "at most 1"),
        ({"match_threshold": 0}, "match_threshold", "above 0"),
        ({"match_threshold": "high"}, "match_threshold", "a number"),
        ({"match_threshold": True}, "match_threshold", "a number"),
        ({"review_from": 0.96}, "review_from", "below match_threshold"),
        ({"review_from": 0.95}, "review_from", "below match_threshold"),
        ({"review_from": 0.0}, "review_from", "above 0"),
        ({"match_threshold": 0.4}, "review_from", "below match_threshold (0.4)"),
        ({"review_limit": -1}, "review_limit", "0 to"),
        ({"review_limit": 2.5}, "review_limit", "whole number"),
        ({"guards_off": ["twins", "nonsense"]}, "guards_off", "unknown guard nonsense"),
        ({"guards_off": "twins"}, "guards_off", "a list of guard names"),
        ({"guards_off": [1]}, "guards_off", "a list of guard names"),
        ({"hold_ambiguous": "yes"}, "hold_ambiguous", "true or false"),
        ({"earliest_birth": "1960-01-01"}, "earliest_birth", "from 1800-01-01 to 1950-01-01"),
        ({"earliest_birth": "long ago"}, "earliest_birth", "a date"),
        ({"threshold": 0.9}, "threshold", "is not a linking setting"),
    ],
)
def test_a_bad_value_is_refused_naming_the_file_and_the_key(
    section: dict[str, object], field: str, words: str
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        parse_linking_policy(section, "force.yaml")
    message = str(exc.value)
    assert message.startswith(f"force.yaml: linking.{field}")
    assert words in message


def test_the_section_must_be_a_mapping() -> None:
    with pytest.raises(ValidationFailed, match=r"force.yaml: linking must be a mapping"):
        parse_linking_policy([0.9], "force.yaml")


def test_the_force_settings_file_carries_the_linking_section(tmp_path: Path) -> None:
    path = tmp_path / "force.yaml"
    path.write_text(
        "rules:\n  MISSING-RHI-OFFERED:\n    due_hours: 48\n"
        "linking:\n  match_threshold: 0.99\n  guards_off: [siblings]\n",
        encoding="utf-8",
    )
    config = load_rules_config(path)
    assert config.linking.match_threshold == 0.99
    assert config.linking.guards_off == frozenset({"siblings"})
    assert config.clocks.rhi_hours == 48
    assert force_policy(path) == config.linking


def test_a_bad_linking_section_refuses_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "force.yaml"
    path.write_text(
        "rules:\n  MISSING-RHI-OFFERED:\n    due_hours: 48\nlinking:\n  review_from: 2\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationFailed) as exc:
        load_rules_config(path)
    assert str(exc.value).startswith(f"{path}: linking.review_from: ")
    with pytest.raises(ValidationFailed, match=r"linking\.review_from"):
        force_policy(path)


def test_unknown_top_level_keys_are_still_refused() -> None:
    with pytest.raises(ValidationFailed, match=r"unknown top-level keys \['linkage'\]"):
        parse_rules_config({"linkage": {}}, "force.yaml")


def test_command_options_override_the_force_policy_and_none_keeps_it() -> None:
    policy = LinkingPolicy(match_threshold=0.99, review_from=0.7, guards_off=frozenset({"twins"}))
    kept = LinkConfig.for_force(Path("s"), policy, match_threshold=None, guards_off=None)
    assert kept.policy == policy and kept.store_dir == Path("s")
    over = LinkConfig.for_force(
        Path("s"), policy, match_threshold=0.9, backend="spark", guards_off=frozenset()
    )
    assert over.match_threshold == 0.9 and over.review_from == 0.7
    assert over.guards_off == frozenset() and over.backend == "spark"
    with pytest.raises(ValidationFailed, match=r"linking\.review_from"):
        LinkConfig.for_force(Path("s"), policy, match_threshold=0.6)


def test_a_link_config_with_a_bad_threshold_cannot_be_built() -> None:
    with pytest.raises(ValidationFailed, match=r"linking\.match_threshold"):
        LinkConfig(store_dir=Path("s"), match_threshold=1.2)


def test_guard_names_are_defined_once() -> None:
    assert GUARDS is GUARD_NAMES


def test_every_guard_is_on_unless_a_force_turns_it_off(tmp_path: Path) -> None:
    assert LinkingPolicy().guards_off == frozenset()
    assert LinkConfig(store_dir=tmp_path).guards_off == LinkingPolicy().guards_off
    path = tmp_path / "force.yaml"
    path.write_text("linking:\n  guards_off: [firm_forenames]\n", encoding="utf-8")
    assert load_rules_config(path).linking.guards_off == frozenset({"firm_forenames"})
