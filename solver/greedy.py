"""A quick feasible allocation: best first, taking a pair whenever it still fits.

With equity (PROBLEM.md §9) a first pass gives each municipality its best pair counting
the reward (score + equity), then the rest follow by score; a pair scoring <= 0 is only
taken when it is the one that serves its municipality.

Vectorised by rounds instead of a Python loop over pairs (2.8 M pairs at 100,000 x 10,000):
in each round every row lets through the prefix of its candidates (in priority order) whose
cumulative use fits its room, and a candidate is taken when every one of its rows lets it
through. The taken set fits together (each row's taken pairs are within a prefix that fits);
candidates that no longer fit alone are dropped, the others try again in the next round. The
best remaining candidate is first in each of its rows, so every round takes at least one.

Used as the solvers' starting point, for LP-guided rounding (solver/large.py) and as the answer
for components left unsolved when a run is stopped.
"""

from __future__ import annotations

import numpy as np

from enmusubi.solver.model import Component
from enmusubi.solver.tolerances import CAPACITY_EPS

CHUNK = 20_000  # candidates per chunk of the rounds


def greedy(component: Component, start: np.ndarray | None = None) -> np.ndarray:
    """A feasible choice (bool per variable) by score; pairs of `start` are tried first if given."""
    chosen = np.zeros(component.n_vars, dtype=bool)
    room = component.capacity.astype(np.float64).copy()
    columns = Columns.of(component)
    if component.n_served:
        with_reward = component.score + component.equity
        grouped = np.flatnonzero((component.served_of >= 0) & (with_reward > 0))
        order = _start_first(grouped[np.argsort(-with_reward[grouped], kind="stable")], start)
        # One pair per municipality: its group is a row of capacity 1 in this pass.
        fill(columns, order, room, chosen, component.served_of, np.ones(component.n_served))
    rest = np.flatnonzero(~chosen & (component.score > 0))
    fill(columns, _start_first(rest[np.argsort(-component.score[rest], kind="stable")], start), room, chosen)
    return chosen


def greedy_by(component: Component, priority: np.ndarray, room: np.ndarray | None = None) -> np.ndarray:
    """A feasible choice taking pairs with a positive score by decreasing `priority` (no equity pass):
    LP-guided rounding orders by the LP's values. `room` (per row) defaults to the capacity."""
    chosen = np.zeros(component.n_vars, dtype=bool)
    room = component.capacity.astype(np.float64).copy() if room is None else room.astype(np.float64).copy()
    order = np.flatnonzero(component.score > 0)
    order = order[np.lexsort((-component.score[order], -priority[order]))]
    fill(Columns.of(component), order, room, chosen)
    return chosen


def _start_first(order: np.ndarray, start: np.ndarray | None) -> np.ndarray:
    if start is None:
        return order
    return np.concatenate([order[start[order]], order[~start[order]]])


class Columns:
    """A component's constraint matrix by column (CSC): each pair's rows and coefficients."""

    def __init__(self, start: np.ndarray, rows: np.ndarray, vals: np.ndarray) -> None:
        self.start, self.rows, self.vals = start, rows, vals

    @classmethod
    def of(cls, component: Component) -> Columns:
        order = np.argsort(component.a_col, kind="stable")
        start = np.searchsorted(component.a_col[order], np.arange(component.n_vars + 1))
        return cls(start, component.a_row[order], component.a_val[order])

    def entries(self, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For `cols`: the index into `cols` of each of their entries, and the entries' positions, in order."""
        degree = self.start[cols + 1] - self.start[cols]
        owner = np.repeat(np.arange(len(cols)), degree)
        first = np.cumsum(degree) - degree
        at = np.arange(len(owner)) - np.repeat(first, degree) + np.repeat(self.start[cols], degree)
        return owner, at


def fill(
    columns: Columns,
    order: np.ndarray,
    room: np.ndarray,
    chosen: np.ndarray,
    group: np.ndarray | None = None,
    group_room: np.ndarray | None = None,
) -> None:
    """Take the pairs of `order` (by priority) that fit, by rounds; updates `room` and `chosen` in place.

    `group` (per variable, -1 for none) with `group_room` adds one row per group with coefficient 1.
    Candidates go in chunks of CHUNK by priority (a lower one never changes what a higher one gets), so
    the rounds, whose number grows with the chains of candidates waiting on each other, stay short.
    """
    cand = np.asarray(order, dtype=np.int64)
    cand = cand[~chosen[cand]]
    room_all = room
    if group is not None and group_room is not None:
        room_all = np.concatenate([room, group_room.astype(np.float64)])
    for lo in range(0, len(cand), CHUNK):
        _fill_chunk(columns, cand[lo : lo + CHUNK], room_all, chosen, len(room), group)
    if room_all is not room:
        room[:] = room_all[: len(room)]


def _fill_chunk(
    columns: Columns, cand: np.ndarray, room_all: np.ndarray, chosen: np.ndarray, n_rows: int, group: np.ndarray | None
) -> None:
    """The rounds over one chunk of candidates (in priority order); the entries are sorted once by
    (row, priority) and each round only filters them."""
    owner, at = columns.entries(cand)  # owner = the candidate's rank
    rows, vals = columns.rows[at], columns.vals[at]
    if group is not None:
        g = group[cand]
        has = np.flatnonzero(g >= 0)
        owner = np.concatenate([owner, has])
        rows = np.concatenate([rows, n_rows + g[has]])
        vals = np.concatenate([vals, np.ones(len(has))])
    by_row = np.lexsort((owner, rows))
    owner, rows, vals = owner[by_row], rows[by_row], vals[by_row]
    alive = np.ones(len(cand), dtype=bool)
    while alive.any():
        # Candidates that no longer fit on their own are out.
        too_big = vals > room_all[rows] + CAPACITY_EPS
        if too_big.any():
            alive[owner[too_big]] = False
            keep = alive[owner]
            owner, rows, vals = owner[keep], rows[keep], vals[keep]
        # Per row, the cumulative use in priority order; a candidate passes where it stays within the room.
        total = np.cumsum(vals)
        row_first = np.flatnonzero(np.diff(rows, prepend=-1) != 0)
        before = (total - vals)[row_first]
        used = total - np.repeat(before, np.diff(np.append(row_first, len(rows))))
        blocked = used > room_all[rows] + CAPACITY_EPS
        take = alive & (np.bincount(owner[blocked], minlength=len(cand)) == 0)
        taken_entry = take[owner]
        room_all -= np.bincount(rows[taken_entry], weights=vals[taken_entry], minlength=len(room_all))
        chosen[cand[take]] = True
        alive &= ~take
        owner, rows, vals = owner[~taken_entry], rows[~taken_entry], vals[~taken_entry]
