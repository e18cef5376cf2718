"""The one place where floats become integers, for CP-SAT.

Scores are scaled by 1e7 and rounded: over n chosen pairs the integer optimum is
within n * 1e-7 of the float one, inside PROBLEM.md §6's tolerance. Constraint
coefficients are scaled per row and rounded conservatively (usage up, capacity
down), so an integer-feasible choice is always feasible in the real numbers; for
hours with up to three decimals and whole-yen costs the scaling is exact.
"""

from __future__ import annotations

import numpy as np

SCORE_SCALE = 10_000_000
COEFFICIENT_SCALE = 1_000
ROUNDING_SLACK = 1e-6


def integer_scores(score: np.ndarray) -> np.ndarray:
    scaled: np.ndarray = np.rint(score * SCORE_SCALE).astype(np.int64)
    return scaled


def integer_reward(weight: float) -> int:
    """The equity reward per served municipality, on the scores' scale."""
    return round(weight * SCORE_SCALE)


def integer_rows(a_val: np.ndarray, capacity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(coefficients, capacities) as int64, never admitting a choice the floats forbid."""
    coef = np.ceil(a_val * COEFFICIENT_SCALE - ROUNDING_SLACK).astype(np.int64)
    cap = np.floor(capacity * COEFFICIENT_SCALE + ROUNDING_SLACK).astype(np.int64)
    return coef, cap


def score_from_integer(value: float) -> float:
    return value / SCORE_SCALE


# OR-Tools' min-cost flow multiplies costs by (nodes + 1) while it scales them; stay well inside int64.
FLOW_COST_LIMIT = 2**60


def flow_costs(score: np.ndarray, best_total: float, n_nodes: int) -> tuple[np.ndarray, int]:
    """(integer pair costs, coverage bonus) for the shortlist flow.

    `best_total` bounds every total score the flow can reach; the bonus is above the
    integer form of that bound, so one more covered position always outweighs any
    score. The scale is SCORE_SCALE unless the bonus would overflow the solver's range.
    """
    largest = float(np.finfo(np.float64).max)
    best_total = min(abs(best_total), largest)  # scores near the float limit: then only the coverage counts
    scale = min(float(SCORE_SCALE), FLOW_COST_LIMIT / ((n_nodes + 1) * (best_total + 1.0) * 2.0))
    scaled = np.minimum(score, largest) * scale
    costs = np.rint(np.clip(scaled, 0, FLOW_COST_LIMIT / (n_nodes + 1))).astype(np.int64)
    bonus = int(np.ceil(best_total * scale)) + len(score) + 1
    return costs, bonus
