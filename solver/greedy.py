"""A quick feasible allocation: best score first, taking a pair whenever it still fits.

With equity (PROBLEM.md §9) a first pass gives each municipality its best pair counting
the reward (score + equity), then the rest follow by score; a pair scoring <= 0 is only
taken when it is the one that serves its municipality.

Used as the solvers' starting point and as the answer for components left unsolved
when a run is stopped.
"""

from __future__ import annotations

import numpy as np

from enmusubi.solver.model import Component
from enmusubi.solver.tolerances import CAPACITY_EPS


def greedy(component: Component, start: np.ndarray | None = None) -> np.ndarray:
    """A feasible choice (bool per variable); pairs of `start` are tried first if given."""
    room = component.capacity.astype(np.float64).copy()
    chosen = np.zeros(component.n_vars, dtype=bool)
    # Column -> its (row, value) entries, as CSC slices.
    col_order = np.argsort(component.a_col, kind="stable")
    col_start = np.searchsorted(component.a_col[col_order], np.arange(component.n_vars + 1))
    rows_of = component.a_row[col_order]
    vals_of = component.a_val[col_order]

    def take(order: np.ndarray, served: np.ndarray | None) -> None:
        for v in order.tolist():
            if served is not None and served[component.served_of[v]]:
                continue
            lo, hi = col_start[v], col_start[v + 1]
            r, val = rows_of[lo:hi], vals_of[lo:hi]
            if np.all(val <= room[r] + CAPACITY_EPS):
                room[r] -= val
                chosen[v] = True
                if served is not None:
                    served[component.served_of[v]] = True

    def first(order: np.ndarray) -> np.ndarray:
        if start is None:
            return order
        return np.concatenate([order[start[order]], order[~start[order]]])

    if component.n_served:
        with_reward = component.score + component.equity
        grouped = np.flatnonzero((component.served_of >= 0) & (with_reward > 0))
        take(first(grouped[np.argsort(-with_reward[grouped], kind="stable")]), np.zeros(component.n_served, bool))
    rest = np.flatnonzero(~chosen & (component.score > 0))
    take(first(rest[np.argsort(-component.score[rest], kind="stable")]), None)
    return chosen
