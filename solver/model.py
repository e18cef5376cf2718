"""The optimisation model over candidate pairs, presolved and split into components.

Presolve uses only what the structure guarantees:
- locked pairs are fixed to 1 and their usage taken off the capacities;
- pairs with a score <= 0 are never worth choosing (unless locked) and are dropped; with
  equity (PROBLEM.md §9) a pair is kept while score + w.equity > 0 and its municipality is
  not already served by a lock, since it may be the one pair that serves it;
- pairs that no longer fit a row's remaining capacity are dropped;
- a row whose pairs all fit together can never bind and is dropped;
- what is left falls apart into independent components, each solved on its own; with
  equity the pairs of one municipality share its "served" binary, so they stay together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from enmusubi.constraints import PACKING_RULES
from enmusubi.constraints.packing import PackingRows
from enmusubi.solver.components import component_labels
from enmusubi.solver.data import ProblemData
from enmusubi.solver.locks import check_locks_fit, locked_pair_indices
from enmusubi.solver.scoring import Candidates
from enmusubi.solver.tolerances import CAPACITY_EPS

NO_GROUP = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class Component:
    """An independent sub-problem: maximise score @ x + equity * sum(served) subject to
    A x <= capacity, served_g <= sum of x over the pairs of group g, x and served binary."""

    pairs: np.ndarray  # indices into Candidates
    score: np.ndarray
    capacity: np.ndarray  # per row
    a_row: np.ndarray  # COO of the constraint matrix: row, column, value
    a_col: np.ndarray
    a_val: np.ndarray
    # Equity (PROBLEM.md §9): per variable its served group (a municipality), -1 for none.
    served_of: np.ndarray = field(default_factory=lambda: NO_GROUP)
    served_muni: np.ndarray = field(default_factory=lambda: NO_GROUP)  # the municipality index of each group
    equity: float = 0.0

    @property
    def n_vars(self) -> int:
        return len(self.pairs)

    @property
    def n_rows(self) -> int:
        return len(self.capacity)

    @property
    def n_served(self) -> int:
        return len(self.served_muni)

    def groups_served(self, chosen: np.ndarray) -> np.ndarray:
        """Bool per served group: one of its pairs is chosen."""
        served = np.zeros(self.n_served, dtype=bool)
        if self.n_served:
            group = self.served_of[chosen]
            served[group[group >= 0]] = True
        return served

    def value(self, chosen: np.ndarray) -> float:
        """The objective of a choice (bool per variable): scores plus the equity reward."""
        value = float(self.score[chosen].sum())
        if self.n_served:
            value += self.equity * int(self.groups_served(chosen).sum())
        return value

    def usage(self, chosen: np.ndarray) -> np.ndarray:
        """Per row, the capacity the choice (bool per variable) uses."""
        on = chosen[self.a_col]
        return np.bincount(self.a_row[on], weights=self.a_val[on], minlength=self.n_rows)

    def fits(self, chosen: np.ndarray) -> bool:
        """Every row holds for the choice (bool per variable)."""
        return bool(np.all(self.usage(chosen) <= self.capacity + CAPACITY_EPS))

    def upper_bound(self) -> float:
        """Every pair worth taking and every group served: no choice does better."""
        return float(self.score[self.score > 0].sum()) + self.equity * self.n_served

    def free_choice(self) -> np.ndarray:
        """The optimum of a component without rows: every positive pair, and in each group that
        has none the best pair when it is worth the reward."""
        chosen = self.score > 0
        if self.n_served:
            covered = self.groups_served(chosen)
            for g in np.flatnonzero(~covered).tolist():
                members = np.flatnonzero(self.served_of == g)
                best = members[np.argmax(self.score[members])]
                chosen[best] = self.score[best] + self.equity > 0
        return chosen

    def is_unit_single_row(self) -> bool:
        """One row with all coefficients 1 and no equity: choosing the best `capacity` pairs is optimal."""
        return self.n_rows == 1 and self.n_served == 0 and bool(np.all(self.a_val == 1.0))

    def is_free(self) -> bool:
        return self.n_rows == 0


@dataclass(frozen=True, eq=False)
class AssignmentModel:
    locked: np.ndarray  # indices into Candidates of pairs fixed to 1
    components: list[Component]
    n_variables: int  # pairs left after presolve
    n_rows: int  # rows left after presolve


def build_model(data: ProblemData, cands: Candidates) -> AssignmentModel:
    """Candidates -> presolved components. Raises InputError for locks that cannot hold."""
    families = [rule.rows(data, cands) for rule in PACKING_RULES]
    locked = locked_pair_indices(data, cands)
    check_locks_fit(data, cands, locked, families)

    is_locked = np.zeros(len(cands), dtype=bool)
    is_locked[locked] = True
    remaining = [f.capacity - f.usage(is_locked) for f in families]

    equity = data.problem.weights.equity
    pair_muni = data.position_muni[cands.position].astype(np.int64)
    served_by_lock = np.zeros(data.n_munis, dtype=bool)
    served_by_lock[pair_muni[locked]] = True
    worth = cands.score > 0
    if equity > 0:
        # The one pair serving its municipality earns score + equity (PROBLEM.md §9).
        worth |= (cands.score + equity > 0) & ~served_by_lock[pair_muni]
    keep = worth & ~is_locked
    for family, room in zip(families, remaining, strict=True):
        in_row = family.row_of_pair >= 0
        fits = np.ones(len(cands), dtype=bool)
        fits[in_row] = family.coef[in_row] <= room[family.row_of_pair[in_row]] + CAPACITY_EPS
        keep &= fits
    variables = np.flatnonzero(keep)

    rows = binding_rows(families, remaining, variables)
    group = np.full(len(variables), -1, dtype=np.int64)
    if equity > 0:
        group = np.where(served_by_lock[pair_muni[variables]], -1, pair_muni[variables])
    components = _split(variables, cands.score[variables], rows.row, rows.col, rows.val, rows.capacity, group, equity)
    return AssignmentModel(locked, components, len(variables), len(rows.capacity))


@dataclass(frozen=True, eq=False)
class BindingRows:
    """Packing rows that can bind, numbered from 0, as COO over the columns they were built for."""

    row: np.ndarray  # int64 row number per entry
    col: np.ndarray  # int64 index into the columns given
    val: np.ndarray  # float64 coefficient per entry
    capacity: np.ndarray  # float64 per row


def binding_rows(families: list[PackingRows], capacities: list[np.ndarray], columns: np.ndarray) -> BindingRows:
    """The rows of every family (with these capacities) that the pairs `columns` can overfill.

    A row whose pairs all fit together can never bind and is left out; the others are numbered in
    family order, so a model needs only these rows.
    """
    rows_r, rows_c, rows_v, capacity = [], [], [], []
    next_row = 0
    for family, room in zip(families, capacities, strict=True):
        row = family.row_of_pair[columns]
        coef = family.coef[columns]
        in_row = row >= 0
        load = np.bincount(row[in_row], weights=coef[in_row], minlength=len(room))
        binding = np.flatnonzero(load > room + CAPACITY_EPS)
        if len(binding) == 0:
            continue
        global_id = np.full(len(room), -1, dtype=np.int64)
        global_id[binding] = next_row + np.arange(len(binding))
        next_row += len(binding)
        member = np.flatnonzero(in_row)
        member = member[global_id[row[member]] >= 0]
        rows_r.append(global_id[row[member]])
        rows_c.append(member)
        rows_v.append(coef[member])
        capacity.append(room[binding])
    return BindingRows(
        np.concatenate(rows_r) if rows_r else np.zeros(0, np.int64),
        np.concatenate(rows_c) if rows_c else np.zeros(0, np.int64),
        np.concatenate(rows_v) if rows_v else np.zeros(0),
        np.concatenate(capacity) if capacity else np.zeros(0),
    )


def _split(
    variables: np.ndarray,
    score: np.ndarray,
    a_r: np.ndarray,
    a_c: np.ndarray,
    a_v: np.ndarray,
    capacity: np.ndarray,
    group: np.ndarray,
    equity: float,
) -> list[Component]:
    """Connected components of the graph of variables, rows and served groups, in a deterministic order.

    `group` is each variable's municipality when it counts towards that municipality's
    served binary, else -1.
    """
    n_v, n_r = len(variables), len(capacity)
    if n_v == 0:
        return []
    grouped = np.flatnonzero(group >= 0)
    group_ids, group_local = np.unique(group[grouped], return_inverse=True)
    label = component_labels(
        n_v + n_r + len(group_ids),
        np.concatenate([a_c, grouped]),
        np.concatenate([n_v + a_r, n_v + n_r + group_local]),
    )
    var_label, row_label = label[:n_v], label[n_v : n_v + n_r]
    var_order = np.argsort(var_label, kind="stable")
    row_order = np.argsort(row_label, kind="stable")
    var_bounds = np.searchsorted(var_label[var_order], np.unique(var_label), side="left")
    labels = np.unique(var_label)
    # Local column / row ids inside each component.
    local_col = np.empty(n_v, dtype=np.int64)
    local_row = np.empty(n_r, dtype=np.int64)
    var_groups = np.split(var_order, var_bounds[1:])
    row_groups = {int(lab): g for lab, g in _groups(row_label, row_order)}
    for members in var_groups:
        local_col[members] = np.arange(len(members))
    for members in row_groups.values():
        local_row[members] = np.arange(len(members))
    entry_label = var_label[a_c]
    entry_order = np.argsort(entry_label, kind="stable")
    entry_groups = {int(lab): g for lab, g in _groups(entry_label, entry_order)}
    components = []
    for lab, members in zip(labels, var_groups, strict=True):
        rows = row_groups.get(int(lab), np.zeros(0, np.int64))
        entries = entry_groups.get(int(lab), np.zeros(0, np.int64))
        munis = group[members]
        served_muni, served_of = np.unique(munis[munis >= 0], return_inverse=True)
        local_group = np.full(len(members), -1, dtype=np.int64)
        local_group[munis >= 0] = served_of
        components.append(
            Component(
                pairs=variables[members],
                score=score[members],
                capacity=capacity[rows],
                a_row=local_row[a_r[entries]],
                a_col=local_col[a_c[entries]],
                a_val=a_v[entries],
                served_of=local_group if len(served_muni) else NO_GROUP,
                served_muni=served_muni.astype(np.int64) if len(served_muni) else NO_GROUP,
                equity=equity if len(served_muni) else 0.0,
            )
        )
    return components


def _groups(labels: np.ndarray, order: np.ndarray) -> list[tuple[int, np.ndarray]]:
    if len(order) == 0:
        return []
    sorted_labels = labels[order]
    uniq, starts = np.unique(sorted_labels, return_index=True)
    return list(zip(uniq.tolist(), np.split(order, starts[1:]), strict=True))
