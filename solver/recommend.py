"""`recommend()`: the k best partners for a position (or positions for a partner), judged by
what placing each would do to the whole optimal allocation, not by its own score alone."""

from __future__ import annotations

import logging

import numpy as np
from pydantic import BaseModel, Field

from enmusubi.solver.errors import InputError, Issue
from enmusubi.solver.insight import Insight
from enmusubi.solver.lock_search import Base, PairSpace, deadline_after
from enmusubi.solver.outcome import StopFlag
from enmusubi.solver.problem import Problem
from enmusubi.solver.result import Result
from enmusubi.solver.solving import ProgressCallback

log = logging.getLogger(__name__)

MAX_K = 100


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
    objective_change_upper: float = Field(
        description="the exact change is at most this: equal to objective_change (within the spec's tolerance) "
        "when exact, above it when a time limit cut the proof short"
    )
    exact: bool = Field(description="objective_change is proven within the spec's tolerance")
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
    stop: StopFlag | None = None,
    insight: Insight | None = None,
    progress: ProgressCallback | None = None,
) -> Recommendation:
    """The k eligible pairs whose locking keeps the optimum highest, best first.

    Ties go to the higher pair score, then the id. Each objective change is the one
    `Insight.forced` gives (the same as explain's); candidates whose upper bound cannot reach
    the k-th best are never re-optimised. `insight` is a kept one for this problem (the service's
    cache), else one is built from `result` (or a fresh solve).
    """
    _check_arguments(position, partner, k)
    deadline = deadline_after(time_limit_seconds)
    if insight is None:
        insight = Insight.of(problem, result, deadline, stop, progress)
    space, base = insight.space, insight.base
    cands = space.cands
    open_pool, notes = insight.pool(position, partner)
    found, complete = insight.top(open_pool, k, deadline, stop, progress)
    if not complete or not base.proven:
        notes.append("the time limit ran out: objective changes are not proven optimal")
    candidates = []
    for f in found:
        partner_id, position_id = space.ids(f.candidate)
        candidates.append(
            Candidate(
                partner=partner_id if position is not None else None,
                position=position_id if partner is not None else None,
                score=float(cands.score[f.candidate]),
                breakdown=cands.breakdown(space.data, f.candidate),
                objective_change=f.change,
                objective_change_upper=f.change_upper,
                exact=f.exact and base.proven,
                displaces=displaced_pairs(space, base, f.chosen),
            )
        )
    log.info("recommend %s: %d candidate(s), %d cannot be placed", position or partner, len(candidates), len(notes))
    return Recommendation(
        position=position, partner=partner, candidates=candidates, base_objective=base.objective, note="; ".join(notes)
    )
