"""The hot path: every eligible pair and its score, vectorised with numpy.

Candidates come from the skill index (constraints.skill), then each remaining
eligibility rule filters the flat pair arrays in the spec's order; the score terms
are computed only for the pairs that survive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from enmusubi.constraints import ELIGIBILITY_RULES, budget, commute, skill
from enmusubi.solver.data import REQUIRED_SKILL_WEIGHT, ProblemData


@dataclass(frozen=True, eq=False)
class Candidates:
    """Eligible pairs, sorted by (position, partner), with every term of their score."""

    partner: np.ndarray  # int32
    position: np.ndarray  # int32
    fit: np.ndarray
    commute_minutes: np.ndarray
    commute_penalty: np.ndarray
    cost: np.ndarray  # yen for the period
    cost_penalty: np.ndarray
    preferred: np.ndarray  # bool
    incumbent: np.ndarray  # bool
    score: np.ndarray

    def __len__(self) -> int:
        return len(self.partner)

    def breakdown(self, data: ProblemData, k: int) -> dict[str, float]:
        """The weighted terms of pair k's score (they add up to the score)."""
        w = data.problem.weights
        j = int(self.position[k])
        return {
            "fill": float(data.priority[j] * w.fill),
            "skill": float(data.priority[j] * w.skill * self.fit[k]),
            "preference": float(w.preference * self.preferred[k]),
            "commute": float(-w.commute * self.commute_penalty[k]),
            "cost": float(-w.cost * self.cost_penalty[k]),
            "incumbent": float(w.incumbent * self.incumbent[k]),
        }


def skill_fit(data: ProblemData, partner: np.ndarray, position: np.ndarray) -> np.ndarray:
    """Weighted mean of min(level, 5) / 5 over the position's required (weight 2) and preferred skills."""
    weights = np.where(data.required > 0, REQUIRED_SKILL_WEIGHT, data.preferred)  # (n_j, n_s)
    n_s = weights.shape[1]
    per_position = (weights > 0).sum(axis=1)
    width = int(per_position.max()) if len(per_position) else 0
    # Padded per-position skill lists; the pad points at an extra all-zero level column.
    slot_skill = np.full((len(weights), max(width, 1)), n_s, dtype=np.int32)
    slot_weight = np.zeros((len(weights), max(width, 1)), dtype=np.float64)
    rows, cols = np.nonzero(weights > 0)
    slot = np.arange(len(rows)) - np.repeat(np.cumsum(per_position) - per_position, per_position)
    slot_skill[rows, slot] = cols
    slot_weight[rows, slot] = weights[rows, cols]
    level_share = np.zeros((data.n_partners, n_s + 1), dtype=np.float64)
    level_share[:, :n_s] = np.minimum(data.levels, 5) / 5.0
    total = np.zeros(len(partner), dtype=np.float64)
    for t in range(width):
        total += slot_weight[position, t] * level_share[partner, slot_skill[position, t]]
    weight_sum = weights.sum(axis=1)[position]
    return np.where(weight_sum > 0, total / np.where(weight_sum > 0, weight_sum, 1.0), 1.0)


def score_pairs(data: ProblemData, partner: np.ndarray, position: np.ndarray) -> Candidates:
    """Score terms of the given (already eligible) pairs."""
    w = data.problem.weights
    fit = skill_fit(data, partner, position)
    minutes = commute.minutes(data, partner, position)
    commute_pen = commute.penalty(data, partner, position)
    cost = data.cost(partner, position)
    cost_pen = budget.penalty(data, partner, position)
    preferred = data.preferred_muni[partner, data.position_muni[position]]
    incumbent = data.is_incumbent(partner, position)
    score = (
        data.priority[position] * (w.fill + w.skill * fit)
        + w.preference * preferred
        - w.commute * commute_pen
        - w.cost * cost_pen
        + w.incumbent * incumbent
    )
    return Candidates(partner, position, fit, minutes, commute_pen, cost, cost_pen, preferred, incumbent, score)


def eligible_pairs(data: ProblemData) -> tuple[np.ndarray, np.ndarray]:
    """All eligible pairs, sorted by (position, partner)."""
    partner, position = skill.candidate_pairs(data)
    for rule in ELIGIBILITY_RULES[1:]:
        keep = rule.mask(data, partner, position)
        partner, position = partner[keep], position[keep]
    order = np.argsort(position.astype(np.int64) * max(data.n_partners, 1) + partner, kind="stable")
    return partner[order].astype(np.int32), position[order].astype(np.int32)


def score_candidates(data: ProblemData) -> Candidates:
    """Every eligible pair of the problem with its score."""
    return score_pairs(data, *eligible_pairs(data))
