"""The rule registry: every ``Rule`` subclass defined in a module of this package.

Adding a rule is adding a class to one of these modules (one module per contract);
nothing else needs to list it.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from contractlint.rules.base import Invalid, Rule, RuleContext, Valid

__all__ = ["Invalid", "Rule", "RuleContext", "Valid", "all_rules", "rule_by_code_or_name"]


@lru_cache(maxsize=1)
def all_rules() -> tuple[type[Rule], ...]:
    """Every rule class, sorted by code."""
    found: dict[str, type[Rule]] = {}
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Rule) and value is not Rule and "code" in vars(value):
                if value.code in found and found[value.code] is not value:
                    raise RuntimeError(f"two rules claim {value.code}: {found[value.code]} and {value}")
                found[value.code] = value
    return tuple(found[code] for code in sorted(found))


def rule_by_code_or_name(key: str) -> type[Rule] | None:
    for rule in all_rules():
        if key.upper() == rule.code or key.lower() == rule.name:
            return rule
    return None
