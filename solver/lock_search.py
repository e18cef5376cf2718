"""What the optimum becomes when one more pair is locked — asked for many pairs at once.

Locking a pair can only lower the optimum. Ranking candidate pairs by their locked
optimum with one re-solve per pair costs a full MIP each. Instead one MIP answers
"the best allocation that holds at least one of these pairs" (the row
`sum x[c] >= 1` over the asked pairs): its optimum is the highest locked optimum
among them, and every asked pair in its solution attains it. Asking again without
the pairs found gives the next best, so the k best cost at most k solves, over every
asked pair rather than a shortlist.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import highspy
import numpy as np

from enmusubi.constraints import PACKING_RULES
from enmusubi.constraints.packing import PackingRows
from enmusubi.solver.data import ProblemData, compile_problem
from enmusubi.solver.errors import InputError, Issue, UnknownIdError
from enmusubi.solver.highs_engine import binary_program, configured_highs
from enmusubi.solver.locks import check_locks_fit, locked_pair_indices
from enmusubi.solver.objective import objective_value
from enmusubi.solver.outcome import StopFlag
from enmusubi.solver.problem import PairRef, Problem
from enmusubi.solver.result import Result
from enmusubi.solver.scoring import Candidates, score_candidates
from enmusubi.solver.solving import ProgressCallback, solve
from enmusubi.solver.tolerances import CAPACITY_EPS

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class PairSpace:
    """A problem's eligible pairs with their scores and packing rows, indexed by candidate number."""

    data: ProblemData
    cands: Candidates
    families: list[PackingRows]
    locked: np.ndarray  # bool per candidate

    @classmethod
    def of(cls, problem: Problem) -> PairSpace:
        data = compile_problem(problem)
        cands = score_candidates(data)
        families = [rule.rows(data, cands) for rule in PACKING_RULES]
        locked = np.zeros(len(cands), dtype=bool)
        locked[locked_pair_indices(data, cands)] = True
        return cls(data, cands, families, locked)

    @cached_property
    def _index(self) -> dict[tuple[int, int], int]:
        pairs = zip(self.cands.partner.tolist(), self.cands.position.tolist(), strict=True)
        return {pair: k for k, pair in enumerate(pairs)}

    def partner_of(self, partner_id: str) -> int:
        if partner_id not in self.data.partner_index:
            raise UnknownIdError("partner", partner_id)
        return self.data.partner_index[partner_id]

    def position_of(self, position_id: str) -> int:
        if position_id not in self.data.position_index:
            raise UnknownIdError("position", position_id)
        return self.data.position_index[position_id]

    def candidate(self, i: int, j: int) -> int | None:
        """The candidate number of pair (i, j), or None when it is not eligible."""
        return self._index.get((i, j))

    def ids(self, k: int) -> tuple[str, str]:
        return self.data.partner_ids[int(self.cands.partner[k])], self.data.position_ids[int(self.cands.position[k])]

    def mask(self, pairs: Iterable[tuple[str, str]]) -> np.ndarray:
        """Bool per candidate: the given (partner id, position id) pairs that are eligible."""
        chosen = np.zeros(len(self.cands), dtype=bool)
        for partner_id, position_id in pairs:
            i, j = self.data.partner_index.get(partner_id, -1), self.data.position_index.get(position_id, -1)
            k = self._index.get((i, j))
            if k is not None:
                chosen[k] = True
        return chosen

    def value(self, chosen: np.ndarray) -> float:
        """The objective of PROBLEM.md §6 and §9 (scores plus the equity reward)."""
        return objective_value(self.data, self.cands, chosen)

    def lock_conflict(self, k: int) -> str | None:
        """Why pair k cannot be locked together with the problem's locks, or None when it can."""
        together = np.flatnonzero(self.locked | (np.arange(len(self.cands)) == k))
        try:
            check_locks_fit(self.data, self.cands, together, self.families)
        except InputError as error:
            return error.first_line()
        return None


@dataclass(frozen=True)
class Base:
    """The optimal allocation everything is compared with."""

    chosen: np.ndarray  # bool per candidate
    objective: float
    proven: bool


def base_allocation(
    space: PairSpace,
    problem: Problem,
    result: Result | None,
    deadline: float | None,
    stop: StopFlag | None = None,
    progress: ProgressCallback | None = None,
) -> Base:
    """The given optimal result of this problem, or a fresh solve when none (or a stale one) is given."""
    if result is not None and result.reproducibility.input_digest != space.data.digest:
        raise InputError(Issue("result", "the result was solved from a different problem (its input digest differs)"))
    if result is None or result.status != "optimal":
        if result is not None:
            log.info("the given result is %s, not optimal: solving again", result.status)
        result = solve(problem, time_limit_seconds=_remaining(deadline), stop=stop, progress=progress)
    chosen = space.mask(result.pair_set())
    return Base(chosen, space.value(chosen), result.status == "optimal")


@dataclass(frozen=True)
class BestLocked:
    """The best allocation holding at least one asked pair, and which asked pairs it holds."""

    value: float
    chosen: np.ndarray  # bool per candidate
    found: np.ndarray  # candidate numbers of the asked pairs in `chosen`: each attains `value` when proven
    proven: bool


