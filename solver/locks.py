"""The `lock` rule, checked before solving: every lock is an eligible pair, and the locks alone fit
every packing rule. As all packing rules only limit from above, locks that pass leave a feasible
problem, so a fault is an input error naming the locks (constraints/lock.py has the rule's name).
"""

from __future__ import annotations

import numpy as np

from enmusubi.constraints import first_failing_rule, lock
from enmusubi.constraints.packing import PackingRows
from enmusubi.solver.data import ProblemData
from enmusubi.solver.errors import InputError, Issue
from enmusubi.solver.scoring import Candidates
from enmusubi.solver.tolerances import CAPACITY_EPS


def locked_pair_indices(data: ProblemData, cands: Candidates) -> np.ndarray:
    """Index into `cands` of every locked pair; raises InputError for ineligible locks."""
    if len(data.locks) == 0:
        return np.zeros(0, dtype=np.int64)
    keys = data.pair_keys(data.locks[:, 0], data.locks[:, 1])
    cand_keys = data.pair_keys(cands.partner, cands.position)
    order = np.argsort(cand_keys, kind="stable")
    pos = np.searchsorted(cand_keys[order], keys)
    pos = np.minimum(pos, max(len(order) - 1, 0))
    found = (len(order) > 0) & (cand_keys[order][pos] == keys) if len(order) else np.zeros(len(keys), bool)
    issues = []
    for k in np.flatnonzero(~found):
        i, j = int(data.locks[k, 0]), int(data.locks[k, 1])
        rule, detail = first_failing_rule(data, i, j)
        issues.append(
            Issue(
                f"locks[{k}]",
                f"{lock.NAME} {data.partner_ids[i]} -> {data.position_ids[j]} is not eligible: rule {rule}: {detail}",
            )
        )
    if issues:
        raise InputError(issues)
    return np.unique(order[pos])


def check_locks_fit(data: ProblemData, cands: Candidates, locked: np.ndarray, families: list[PackingRows]) -> None:
    """Raise InputError naming the locks and the rule when the locks alone break a packing rule."""
    chosen = np.zeros(len(cands), dtype=bool)
    chosen[locked] = True
    issues = []
    for family in families:
        usage = family.usage(chosen)
        for r in np.flatnonzero(usage > family.capacity + CAPACITY_EPS):
            members = np.flatnonzero(chosen & (family.row_of_pair == r))
            issues.append(
                Issue(
                    "locks",
                    f"locks cannot hold together: rule {family.name} for {family.row_labels[r]}: "
                    f"{usage[r]:g} > {family.capacity[r]:g} (locks {_describe_pairs(data, cands, members)})",
                )
            )
    if issues:
        raise InputError(issues)


def _describe_pairs(data: ProblemData, cands: Candidates, members: np.ndarray) -> str:
    return ", ".join(f"{data.partner_ids[cands.partner[m]]} -> {data.position_ids[cands.position[m]]}" for m in members)
