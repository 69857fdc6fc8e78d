"""The flow-3/4/5 message contract: JSON Schemas in `schemas/` plus named rules (INTERFACES.md section 5)."""

from oke_core.contract.contract import Contract, parse_body
from oke_core.contract.flows import detect_flow
from oke_core.contract.model import Problem, RuleContext, Verdict
from oke_core.contract.rules import RULES, Rule
from oke_core.contract.schemas import SchemaLoadError

__all__ = [
    "RULES",
    "Contract",
    "Problem",
    "Rule",
    "RuleContext",
    "SchemaLoadError",
    "Verdict",
    "detect_flow",
    "parse_body",
]
