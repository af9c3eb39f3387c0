"""The rules engine: ``evaluate(history, config, catalogue)`` -> findings and procedure checks.

Pure and deterministic: the history is put in a canonical order first and the output is sorted
by key, so the order in which records arrived never changes the answer. Clocks use the
configured :class:`~safeguard.domain.working_time.WorkingCalendar`.
"""

from __future__ import annotations

from safeguard.domain.assessments import Catalogue
from safeguard.domain.history import PersonHistory
from safeguard.rules import (
    checks_children,
    checks_consistency,
    checks_domestic_abuse,
    checks_risk_model,
    checks_victims,
)
from safeguard.rules.config import RulesConfig
from safeguard.rules.context import Context, score_all
from safeguard.rules.findings import Evaluation


def evaluate(history: PersonHistory, config: RulesConfig, catalogue: Catalogue) -> Evaluation:
    """Apply every rule to one person's history.

    Args:
        history: the person's facts, in any order.
        config: calendar and rule parameters.
        catalogue: the instruments assessments are scored with.

    Returns:
        Findings and procedure checks, sorted by key; identical for identical facts.
    """
    ctx = Context(history.normalised(), config, catalogue)
    score_all(ctx)
    checks_domestic_abuse.run(ctx)
    checks_children.run(ctx)
    checks_victims.run(ctx)
    checks_consistency.run(ctx)
    checks_risk_model.run(ctx)
    return Evaluation(
        person_key=history.person_key,
        findings=tuple(ctx.findings[k] for k in sorted(ctx.findings)),
        checks=tuple(ctx.checks[k] for k in sorted(ctx.checks)),
    )
