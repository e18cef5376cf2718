"""Tiny hand-made problems for the core engine's tests, and views of the engine keyed by ids.

Builders take the spec's own field names (PROBLEM.md §2) as keyword arguments, so a test
reads like the problem file it stands for. Optional fields are left out unless given,
which keeps the spec's defaults in play.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from enmusubi import solver
from enmusubi.constraints import first_failing_rule
from enmusubi.solver.data import compile_problem
from enmusubi.solver.result import Result
from enmusubi.solver.scoring import Candidates, score_candidates

Problem = dict[str, Any]
Pair = tuple[str, str]

DATA = Path(__file__).resolve().parent / "data"
CONFORMANCE = DATA / "conformance"
EXAMPLE_PATH = DATA / "example-small.json"

# Taito City Hall; a partner living here commutes 15 minutes (the station allowance) to it.
TOKYO_LAT, TOKYO_LON = 35.7126, 139.78
# Hachijo-jima: far beyond any commute limit from central Tokyo (about 290 km).
ISLAND_LAT, ISLAND_LON = 33.1125, 139.7894


def municipality(mid: str = "m1", **fields: Any) -> dict[str, Any]:
    """A municipality at Taito with no budget limit unless `budget_yen` is given."""
    return {"id": mid, "name": mid.upper(), "lat": TOKYO_LAT, "lon": TOKYO_LON, "budget_yen": None, **fields}


def position(pid: str, municipality: str = "m1", **fields: Any) -> dict[str, Any]:
    """A remote 4 h/week position with no required skill unless told otherwise."""
    return {"id": pid, "municipality": municipality, "title": f"Title of {pid}", "hours_per_week": 4, **fields}


def partner(pid: str, **fields: Any) -> dict[str, Any]:
    """A partner living next to the default municipality: 10 h/week at ¥5,000/h."""
    return {
        "id": pid,
        "name": f"Name of {pid}",
        "skills": {},
        "lat": TOKYO_LAT,
        "lon": TOKYO_LON,
        "hours_per_week": 10,
        "hourly_rate_yen": 5000,
        **fields,
    }


def problem(
    positions: list[dict[str, Any]],
    partners: list[dict[str, Any]],
    municipalities: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> Problem:
    """A version-1 problem file (a plain dict) with one default municipality unless given."""
    return {
        "version": 1,
        "municipalities": municipalities if municipalities is not None else [municipality()],
        "positions": positions,
        "partners": partners,
        **fields,
    }


def busy_partners() -> Problem:
    """Three partners (4 h, 3 placements each) for 8 one-hour openings: optimum 16, found by the MIP engine
    (the hours and count rows bind together, so no shortcut solves it)."""
    positions = [position(f"j{k}", hours_per_week=1, openings=3 if k == 3 else 1) for k in range(6)]
    return problem(positions, [partner(f"p{i}", hours_per_week=4, hourly_rate_yen=0) for i in range(3)])


def two_towns(equity: float, cost_weight: float = 0.5) -> Problem:
    """One partner who may take one position: a central ward's (full fit) or a small town's (half fit)."""
    return problem(
        [
            position("ward-job", municipality="ward", required_skills={"pm": 1}),
            position("town-job", municipality="town", required_skills={"pm": 1}, preferred_skills={"design": 1}),
        ],
        [partner("p", skills={"pm": 5}, max_assignments=1, hourly_rate_yen=1000)],
        [municipality("ward"), municipality("town", budget_yen=20_000)],
        weights={"equity": equity, "cost": cost_weight},
    )


def example() -> Problem:
    """A fresh copy of the spec's §8 worked example."""
    return json.loads(EXAMPLE_PATH.read_text(encoding="utf-8"))


def pair_refs(*pairs: Pair) -> list[dict[str, str]]:
    """[(partner, position), ...] as the problem file's {partner, position} entries."""
    return [{"partner": p, "position": j} for p, j in pairs]


def candidates(problem_dict: Problem) -> tuple[Candidates, dict[Pair, int]]:
    """The engine's vectorised candidates and the index of each (partner id, position id)."""
    data = compile_problem(solver.parse_problem(problem_dict))
    cands = score_candidates(data)
    index = {
        (data.partner_ids[int(i)], data.position_ids[int(j)]): k
        for k, (i, j) in enumerate(zip(cands.partner, cands.position, strict=True))
    }
    return cands, index


def engine_scores(problem_dict: Problem) -> dict[Pair, float]:
    """Score of every eligible pair according to the engine's vectorised scoring."""
    cands, index = candidates(problem_dict)
    return {pair: float(cands.score[k]) for pair, k in index.items()}


def failing_rule(problem_dict: Problem, partner_id: str, position_id: str) -> tuple[str | None, str]:
    """The engine's first failing eligibility rule of a pair and its detail, by ids."""
    data = compile_problem(solver.parse_problem(problem_dict))
    return first_failing_rule(data, data.partner_index[partner_id], data.position_index[position_id])


def chosen(result: Result) -> set[Pair]:
    """The (partner, position) pairs a result chose."""
    return {(a.partner, a.position) for a in result.assignments}


def solve_pairs(problem_dict: Problem, **options: Any) -> set[Pair]:
    """Solve and return the chosen pairs, after checking the result is proven optimal."""
    result = solver.solve(copy.deepcopy(problem_dict), **options)
    assert result.status == "optimal", result.message
    return chosen(result)


def unfilled_reasons(result: Result) -> dict[str, str]:
    """position id -> reason, for every position left with open openings."""
    return {u.position: u.reason for u in result.unfilled}
