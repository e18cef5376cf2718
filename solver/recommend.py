"""`recommend()`: the k best partners for a position (or positions for a partner), judged by
what placing each would do to the whole optimal allocation, not by its own score alone."""

from __future__ import annotations

import logging

import numpy as np
from pydantic import BaseModel, Field

from enmusubi.solver.errors import InputError, Issue
from enmusubi.solver.lock_search import (
    Base,
    BestLocked,
    PairSpace,
    base_allocation,
    best_with_one_of,
    deadline_after,
    locked_optimum,
    time_is_up,
)
from enmusubi.solver.problem import Problem
from enmusubi.solver.result import Result

log = logging.getLogger(__name__)

MAX_K = 100
TIE_DECIMALS = 9  # objective changes equal to this many decimals count as a tie


class Displaced(BaseModel):
    """A pair of the optimal allocation that is no longer in it once another pair is locked."""

    partner: str
    position: str
    municipality: str
    score: float


class Candidate(BaseModel):
    partner: str | None = Field(default=None, description="set when recommending partners for a position")
    position: str | None = Field(default=None, description="set when recommending positions for a partner")
    score: float
    breakdown: dict[str, float]
    objective_change: float = Field(
        description="optimum with the pair locked minus the optimum without (<= 0; 0 when already in the optimum)"
    )
    displaces: list[Displaced]


class Recommendation(BaseModel):
    position: str | None
    partner: str | None
    candidates: list[Candidate]
    base_objective: float
    note: str = Field(default="", description="eligible pairs that could not be placed, or a search cut short")


def displaced_pairs(space: PairSpace, base: Base, chosen: np.ndarray) -> list[Displaced]:
    """The base allocation's pairs missing from `chosen`, best score first."""
    data, cands = space.data, space.cands
    gone = np.flatnonzero(base.chosen & ~chosen)
    out = [
        Displaced(
            partner=data.partner_ids[int(cands.partner[k])],
            position=data.position_ids[int(cands.position[k])],
            municipality=data.muni_ids[int(data.position_muni[cands.position[k]])],
            score=float(cands.score[k]),
        )
        for k in gone.tolist()
    ]
    return sorted(out, key=lambda d: (-d.score, d.partner, d.position))


def _check_arguments(position: str | None, partner: str | None, k: int) -> None:
    if (position is None) == (partner is None):
        raise InputError(Issue("position", "give exactly one of position and partner"))
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise InputError(Issue("k", f"{k!r} is not an integer from 1 to {MAX_K}"))


def recommend(
    problem: Problem,
    *,
    position: str | None = None,
    partner: str | None = None,
    k: int = 5,
    result: Result | None = None,
    time_limit_seconds: float | None = None,
) -> Recommendation:
    """The k eligible pairs whose locking keeps the optimum highest, best first.

    Ties (to 1e-9) go to the higher pair score, then the id. Pairs already in the
    optimum cost nothing; each further candidate costs at most one MIP (see
    solver.lock_search), so the answer is exact over every eligible pair.
    """
    _check_arguments(position, partner, k)
    deadline = deadline_after(time_limit_seconds)
    space = PairSpace.of(problem)
    cands = space.cands
    if position is not None:
        pool = np.flatnonzero(cands.position == space.position_of(position))
    else:
        pool = np.flatnonzero(cands.partner == space.partner_of(str(partner)))
    base = base_allocation(space, problem, result, deadline)

    value: dict[int, float] = {int(c): base.objective for c in pool[base.chosen[pool]]}
    allocation: dict[int, np.ndarray] = {c: base.chosen for c in value}
    notes: list[str] = []
    open_pool: list[int] = []
    for c in pool[~base.chosen[pool]].tolist():
        conflict = space.lock_conflict(c)
        if conflict is None:
            open_pool.append(c)
        else:
            partner_id, position_id = space.ids(c)
            notes.append(f"{partner_id} -> {position_id} cannot be placed: {conflict}")
    proven = base.proven
    while len(value) < k and open_pool:
        if len(open_pool) == 1:  # the engine's own solve is faster for a single lock
            best: BestLocked | None = locked_optimum(space, problem, base, open_pool[0], deadline)
        else:
            best = best_with_one_of(space, np.array(open_pool), deadline)
        if best is None:
            if time_is_up(deadline):
                proven = False
            else:
                notes.append(f"{len(open_pool)} other eligible pair(s) cannot be placed")
            break
        for c in best.found.tolist():
            value[c], allocation[c] = best.value, best.chosen
        open_pool = [c for c in open_pool if c not in value]
        if not best.proven:
            proven = False
            break
    if not proven:
        notes.append("the time limit ran out: objective changes are not proven optimal")

    def rank(c: int) -> tuple[float, float, str, str]:
        partner_id, position_id = space.ids(c)
        return (-round(value[c] - base.objective, TIE_DECIMALS), -float(cands.score[c]), partner_id, position_id)

    candidates = []
    for c in sorted(value, key=rank)[:k]:
        partner_id, position_id = space.ids(c)
        candidates.append(
            Candidate(
                partner=partner_id if position is not None else None,
                position=position_id if partner is not None else None,
                score=float(cands.score[c]),
                breakdown=cands.breakdown(space.data, c),
                objective_change=value[c] - base.objective,
                displaces=displaced_pairs(space, base, allocation[c]),
            )
        )
    log.info("recommend %s: %d candidate(s) from %d eligible", position or partner, len(candidates), len(pool))
    return Recommendation(
        position=position, partner=partner, candidates=candidates, base_objective=base.objective, note="; ".join(notes)
    )
