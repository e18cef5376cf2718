"""Rule 7 and an aggregate rule, `budget`: one placement's cost fits the municipality's budget,
and the summed cost of its placements stays within it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from enmusubi.constraints.packing import PackingRows

if TYPE_CHECKING:
    from enmusubi.solver.data import ProblemData
    from enmusubi.solver.scoring import Candidates

NAME = "budget"


def mask(data: ProblemData, partner: np.ndarray, position: np.ndarray) -> np.ndarray:
    ok: np.ndarray = data.cost(partner, position) <= data.muni_budget[data.position_muni[position]]
    return ok


def penalty(data: ProblemData, partner: np.ndarray, position: np.ndarray) -> np.ndarray:
    """cost / budget where the budget is set and positive, else 0."""
    budget = data.muni_budget[data.position_muni[position]]
    has_budget = np.isfinite(budget) & (budget > 0)
    return np.where(has_budget, data.cost(partner, position) / np.where(has_budget, budget, 1.0), 0.0)


def rows(data: ProblemData, cands: Candidates) -> PackingRows:
    muni = data.position_muni[cands.position].astype(np.int64)
    limited = np.isfinite(data.muni_budget)
    row = np.where(limited[muni], muni, -1)
    capacity = np.where(limited, data.muni_budget, 0.0)
    return PackingRows(NAME, row, cands.cost, capacity, data.muni_ids)


def describe(data: ProblemData, i: int, j: int) -> str:
    m = int(data.position_muni[j])
    cost = float(data.cost(np.array([i]), np.array([j]))[0])
    budget = float(data.muni_budget[m])
    if not np.isfinite(budget):
        return f"cost ¥{cost:,.0f} for the period; municipality {data.muni_ids[m]} has no budget limit"
    return f"cost ¥{cost:,.0f} for the period {'<=' if cost <= budget else '>'} budget ¥{budget:,.0f}"
