"""The optimisation model over candidate pairs, presolved and split into components.

Presolve uses only what the structure guarantees:
- locked pairs are fixed to 1 and their usage taken off the capacities;
- pairs with a score <= 0 are never worth choosing (unless locked) and are dropped;
- pairs that no longer fit a row's remaining capacity are dropped;
- a row whose pairs all fit together can never bind and is dropped;
- what is left falls apart into independent components, each solved on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from enmusubi.constraints import PACKING_RULES
from enmusubi.constraints.packing import PackingRows
from enmusubi.solver.components import component_labels
from enmusubi.solver.data import ProblemData
from enmusubi.solver.locks import check_locks_fit, locked_pair_indices
from enmusubi.solver.scoring import Candidates
from enmusubi.solver.tolerances import CAPACITY_EPS


@dataclass(frozen=True, eq=False)
class Component:
    """An independent sub-problem: maximise score @ x subject to A x <= capacity, x binary."""

    pairs: np.ndarray  # indices into Candidates
    score: np.ndarray
    capacity: np.ndarray  # per row
    a_row: np.ndarray  # COO of the constraint matrix: row, column, value
    a_col: np.ndarray
    a_val: np.ndarray

    @property
    def n_vars(self) -> int:
        return len(self.pairs)

    @property
    def n_rows(self) -> int:
        return len(self.capacity)

    def is_unit_single_row(self) -> bool:
        """One row with all coefficients 1: choosing the best `capacity` pairs is optimal."""
        return self.n_rows == 1 and bool(np.all(self.a_val == 1.0))

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

    keep = (cands.score > 0) & ~is_locked
    for family, room in zip(families, remaining, strict=True):
        in_row = family.row_of_pair >= 0
        fits = np.ones(len(cands), dtype=bool)
        fits[in_row] = family.coef[in_row] <= room[family.row_of_pair[in_row]] + CAPACITY_EPS
        keep &= fits
    variables = np.flatnonzero(keep)

    rows = binding_rows(families, remaining, variables)
    components = _split(variables, cands.score[variables], rows.row, rows.col, rows.val, rows.capacity)
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
) -> list[Component]:
    """Connected components of the variable-row graph, in a deterministic order."""
    n_v, n_r = len(variables), len(capacity)
    if n_v == 0:
        return []
    label = component_labels(n_v + n_r, a_c, n_v + a_r)
    var_label, row_label = label[:n_v], label[n_v:]
    var_order = np.argsort(var_label, kind="stable")
    row_order = np.argsort(row_label, kind="stable")
    var_bounds = np.searchsorted(var_label[var_order], np.unique(var_label), side="left")
    labels = np.unique(var_label)
    # Local column / row ids inside each component.
    local_col = np.empty(n_v, dtype=np.int64)
    local_row = np.empty(n_r, dtype=np.int64)
    var_groups = np.split(var_order, var_bounds[1:])
    row_groups = {int(lab): g for lab, g in _groups(row_label, row_order)}
    for group in var_groups:
        local_col[group] = np.arange(len(group))
    for group in row_groups.values():
        local_row[group] = np.arange(len(group))
    entry_label = var_label[a_c]
    entry_order = np.argsort(entry_label, kind="stable")
    entry_groups = {int(lab): g for lab, g in _groups(entry_label, entry_order)}
    components = []
    for lab, group in zip(labels, var_groups, strict=True):
        rows = row_groups.get(int(lab), np.zeros(0, np.int64))
        entries = entry_groups.get(int(lab), np.zeros(0, np.int64))
        components.append(
            Component(
                pairs=variables[group],
                score=score[group],
                capacity=capacity[rows],
                a_row=local_row[a_r[entries]],
                a_col=local_col[a_c[entries]],
                a_val=a_v[entries],
            )
        )
    return components


def _groups(labels: np.ndarray, order: np.ndarray) -> list[tuple[int, np.ndarray]]:
    if len(order) == 0:
        return []
    sorted_labels = labels[order]
    uniq, starts = np.unique(sorted_labels, return_index=True)
    return list(zip(uniq.tolist(), np.split(order, starts[1:]), strict=True))
