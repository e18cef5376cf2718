"""Partner patterns: an exact reformulation that gives the MIP a much tighter LP bound.

A partner's own rules (hours and count) form a small knapsack over the few
positions they are eligible for. Instead of one binary per pair, each such partner
gets one binary per *feasible set* of their pairs (a pattern) and takes at most one.
The LP relaxation then is the convex hull of every partner's own rules, and branch
and bound only has to settle the shared rules (openings, budget). The optimum is
unchanged; a partner with too many patterns keeps the pair formulation.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy.sparse import coo_matrix

from constraints import PACKING_RULES, count, hours
from solver.model import Component

HOURS_FAMILY = next(k for k, rule in enumerate(PACKING_RULES) if rule.NAME == hours.NAME)
COUNT_FAMILY = next(k for k, rule in enumerate(PACKING_RULES) if rule.NAME == count.NAME)
MAX_PATTERNS_PER_PARTNER = 400
FIT_EPS = 1e-9


@dataclass(frozen=True, eq=False)
class PatternModel:
    """max cost @ y s.t. A y <= upper, y binary; column c chooses the component variables `members[c]`."""

    cost: np.ndarray
    members: list[tuple[int, ...]]
    a_row: np.ndarray
    a_col: np.ndarray
    a_val: np.ndarray
    upper: np.ndarray
    column_of: dict[tuple[int, ...], int]  # sorted members -> column
    pattern_partner_of_var: np.ndarray  # per component variable: True when its partner uses patterns

    @property
    def n_cols(self) -> int:
        return len(self.cost)

    @property
    def n_rows(self) -> int:
        return len(self.upper)

    def decode(self, y: np.ndarray, n_vars: int) -> np.ndarray:
        chosen = np.zeros(n_vars, dtype=bool)
        for c in np.flatnonzero(y > 0.5).tolist():
            chosen[list(self.members[c])] = True
        return chosen

    def encode(self, chosen: np.ndarray, partner: np.ndarray) -> np.ndarray:
        """Column values of a feasible choice of variables, to pass as a start."""
        y = np.zeros(self.n_cols)
        singles = np.flatnonzero(chosen & ~self.pattern_partner_of_var)
        for v in singles.tolist():
            y[self.column_of[(v,)]] = 1.0
        grouped = np.flatnonzero(chosen & self.pattern_partner_of_var)
        for p in np.unique(partner[grouped]).tolist():
            key = tuple(grouped[partner[grouped] == p].tolist())
            col = self.column_of.get(key)
            if col is not None:
                y[col] = 1.0
        return y


def _patterns(block: np.ndarray, need: np.ndarray, room: float, most: int) -> list[tuple[int, ...]] | None:
    """Every non-empty subset of `block` with at most `most` members whose hours fit `room`."""
    out: list[tuple[int, ...]] = []
    order = np.argsort(block)
    block, need = block[order], need[order]
    for size in range(1, min(most, len(block)) + 1):
        for combo in combinations(range(len(block)), size):
            if need[list(combo)].sum() <= room + FIT_EPS:
                out.append(tuple(int(block[k]) for k in combo))
                if len(out) > MAX_PATTERNS_PER_PARTNER:
                    return None
    return out


def pattern_model(component: Component) -> PatternModel | None:
    """The pattern reformulation of a component, or None when no partner has a binding own rule."""
    n = component.n_vars
    family = component.row_family
    partner_row = (family == HOURS_FAMILY) | (family == COUNT_FAMILY)
    if not partner_row.any():
        return None
    var_hours = np.zeros(n)
    hours_room = np.full(n, np.inf)
    count_room = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    on_hours = family[component.a_row] == HOURS_FAMILY
    var_hours[component.a_col[on_hours]] = component.a_val[on_hours]
    hours_room[component.a_col[on_hours]] = component.capacity[component.a_row[on_hours]]
    on_count = family[component.a_row] == COUNT_FAMILY
    count_room[component.a_col[on_count]] = np.floor(component.capacity[component.a_row[on_count]] + FIT_EPS)

    bound_partners = np.unique(component.partner[component.a_col[partner_row[component.a_row]]])
    patterned = np.zeros(n, dtype=bool)
    columns: list[tuple[int, ...]] = []
    convexity_of_column: list[int] = []
    n_convexity = 0
    for p in bound_partners.tolist():
        block = np.flatnonzero(component.partner == p)
        first = block[0]
        found = _patterns(block, var_hours[block], float(hours_room[first]), int(min(count_room[first], len(block))))
        if found is None:
            continue
        patterned[block] = True
        columns.extend(found)
        convexity_of_column.extend([n_convexity] * len(found))
        n_convexity += 1
    if n_convexity == 0:
        return None
    singles = [(int(v),) for v in np.flatnonzero(~patterned)]
    all_columns = singles + columns
    # Rows kept: shared rules, plus own rules of partners without patterns; then one convexity row per partner.
    row_kept = ~partner_row | ~np.isin(
        np.arange(component.n_rows), component.a_row[partner_row[component.a_row] & patterned[component.a_col]]
    )
    new_row = np.cumsum(row_kept) - 1
    n_kept = int(row_kept.sum())
    keep_entry = row_kept[component.a_row]
    e_row, e_var, e_val = new_row[component.a_row[keep_entry]], component.a_col[keep_entry], component.a_val[keep_entry]
    var_order = np.argsort(e_var, kind="stable")
    var_start = np.searchsorted(e_var[var_order], np.arange(n + 1))
    member_col = np.repeat(np.arange(len(all_columns)), [len(c) for c in all_columns])
    member_var = np.fromiter((v for c in all_columns for v in c), dtype=np.int64, count=len(member_col))
    degree = var_start[member_var + 1] - var_start[member_var]
    entry_col = np.repeat(member_col, degree)
    first_entry = np.repeat(var_start[member_var], degree)
    offset = np.arange(int(degree.sum())) - np.repeat(np.cumsum(degree) - degree, degree)
    picked = var_order[first_entry + offset]
    rows = np.concatenate([e_row[picked], n_kept + np.array(convexity_of_column, dtype=np.int64)])
    cols = np.concatenate([entry_col, len(singles) + np.arange(len(columns))])
    vals = np.concatenate([e_val[picked], np.ones(len(columns))])
    matrix = coo_matrix((vals, (rows, cols)), shape=(n_kept + n_convexity, len(all_columns))).tocsc()
    matrix.sum_duplicates()
    coo = matrix.tocoo()
    cost = np.array([component.score[list(c)].sum() for c in all_columns])
    upper = np.concatenate([component.capacity[row_kept], np.ones(n_convexity)])
    return PatternModel(
        cost=cost,
        members=all_columns,
        a_row=coo.row.astype(np.int64),
        a_col=coo.col.astype(np.int64),
        a_val=coo.data,
        upper=upper,
        column_of={c: k for k, c in enumerate(all_columns)},
        pattern_partner_of_var=patterned,
    )
