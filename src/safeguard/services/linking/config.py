"""How linking runs: the force's thresholds and guards (``force_policy``, the ``linking:``
section of its settings file) and a run's configuration (``LinkConfig``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from safeguard.domain.linking_policy import LinkingPolicy
from safeguard.rules import load_rules_config

Backend = Literal["duckdb", "spark"]


_POLICY = LinkingPolicy()  # the defaults, defined once in the domain


@dataclass(frozen=True, slots=True)
class LinkConfig:
    """How linking runs; thresholds are force policy, not code (``for_force``).

    Args:
        store_dir: where the feature store for deltas and ``link_one`` lives.
        match_threshold: pairs at or above this probability are the same person.
        review_from: uncertain pairs from this probability up go to the review queue.
        review_limit: at most this many open review items per run (highest priority first).
        backend: ``duckdb`` (one machine) or ``spark`` (a cluster, or local mode).
        retrain: train a new model even if one is saved.
        memory_limit: DuckDB's memory limit; it spills to disk beyond it.
        earliest_birth: dates of birth before this are impossible (unlinkable).
        guards_off: guards turned off by name (``domain.linking_policy.GUARD_NAMES``), to
            measure what each is worth; every guard is on by default.
        hold_ambiguous: hold on its own (and queue for review) a mention that links about as
            strongly to a person the guards keep apart from its own as to its own (off by
            default: measured, it costs more recall than it gains precision; docs/linking.md).

    The policy fields (thresholds, guards, earliest birth) are checked as ``LinkingPolicy``
    checks them: ``ValidationFailed`` names the field.
    """

    store_dir: Path
    match_threshold: float = _POLICY.match_threshold
    review_from: float = _POLICY.review_from
    review_limit: int = _POLICY.review_limit
    backend: Backend = "duckdb"
    retrain: bool = False
    memory_limit: str = "3GB"
    earliest_birth: date = _POLICY.earliest_birth
    spark_master: str = "local[2]"
    guards_off: frozenset[str] = _POLICY.guards_off
    hold_ambiguous: bool = _POLICY.hold_ambiguous

    def __post_init__(self) -> None:
        _ = self.policy  # ValidationFailed names a bad threshold, limit or guard

    @property
    def store_path(self) -> Path:
        return self.store_dir / "mentions.duckdb"

    @property
    def policy(self) -> LinkingPolicy:
        return LinkingPolicy(
            match_threshold=self.match_threshold,
            review_from=self.review_from,
            review_limit=self.review_limit,
            guards_off=self.guards_off,
            hold_ambiguous=self.hold_ambiguous,
            earliest_birth=self.earliest_birth,
        )

    @classmethod
    def for_force(
        cls, store_dir: Path, policy: LinkingPolicy | None = None, **overrides: Any
    ) -> LinkConfig:
        """The force's policy (``force_policy()`` unless given), with ``overrides`` (a command's
        options: any ``LinkConfig`` field) on top; a None override keeps the policy's value."""
        policy = policy if policy is not None else force_policy()
        values = asdict(policy) | {k: v for k, v in overrides.items() if v is not None}
        return cls(store_dir=store_dir, **values)


def force_policy(settings_file: Path | None = None) -> LinkingPolicy:
    """The ``linking:`` section of the force's settings file (``SAFEGUARD_RULES_CONFIG`` unless
    given), validated with the whole file: a bad file is refused (``ValidationFailed`` names the
    file and the key), never half used. No file: the defaults."""
    if settings_file is None:
        from safeguard.services.assessment import AssessmentSettings

        settings_file = AssessmentSettings().rules_config
    return load_rules_config(settings_file).linking
