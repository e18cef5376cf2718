"""Re-optimise part of a component from an incumbent: the machinery shared by insight (the
objective change of forcing a pair) and large-problem search (LNS).

A neighbourhood is a set of free variables; every other variable keeps its incumbent value,
so the sub-MIP sees the capacity the fixed pairs leave. Its optimum is a feasible allocation
of the whole component, never worse than the incumbent; only when everything is free is its
bound a bound of the component.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from enmusubi.solver import highs_engine
from enmusubi.solver.model import Component
from enmusubi.solver.outcome import StopFlag
from enmusubi.solver.tolerances import MIP_ABSOLUTE_GAP


@dataclass(frozen=True, eq=False)
class Incidence:
    """A component's constraint matrix both ways (CSC and CSR), to walk from pairs to rows and back."""

    col_start: np.ndarray
    col_rows: np.ndarray
    col_vals: np.ndarray
    row_start: np.ndarray
    row_cols: np.ndarray
    row_vals: np.ndarray

    @classmethod
    def of(cls, component: Component) -> Incidence:
        by_col = np.lexsort((component.a_row, component.a_col))
        by_row = np.lexsort((component.a_col, component.a_row))
        return cls(
            col_start=np.searchsorted(component.a_col[by_col], np.arange(component.n_vars + 1)),
            col_rows=component.a_row[by_col],
            col_vals=component.a_val[by_col],
            row_start=np.searchsorted(component.a_row[by_row], np.arange(component.n_rows + 1)),
            row_cols=component.a_col[by_row],
            row_vals=component.a_val[by_row],
        )

    def rows_of(self, var: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.col_start[var], self.col_start[var + 1]
        return self.col_rows[lo:hi], self.col_vals[lo:hi]

    def cols_of_rows(self, rows: np.ndarray) -> np.ndarray:
        if len(rows) == 0:
            return np.zeros(0, dtype=np.int64)
        parts = [self.row_cols[self.row_start[r] : self.row_start[r + 1]] for r in rows.tolist()]
        return np.unique(np.concatenate(parts))

    def rows_of_cols(self, cols: np.ndarray) -> np.ndarray:
        if len(cols) == 0:
            return np.zeros(0, dtype=np.int64)
        parts = [self.col_rows[self.col_start[c] : self.col_start[c + 1]] for c in cols.tolist()]
        return np.unique(np.concatenate(parts))


def around(
    component: Component,
    incidence: Incidence,
    seeds: np.ndarray,
    size: int,
    hops: int = 3,
    taken: np.ndarray | None = None,
) -> np.ndarray:
    """The variables within a few constraint hops of `seeds` (seeds first), at most `size` of them,
    none of `taken` (bool per variable: already in another neighbourhood solved beside this one).

    Hop by hop: the rows of the current variables, then every variable in those rows. A hop
    that would overflow `size` contributes its best-scoring variables only, so the neighbourhood
    is deterministic and keeps the pairs most likely to move in.
    """
    free = np.zeros(component.n_vars, dtype=bool)
    free[seeds] = True
    if taken is not None:
        free[taken] = False
    frontier = np.asarray(seeds, dtype=np.int64)
    seen_rows = np.zeros(component.n_rows, dtype=bool)
    for _ in range(hops):
        rows = incidence.rows_of_cols(frontier)
        rows = rows[~seen_rows[rows]]
        seen_rows[rows] = True
        new = incidence.cols_of_rows(rows)
        new = new[~free[new]] if taken is None else new[~free[new] & ~taken[new]]
        room = size - int(free.sum())
        if room <= 0 or len(new) == 0:
            break
        if len(new) > room:
            new = new[np.argsort(-component.score[new], kind="stable")[:room]]
        free[new] = True
        frontier = new
    return np.flatnonzero(free)


@dataclass(frozen=True)
class Reoptimised:
    chosen: np.ndarray  # bool per component variable: a feasible allocation, never worse than the incumbent
    objective: float
    bound: float  # a bound of the component only when `whole` (else of the neighbourhood given the rest)
    optimal: bool  # proven within the gap (of the component when `whole`)
    whole: bool
    interrupted: bool


def reoptimise(
    component: Component,
    incumbent: np.ndarray,
    free: np.ndarray | None = None,
    forced: np.ndarray | None = None,
    *,
    one_of: np.ndarray | None = None,
    deadline: float | None = None,
    stop: StopFlag | None = None,
    absolute_gap: float = MIP_ABSOLUTE_GAP,
    seed: int = 0,
    options: Mapping[str, bool | int | float | str] | None = None,
    reserved: np.ndarray | None = None,
) -> Reoptimised:
    """The best allocation that keeps every variable outside `free` (indices; None = all) at its
    incumbent value, holds every `forced` variable and at least one of `one_of` (when given), by
    HiGHS from the incumbent.

    The incumbent must be feasible and hold the forced variables and one of `one_of`. With
    `one_of`, the optimum is the best of the optima with each of those pairs forced, so its
    bound bounds all of them at once (solver/lock_search.py has the idea). `options` (HiGHS's) replace
    the engine's defaults, e.g. presolve off for a sub-MIP too big for HiGHS's presolve to stay responsive.
    `reserved` (per row) is capacity held back for neighbourhoods solved beside this one (solver/parallel_search.py);
    the bound is then one of that smaller problem only.
    """
    if component.n_served:
        raise ValueError("neighbourhoods do not model equity's served binaries")
    remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
    incumbent = np.asarray(incumbent, dtype=bool)
    whole = free is None or len(free) == component.n_vars
    cols = np.arange(component.n_vars) if free is None else np.asarray(free, dtype=np.int64)
    sub, local_forced = _sub_component(component, incumbent, cols, forced, one_of, reserved)
    outcome = highs_engine.solve_component(
        sub,
        incumbent[cols],
        remaining,
        seed,
        stop,
        None,
        absolute_gap,
        col_lower=local_forced,
        options=highs_engine.START_HEURISTICS_OFF if options is None else options,
    )
    chosen = incumbent.copy()
    if outcome.objective >= float(component.score[cols][incumbent[cols]].sum()) - 1e-12:
        chosen[cols] = outcome.chosen
    objective = float(component.score[chosen].sum())
    fixed_value = objective - float(component.score[cols][chosen[cols]].sum())
    bound = max(fixed_value + outcome.bound, objective)
    return Reoptimised(chosen, objective, bound, outcome.optimal, whole, outcome.interrupted)


def restricted(component: Component, cols: np.ndarray) -> Component:
    """The component over the variables `cols` only, with its full capacities: every feasible choice of
    it is one of the component (the others at 0)."""
    return _sub_component(component, np.zeros(component.n_vars, dtype=bool), np.asarray(cols, dtype=np.int64), None)[0]


def _sub_component(
    component: Component,
    incumbent: np.ndarray,
    cols: np.ndarray,
    forced: np.ndarray | None,
    one_of: np.ndarray | None = None,
    reserved: np.ndarray | None = None,
) -> tuple[Component, np.ndarray | None]:
    """The component restricted to `cols`, rows reduced by what the fixed chosen pairs use and by `reserved`;
    `one_of` adds the row -sum x <= -1 over those variables (all of them must be free)."""
    is_free = np.zeros(component.n_vars, dtype=bool)
    is_free[cols] = True
    fixed_on = incumbent & ~is_free
    room = component.capacity - component.usage(fixed_on)
    if reserved is not None:
        room -= reserved
    entry = is_free[component.a_col]
    rows = np.unique(component.a_row[entry])
    row_local = np.full(component.n_rows, -1, dtype=np.int64)
    row_local[rows] = np.arange(len(rows))
    col_local = np.full(component.n_vars, -1, dtype=np.int64)
    col_local[cols] = np.arange(len(cols))
    capacity, a_row = np.maximum(room[rows], 0.0), row_local[component.a_row[entry]]
    a_col, a_val = col_local[component.a_col[entry]], component.a_val[entry]
    if one_of is not None:
        witness = col_local[np.asarray(one_of, dtype=np.int64)]
        capacity = np.append(capacity, -1.0)
        a_row = np.concatenate([a_row, np.full(len(witness), len(rows))])
        a_col = np.concatenate([a_col, witness])
        a_val = np.concatenate([a_val, -np.ones(len(witness))])
    sub = Component(pairs=cols, score=component.score[cols], capacity=capacity, a_row=a_row, a_col=a_col, a_val=a_val)
    if forced is None or len(forced) == 0:
        return sub, None
    lower = np.zeros(len(cols))
    lower[col_local[np.asarray(forced, dtype=np.int64)]] = 1.0
    return sub, lower
