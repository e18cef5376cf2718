"""Repair an allocation around a forced pair: a quick feasible allocation that holds it.

Place the pair, take out what it overloads (the cheapest score per unit of capacity first),
then refill the rows that were freed, best score first. The result is a lower bound on the
optimum with the pair locked; the neighbourhood search then improves it.
"""

from __future__ import annotations

import numpy as np

from enmusubi.solver.model import Component
from enmusubi.solver.neighbourhood import Incidence
from enmusubi.solver.tolerances import CAPACITY_EPS


def repair(component: Component, incidence: Incidence, incumbent: np.ndarray, var: int) -> np.ndarray:
    """A feasible allocation holding variable `var`, close to the (feasible) incumbent."""
    chosen = np.asarray(incumbent, dtype=bool).copy()
    if chosen[var]:
        return chosen
    chosen[var] = True
    load = component.usage(chosen)
    freed: list[np.ndarray] = []
    rows, _ = incidence.rows_of(var)
    for r in rows.tolist():
        if load[r] <= component.capacity[r] + CAPACITY_EPS:
            continue
        lo, hi = incidence.row_start[r], incidence.row_start[r + 1]
        members, coef = incidence.row_cols[lo:hi], incidence.row_vals[lo:hi]
        keep = chosen[members] & (members != var)
        members, coef = members[keep], coef[keep]
        for h in members[np.lexsort((members, component.score[members] / coef))].tolist():
            if load[r] <= component.capacity[r] + CAPACITY_EPS:
                break
            chosen[h] = False
            h_rows, h_vals = incidence.rows_of(h)
            load[h_rows] -= h_vals
            freed.append(h_rows)
    if freed:
        _refill(component, incidence, chosen, load, np.unique(np.concatenate(freed)))
    return chosen


def _refill(component: Component, incidence: Incidence, chosen: np.ndarray, load: np.ndarray, rows: np.ndarray) -> None:
    """Take the best-scoring unchosen variables of the freed rows that fit now (in place)."""
    cols = incidence.cols_of_rows(rows)
    cols = cols[~chosen[cols]]
    for c in cols[np.lexsort((cols, -component.score[cols]))].tolist():
        c_rows, c_vals = incidence.rows_of(c)
        if np.all(load[c_rows] + c_vals <= component.capacity[c_rows] + CAPACITY_EPS):
            chosen[c] = True
            load[c_rows] += c_vals