def best_with_one_of(space: PairSpace, asked: np.ndarray, deadline: float | None = None) -> BestLocked | None:
    """The optimum over allocations that hold at least one of the `asked` candidates.

    Returns None when no asked pair fits (with the problem's locks) or the time ran out
    before any allocation was found.
    """
    asked = np.unique(np.asarray(asked, dtype=np.int64))
    if len(asked) == 0:
        return None
    cands = space.cands
    is_asked = np.zeros(len(cands), dtype=bool)
    is_asked[asked] = True
    # Pairs scoring <= 0 never help unless asked or locked (PROBLEM.md §6), or with equity when
    # score + equity > 0, as the one pair that serves its municipality (§9).
    worth = cands.score + space.data.problem.weights.equity > 0
    columns = np.flatnonzero(worth | is_asked | space.locked)
    lp = _model(space, columns, is_asked[columns])
    highs = configured_highs(_remaining(deadline))
    highs.passModel(lp)
    highs.run()
    status = highs.getModelStatus()
    if status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        return None
    if highs.getInfo().primal_solution_status == 0:
        return None
    values = np.asarray(highs.getSolution().col_value, dtype=np.float64)[: len(columns)]
    chosen = np.zeros(len(cands), dtype=bool)
    chosen[columns[values > 0.5]] = True
    found = np.flatnonzero(chosen & is_asked)
    if len(found) == 0:
        return None
    return BestLocked(space.value(chosen), chosen, found, status == highspy.HighsModelStatus.kOptimal)


def _model(space: PairSpace, columns: np.ndarray, asked: np.ndarray) -> highspy.HighsLp:
    """max score @ x over `columns`: the packing rows that can bind, locks fixed, sum of asked x >= 1."""
    rows, cols, vals, lower, upper = [], [], [], [], []
    n_rows = 0
    for family in space.families:
        row = family.row_of_pair[columns]
        coef = family.coef[columns]
        in_row = row >= 0
        load = np.bincount(row[in_row], weights=coef[in_row], minlength=len(family.capacity))
        binding = load > family.capacity + CAPACITY_EPS
        if not binding.any():
            continue
        number = np.full(len(family.capacity), -1, dtype=np.int64)
        number[binding] = n_rows + np.arange(int(binding.sum()))
        n_rows += int(binding.sum())
        # Rows divided by their capacity: budgets in yen are a million times the other rows.
        scale = np.where(family.capacity > 1.0, family.capacity, 1.0)
        member = np.flatnonzero(in_row)
        member = member[binding[row[member]]]
        rows.append(number[row[member]])
        cols.append(member)
        vals.append(coef[member] / scale[row[member]])
        lower.append(np.full(int(binding.sum()), -highspy.kHighsInf))
        upper.append(family.capacity[binding] / scale[binding])
    witness = np.flatnonzero(asked)
    rows.append(np.full(len(witness), n_rows))
    cols.append(witness)
    vals.append(np.ones(len(witness)))
    lower.append(np.ones(1))
    upper.append(np.full(1, highspy.kHighsInf))
    n_rows += 1

    # Equity (PROBLEM.md §9): a served binary per municipality, served_m - sum of its pairs' x <= 0.
    equity = space.data.problem.weights.equity
    cost, col_lower = space.cands.score[columns], space.locked[columns]
    if equity > 0:
        muni = space.data.position_muni[space.cands.position[columns]]
        munis, group = np.unique(muni, return_inverse=True)
        n, g = len(columns), len(munis)
        rows += [n_rows + group, n_rows + np.arange(g)]
        cols += [np.arange(n), n + np.arange(g)]
        vals += [-np.ones(n), np.ones(g)]
        lower.append(np.full(g, -highspy.kHighsInf))
        upper.append(np.zeros(g))
        cost = np.concatenate([cost, np.full(g, equity)])
        col_lower = np.concatenate([col_lower, np.zeros(g, dtype=bool)])

    return binary_program(
        cost,
        np.concatenate(rows),
        np.concatenate(cols),
        np.concatenate(vals),
        row_upper=np.concatenate(upper),
        row_lower=np.concatenate(lower),
        col_lower=col_lower,
    )


def deadline_after(time_limit_seconds: float | None) -> float | None:
    """When the search must end; raises InputError for a limit that is not a number >= 0."""
    if time_limit_seconds is None:
        return None
    if isinstance(time_limit_seconds, bool) or not isinstance(time_limit_seconds, int | float):
        raise InputError(Issue("time_limit_seconds", f"{time_limit_seconds!r} is not a number"))
    if not math.isfinite(time_limit_seconds) or time_limit_seconds < 0:
        raise InputError(Issue("time_limit_seconds", f"{time_limit_seconds} is not a number >= 0"))
    return time.monotonic() + float(time_limit_seconds)


def locked_optimum(
    space: PairSpace, problem: Problem, base: Base, k: int, deadline: float | None, stop: StopFlag | None = None
) -> BestLocked:
    """The optimum with pair k locked, by the engine's own solve started from the base allocation.

    For a single pair the engine's presolve (locks taken off the capacities, components)
    makes this faster than the one-of MIP. The pair must fit the problem's locks (`lock_conflict`).
    """
    partner_id, position_id = space.ids(k)
    locked = problem.model_copy(update={"locks": [*problem.locks, PairRef(partner=partner_id, position=position_id)]})
    hint = [space.ids(h) for h in np.flatnonzero(base.chosen).tolist()]
    result = solve(locked, time_limit_seconds=_remaining(deadline), hint=hint, stop=stop)
    chosen = space.mask(result.pair_set())
    return BestLocked(space.value(chosen), chosen, np.array([k]), result.status == "optimal")


def time_is_up(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() >= deadline


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(deadline - time.monotonic(), 0.0)
