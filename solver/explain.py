"""`explain()`: why a partner is (or is not) placed in a position, in the terms of PROBLEM.md.

Every eligibility rule is checked (not only the first that fails), the score is broken
into its terms, and a pair left out of the optimum gets the constraint that binds and
who holds the place, with what forcing it in would cost the whole allocation.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, Field

from enmusubi.constraints import ELIGIBILITY_RULES, count, first_failing_rule, hours, openings
from enmusubi.constraints import budget as budget_rule
from enmusubi.solver.insight import Insight
from enmusubi.solver.lock_search import Base, PairSpace, deadline_after
from enmusubi.solver.outcome import StopFlag
from enmusubi.solver.problem import Problem
from enmusubi.solver.recommend import Displaced, displaced_pairs
from enmusubi.solver.result import Result
from enmusubi.solver.scoring import Candidates, score_pairs
from enmusubi.solver.solving import Progress, ProgressCallback
from enmusubi.solver.tolerances import CAPACITY_EPS


class RuleCheck(BaseModel):
    name: str
    passed: bool
    detail: str


class Explanation(BaseModel):
    partner: str
    position: str
    eligible: bool
    rules: list[RuleCheck]
    score: float | None
    breakdown: dict[str, float]
    in_optimal: bool
    reason: str
    objective_change: float | None
    objective_change_upper: float | None = Field(
        default=None, description="the exact change is at most this (equal to objective_change when exact)"
    )
    exact: bool | None = Field(default=None, description="objective_change is proven within the spec's tolerance")
    displaces: list[Displaced]


def explain(
    problem: Problem,
    partner: str,
    position: str,
    *,
    result: Result | None = None,
    time_limit_seconds: float | None = None,
    stop: StopFlag | None = None,
    insight: Insight | None = None,
    progress: ProgressCallback | None = None,
) -> Explanation:
    """Explain one pair against the optimal allocation (`result` when given, else a fresh solve).

    `insight` is a kept one for this problem (the service's cache); the objective change is
    `Insight.forced`'s, the same recommend gives.
    """
    deadline = deadline_after(time_limit_seconds)
    if insight is None:
        insight = Insight.of(problem, result, deadline, stop, progress)
    space = insight.space
    data = space.data
    i, j = space.partner_of(partner), space.position_of(position)
    pair_i, pair_j = np.array([i]), np.array([j])
    rules = [
        RuleCheck(name=rule.NAME, passed=bool(rule.mask(data, pair_i, pair_j)[0]), detail=rule.describe(data, i, j))
        for rule in ELIGIBILITY_RULES
    ]
    k = space.candidate(i, j)
    if k is None:
        terms = score_pairs(data, pair_i, pair_j).breakdown(data, 0)
        rule, detail = first_failing_rule(data, i, j)
        return Explanation(
            partner=partner,
            position=position,
            eligible=False,
            rules=rules,
            score=None,
            breakdown=terms,
            in_optimal=False,
            reason=f"ineligible: rule {rule}: {detail}",
            objective_change=None,
            displaces=[],
        )
    base = insight.base
    score = float(space.cands.score[k])
    common = {
        "partner": partner,
        "position": position,
        "eligible": True,
        "rules": rules,
        "score": score,
        "breakdown": space.cands.breakdown(data, k),
    }
    if base.chosen[k]:
        return Explanation(
            **common,
            in_optimal=True,
            reason="",
            objective_change=0.0,
            objective_change_upper=0.0,
            exact=base.proven,
            displaces=[],
        )

    conflict = space.lock_conflict(k)
    blocked = None if conflict is None else f"it cannot be locked together with the problem's locks ({conflict})"
    change: float | None = None
    upper: float | None = None
    displaces: list[Displaced] = []
    proven: bool | None = None
    if blocked is None:
        if progress is not None:
            progress(Progress("proving", 0.0))
        best = insight.forced(k, deadline, stop)
        change, upper, proven = best.change, best.change_upper, best.exact and base.proven
        displaces = displaced_pairs(space, base, best.chosen)
    parts = [f"never worth choosing: its score {score:.6f} is <= 0"] if score <= 0 else _binding(space, base, k)
    if blocked is not None:
        parts.append(blocked)
    elif change is not None:
        unproven = f" (not proven: the exact change is between {change:+.6f} and {upper:+.6f})"
        parts.append(_forcing_text(change, displaces, bound_alone=bool(parts)) + ("" if proven else unproven))
    return Explanation(
        **common,
        in_optimal=False,
        reason="; ".join(parts),
        objective_change=change,
        objective_change_upper=upper,
        exact=proven,
        displaces=displaces,
    )


def _binding(space: PairSpace, base: Base, k: int) -> list[str]:
    """The packing rules the pair breaks on its own given the base allocation, with who holds the place."""
    data, cands = space.data, space.cands
    i, j = int(cands.partner[k]), int(cands.position[k])
    m = int(data.position_muni[j])
    chosen = np.flatnonzero(base.chosen)
    at_position = chosen[cands.position[chosen] == j]
    of_partner = chosen[cands.partner[chosen] == i]
    in_muni = chosen[data.position_muni[cands.position[chosen]] == m]
    parts = []
    if len(at_position) >= data.openings[j]:
        holders = ", ".join(
            f"{data.partner_ids[int(cands.partner[h])]} (score {cands.score[h]:.6f})"
            for h in _best_first(cands, at_position)
        )
        parts.append(
            f"{openings.NAME}: all {int(data.openings[j])} opening(s) of {data.position_ids[j]} are taken by {holders}"
        )
    used_hours = float(data.position_hours[cands.position[of_partner]].sum())
    if used_hours + data.position_hours[j] > data.partner_hours[i] + CAPACITY_EPS:
        parts.append(
            f"{hours.NAME}: {data.partner_ids[i]} has {used_hours:g} of {data.partner_hours[i]:g} h/week taken by "
            f"{_positions(space, of_partner)}; {data.position_ids[j]} needs {data.position_hours[j]:g}"
        )
    if len(of_partner) >= data.max_assignments[i]:
        parts.append(
            f"{count.NAME}: {data.partner_ids[i]} already holds {len(of_partner)} placement(s), their maximum "
            f"of {int(data.max_assignments[i])}" + (f" ({_positions(space, of_partner)})" if len(of_partner) else "")
        )
    left = float(data.muni_budget[m] - cands.cost[in_muni].sum())
    if left + CAPACITY_EPS < cands.cost[k]:
        parts.append(
            f"{budget_rule.NAME}: {data.muni_ids[m]} has ¥{left:,.0f} left of ¥{data.muni_budget[m]:,.0f}, "
            f"the pair costs ¥{cands.cost[k]:,.0f}"
        )
    return parts


def _best_first(cands: Candidates, members: np.ndarray) -> list[int]:
    return sorted(members.tolist(), key=lambda h: -float(cands.score[h]))


def _positions(space: PairSpace, members: np.ndarray) -> str:
    data, cands = space.data, space.cands
    if len(members) == 0:
        return "nothing"
    return ", ".join(
        f"{data.position_ids[int(cands.position[h])]} ({data.position_hours[cands.position[h]]:g} h, "
        f"score {cands.score[h]:.6f})"
        for h in _best_first(cands, members)
    )


def _forcing_text(change: float, displaces: list[Displaced], bound_alone: bool) -> str:
    pushed = ", ".join(f"{d.partner} -> {d.position} ({d.score:.6f})" for d in displaces) or "no placement"
    head = "forcing it in" if bound_alone else "no constraint binds alone, the combination is better: forcing it in"
    return f"{head} changes the optimum by {change:+.6f} (objective_change), displacing {pushed}"
