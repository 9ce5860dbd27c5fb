"""Matchers of the body fields of the rule language (to come)."""

from __future__ import annotations

from pretenders.server.core.matching import Matcher
from pretenders.server.core.rule_spec import RuleSpec


def compile_fields(spec: RuleSpec, timeout: float) -> list[Matcher]:
    """The matchers of this module's fields of ``spec`` (none yet)."""
    return []
