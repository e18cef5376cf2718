"""A quick feasible allocation: best score first, taking a pair whenever it still fits.

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
    order = np.argsort(-component.score, kind="stable")
    if start is not None:
        order = np.concatenate([order[start[order]], order[~start[order]]])
    # Column -> its (row, value) entries, as CSC slices.
    col_order = np.argsort(component.a_col, kind="stable")
    col_start = np.searchsorted(component.a_col[col_order], np.arange(component.n_vars + 1))
    rows_of = component.a_row[col_order]
    vals_of = component.a_val[col_order]
    for v in order.tolist():
        lo, hi = col_start[v], col_start[v + 1]
        r, val = rows_of[lo:hi], vals_of[lo:hi]
        if np.all(val <= room[r] + CAPACITY_EPS):
            room[r] -= val
            chosen[v] = True
    return chosen
