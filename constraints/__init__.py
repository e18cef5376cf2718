"""The rules of PROBLEM.md, one module each, under the names results and explanations use.

Eligibility rules (§4), checked in this order: skill, onsite, commute, rate,
excluded, hours, budget. Aggregate rules (§6): openings, hours, count, budget, lock.

The rules read the engine's arrays (`enmusubi.solver.data.ProblemData`) but import nothing
of the engine at run time, so the engine can import them without a cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from enmusubi.constraints import budget, commute, count, excluded, hours, onsite, openings, rate, skill
from enmusubi.constraints.protocols import PackingRule, Rule

if TYPE_CHECKING:
    from enmusubi.solver.data import ProblemData

ELIGIBILITY_RULES: tuple[Rule, ...] = (skill, onsite, commute, rate, excluded, hours, budget)
ELIGIBILITY_RULE_NAMES = tuple(rule.NAME for rule in ELIGIBILITY_RULES)
PACKING_RULES: tuple[PackingRule, ...] = (openings, hours, count, budget)


def first_failing_rules(data: ProblemData, partner: np.ndarray, position: np.ndarray) -> np.ndarray:
    """Per pair, the index in ELIGIBILITY_RULES of the first rule it fails, or -1 if eligible."""
    first = np.full(len(partner), -1, dtype=np.int8)
    for k, rule in enumerate(ELIGIBILITY_RULES):
        undecided = first < 0
        if not undecided.any():
            break
        fails = ~rule.mask(data, partner[undecided], position[undecided])
        idx = np.flatnonzero(undecided)[fails]
        first[idx] = k
    return first


def first_failing_rule(data: ProblemData, i: int, j: int) -> tuple[str | None, str]:
    """The name and detail of the first rule the pair (i, j) fails, or (None, "") if eligible."""
    k = int(first_failing_rules(data, np.array([i]), np.array([j]))[0])
    if k < 0:
        return None, ""
    rule = ELIGIBILITY_RULES[k]
    return rule.NAME, rule.describe(data, i, j)
