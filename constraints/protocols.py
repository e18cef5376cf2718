"""The shapes a rule module has, declared so the type checker holds every rule to them.

A rule is a module (`constraints/skill.py` ...) named by its stable NAME, the name results,
explanations and error messages use. Eligibility rules (PROBLEM.md §4) decide pairs;
packing rules (§6) give the optimisation model one family of rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from enmusubi.constraints.packing import PackingRows
    from enmusubi.solver.data import ProblemData
    from enmusubi.solver.scoring import Candidates


class Rule(Protocol):
    """An eligibility rule: which pairs pass, and why a given pair passes or fails, in words."""

    NAME: str

    def mask(self, data: ProblemData, partner: np.ndarray, position: np.ndarray) -> np.ndarray:
        """Per pair (index arrays of equal length), True where the pair passes."""
        ...

    def describe(self, data: ProblemData, i: int, j: int) -> str:
        """The figures behind the rule's decision for partner i and position j."""
        ...


class PackingRule(Protocol):
    """An aggregate rule: every candidate pair is in at most one of its rows (`sum coef * x <= capacity`)."""

    NAME: str

    def rows(self, data: ProblemData, cands: Candidates) -> PackingRows: ...
