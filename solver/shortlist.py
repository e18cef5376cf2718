"""Interview shortlists (PROBLEM.md §10), exact as a min-cost flow.

source -> position j: one arc of capacity 1 earning a coverage bonus, one of capacity
size - 1 earning nothing; position j -> partner i: capacity 1 earning score(i, j);
partner i -> sink: capacity max_per_partner; source -> sink: a free bypass so that
no unit has to be placed. The bonus exceeds the largest total score any shortlisting
can reach, so a min-cost flow first covers as many positions as possible, then takes
the largest total score: the lexicographic order of §10, solved by OR-Tools in one go.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from ortools.graph.python import min_cost_flow
from pydantic import BaseModel, ConfigDict, Field

from enmusubi.solver.data import compile_problem
from enmusubi.solver.errors import InputError, Issue
from enmusubi.solver.integerize import flow_costs
from enmusubi.solver.problem import Problem, parse_problem
from enmusubi.solver.result import InputWarning
from enmusubi.solver.scoring import score_candidates
from enmusubi.solver.warnings import input_warnings

DEFAULT_SIZE = 3
MAX_SIZE = 20
DEFAULT_MAX_PER_PARTNER = 2
MAX_PER_PARTNER = 50


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Candidate(_Out):
    partner: str
    score: float
    breakdown: dict[str, float] = Field(description="the weighted score terms; they add up to score")


class Shortlist(_Out):
    position: str
    candidates: list[Candidate] = Field(description="best score first, ties by partner id")
    reason: str | None = Field(default=None, description="why the position has no candidate")


class Shortlists(_Out):
    shortlists: list[Shortlist]
    covered: int = Field(description="positions with at least one candidate")
    total_score: float = Field(description="sum of the shortlisted pairs' scores")
    size: int
    max_per_partner: int
    warnings: list[InputWarning] = Field(default_factory=list)

    def to_json(self, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent, exclude_none=True)


def check_limits(size: Any, max_per_partner: Any) -> None:
    """Raise InputError naming the argument when a limit is not a whole number in its range."""
    issues = []
    for name, value, top in (("size", size, MAX_SIZE), ("max_per_partner", max_per_partner, MAX_PER_PARTNER)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
            issues.append(Issue(name, f"{value!r} is not a whole number in 1..{top}"))
    if issues:
        raise InputError(issues)


def _chosen_pairs(
    position: np.ndarray, partner: np.ndarray, score: np.ndarray, n_positions: int, size: int, max_per_partner: int
) -> np.ndarray:
    """Bool per pair: the lexicographically best shortlisting (coverage, then total score)."""
    n_partners = int(partner.max()) + 1 if len(partner) else 0
    degree = np.bincount(position, minlength=n_positions)
    room = np.minimum(degree, size)
    # Any shortlisting's total score is at most the sum over positions of their `size` best scores.
    order = np.lexsort((-score, position))
    rank = np.arange(len(order)) - np.searchsorted(position[order], position[order], side="left")
    best_total = float(score[order][rank < size].sum())
    n_nodes = n_positions + n_partners + 2
    pair_cost, bonus = flow_costs(score, best_total, n_nodes)
    source, sink = n_positions + n_partners, n_positions + n_partners + 1
    positions = np.arange(n_positions, dtype=np.int32)
    partners = np.arange(n_partners, dtype=np.int32)
    tails = np.concatenate([np.full(2 * n_positions, source), position, n_positions + partners, [source]])
    heads = np.concatenate([positions, positions, n_positions + partner, np.full(n_partners, sink), [sink]])
    capacity = np.concatenate(
        [np.minimum(room, 1), np.maximum(room - 1, 0), np.ones(len(partner)), np.full(n_partners, max_per_partner)]
    )
    total = int(room.sum())
    capacity = np.concatenate([capacity, [total]])
    cost = np.concatenate(
        [np.full(n_positions, -bonus), np.zeros(n_positions), -pair_cost, np.zeros(n_partners), [0]]
    ).astype(np.int64)
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), capacity.astype(np.int64), cost
    )
    flow.set_nodes_supplies(np.array([source, sink], dtype=np.int32), np.array([total, -total], dtype=np.int64))
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status}")
    pair_arcs = arcs[2 * n_positions : 2 * n_positions + len(partner)]
    chosen: np.ndarray = np.asarray(flow.flows(pair_arcs)) > 0
    return chosen


def shortlist(
    problem: Problem | Mapping[str, Any], *, size: int = DEFAULT_SIZE, max_per_partner: int = DEFAULT_MAX_PER_PARTNER
) -> Shortlists:
    """Up to `size` candidates per position, no partner on more than `max_per_partner` shortlists:
    as many positions covered as possible, then the largest total score (PROBLEM.md §10)."""
    check_limits(size, max_per_partner)
    if not isinstance(problem, Problem):
        problem = parse_problem(problem)
    data = compile_problem(problem)
    cands = score_candidates(data)
    # Locks are ignored and forbidden pairs are already ineligible; only scores above 0 qualify.
    qualifies = np.flatnonzero(cands.score > 0)
    chosen = qualifies[
        _chosen_pairs(
            cands.position[qualifies],
            cands.partner[qualifies],
            cands.score[qualifies],
            data.n_positions,
            size,
            max_per_partner,
        )
    ]
    eligible = np.bincount(cands.position, minlength=data.n_positions)
    positive = np.bincount(cands.position[qualifies], minlength=data.n_positions)
    # `chosen` keeps the candidates' order, by position.
    starts = np.searchsorted(cands.position[chosen], np.arange(data.n_positions + 1))
    lists = []
    for j, position_id in enumerate(data.position_ids):
        members = sorted(
            chosen[starts[j] : starts[j + 1]].tolist(),
            key=lambda k: (-float(cands.score[k]), data.partner_ids[int(cands.partner[k])]),
        )
        candidates = [
            Candidate(
                partner=data.partner_ids[int(cands.partner[k])],
                score=float(cands.score[k]),
                breakdown=cands.breakdown(data, int(k)),
            )
            for k in members
        ]
        reason = None
        if not candidates:
            if eligible[j] == 0:
                reason = "no eligible partner"
            elif positive[j] == 0:
                reason = f"no eligible partner scores above 0 (its {int(eligible[j])} eligible partner(s) score <= 0)"
            else:
                reason = (
                    f"its {int(positive[j])} eligible partner(s) are all on {max_per_partner} other shortlists "
                    "(max_per_partner)"
                )
        lists.append(Shortlist(position=position_id, candidates=candidates, reason=reason))
    return Shortlists(
        shortlists=lists,
        covered=sum(1 for s in lists if s.candidates),
        total_score=float(cands.score[chosen].sum()),
        size=size,
        max_per_partner=max_per_partner,
        warnings=input_warnings(problem),
    )
