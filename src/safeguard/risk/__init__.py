"""Rules engine: procedural and risk rules over a person's linked history. Pure."""

from safeguard.risk.config import RulesConfig, load_rules_config, parse_rules_config
from safeguard.risk.engine import evaluate
from safeguard.risk.findings import Evaluation, Finding, FindingStatus, ProcedureCheck
from safeguard.risk.rules import RULES, RULES_BY_ID, Rule

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
