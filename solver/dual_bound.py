"""A valid upper bound from any nonnegative row multipliers, and subgradient steps to improve them.

For max c·x subject to A x <= b, 0 <= x <= 1 (A >= 0 or not), weak duality gives for every y >= 0:

    c·x <= c·x + y·(b - A x) = b·y + (c - Aᵀy)·x <= b·y + Σ_j max(0, c_j - (Aᵀy)_j)

since 0 <= x_j <= 1. So the bound holds for the LP relaxation and hence for the 0/1 problem,
whatever y is: an interrupted dual simplex's or interior point's duals, PDLP's approximate
ones, or a few Lagrangian steps. The terms c - Aᵀy are reduced costs: they order pairs for
rounding and neighbourhoods when the LP did not finish.
"""

from __future__ import annotations

import numpy as np

from enmusubi.solver.model import Component
from enmusubi.solver.outcome import StopFlag, time_is_up


def reduced_costs(component: Component, y: np.ndarray) -> np.ndarray:
    """c - Aᵀy per variable."""
    aty = np.bincount(component.a_col, weights=component.a_val * y[component.a_row], minlength=component.n_vars)
    return component.score - aty


def _clipped(y: np.ndarray) -> np.ndarray:
    """Multipliers made usable: not a number or infinite -> 0, negative -> 0."""
    return np.maximum(np.nan_to_num(np.asarray(y, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0), 0.0)


def dual_bound(component: Component, y: np.ndarray) -> float:
    """b·y + Σ max(0, c - Aᵀy) with y clipped at 0: an upper bound on the component's optimum."""
    y = _clipped(y)
    return float(component.capacity @ y + np.maximum(reduced_costs(component, y), 0.0).sum())


def best_multipliers(component: Component, candidates: list[np.ndarray]) -> tuple[np.ndarray, float]:
    """Of several multiplier vectors (each clipped at 0; sign conventions differ between solvers),
    the one with the lowest bound, and that bound; no candidates gives y = 0 (every positive pair)."""
    best_y = np.zeros(component.n_rows)
    best = dual_bound(component, best_y)
    for y in candidates:
        if len(y) != component.n_rows:
            continue
        y = _clipped(y)
        value = dual_bound(component, y)
        if value < best:
            best_y, best = y, value
    return best_y, best


def subgradient(
    component: Component,
    y: np.ndarray,
    target: float,
    deadline: float | None,
    stop: StopFlag | None = None,
    iterations: int = 200,
) -> tuple[np.ndarray, float]:
    """Lower the Lagrangian bound from y by projected subgradient steps (Polyak's step towards
    `target`, a value no better than the optimum, e.g. the incumbent's); returns the best y and bound."""
    y = np.maximum(np.asarray(y, dtype=np.float64), 0.0)
    best_y, best = y.copy(), dual_bound(component, y)
    theta = 1.0
    stalled = 0
    for _ in range(iterations):
        if time_is_up(deadline, stop):
            break
        rc = reduced_costs(component, y)
        taken = rc > 0
        value = float(component.capacity @ y + rc[taken].sum())
        g = component.capacity - component.usage(taken)
        g[(y <= 0) & (g > 0)] = 0.0  # projected: a multiplier at 0 cannot go lower
        norm = float(g @ g)
        if value < best - 1e-12:
            best_y, best, stalled = y.copy(), value, 0
        else:
            stalled += 1
            if stalled >= 5:
                theta, stalled = theta / 2, 0
        if norm <= 0 or theta < 1e-4:
            break
        y = np.maximum(y - theta * (value - target) / norm * g, 0.0)
    return best_y, best
