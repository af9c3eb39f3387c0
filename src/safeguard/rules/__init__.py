"""Rules engine: procedural and risk rules over a person's linked history. Pure."""

from safeguard.rules.config import RulesConfig, load_rules_config, parse_rules_config
from safeguard.rules.engine import evaluate
from safeguard.rules.findings import Evaluation, Finding, FindingStatus, ProcedureCheck
from safeguard.rules.rules import RULES, RULES_BY_ID, Rule

__all__ = [
    "RULES",
    "RULES_BY_ID",
    "Evaluation",
    "Finding",
    "FindingStatus",
    "ProcedureCheck",
    "Rule",
    "RulesConfig",
    "evaluate",
    "load_rules_config",
    "parse_rules_config",
]
