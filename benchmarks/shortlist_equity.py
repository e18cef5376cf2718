"""Interview shortlists at 20,000 x 2,000, and the price of equity on the Tokyo data.

Shortlists: the generated 20,000 partners x 2,000 positions problem (parsed once, untimed);
the time is the whole `shortlist()` call (compile, scoring, the min-cost flow, the output),
best of three; the target is 5 s. Equity: the bundled Tokyo problem (900 x 150) solved to
proven optimality with weights.equity 0 and 1.0 side by side in one run; the price of equity
is the pair score given up for the municipalities it serves. A generated 900 x 150 problem
is measured the same way.
Run: .venv/bin/python -m benchmarks.shortlist_equity
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from benchmarks.common import SEED, write
from enmusubi.scenarios.generator import generate_problem
from enmusubi.solver import parse_problem, solve
from enmusubi.solver.problem import Problem, load_problem
from enmusubi.solver.shortlist import shortlist

TOKYO = Path(__file__).resolve().parents[1] / "scenarios" / "tokyo" / "problem.json"
SHORTLIST_SIZE = (20_000, 2_000)
SHORTLIST_TARGET_SECONDS = 5.0
EQUITY_WEIGHT = 1.0
REPEATS = 3


def shortlist_figures() -> dict[str, Any]:
    partners, positions = SHORTLIST_SIZE
    problem = parse_problem(generate_problem(partners, positions, seed=SEED))
    seconds = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        found = shortlist(problem)
        seconds.append(time.perf_counter() - started)
    candidates = sum(len(s.candidates) for s in found.shortlists)
    return {
        "partners": partners,
        "positions": positions,
        "seed": SEED,
        "size": found.size,
        "max_per_partner": found.max_per_partner,
        "seconds_best": min(seconds),
        "seconds_all": seconds,
        "target_seconds": SHORTLIST_TARGET_SECONDS,
        "within_target": min(seconds) <= SHORTLIST_TARGET_SECONDS,
        "covered": found.covered,
        "candidates": candidates,
        "total_score": found.total_score,
    }


def _with_equity(problem: Problem, weight: float) -> Problem:
    return problem.model_copy(update={"weights": problem.weights.model_copy(update={"equity": weight})})


def equity_figures(name: str, problem: Problem) -> dict[str, Any]:
    """Equity 0 and EQUITY_WEIGHT side by side, each solved without a time limit (so to proven optimality)."""
    runs = {}
    for weight in (0.0, EQUITY_WEIGHT):
        started = time.perf_counter()
        result = solve(_with_equity(problem, weight))
        runs[weight] = (time.perf_counter() - started, result)
    (plain_seconds, plain), (fair_seconds, fair) = runs[0.0], runs[EQUITY_WEIGHT]
    assert plain.score_total is not None and fair.score_total is not None
    return {
        "problem": name,
        "partners": len(problem.partners),
        "positions": len(problem.positions),
        "municipalities_with_positions": fair.municipalities_with_positions,
        "equity_weight": EQUITY_WEIGHT,
        "equity_0": {
            "seconds": plain_seconds,
            "status": plain.status,
            "objective": plain.objective,
            "served": plain.served_municipalities,
        },
        "equity_1": {
            "seconds": fair_seconds,
            "status": fair.status,
            "objective": fair.objective,
            "score_total": fair.score_total,
            "served": fair.served_municipalities,
            "variables": fair.stats.variables,
            "components": fair.stats.components,
            "unserved": [f"{u.municipality} ({u.reason})" for u in fair.unserved],
        },
        "time_ratio": fair_seconds / plain_seconds,
        "price_of_equity": plain.score_total - fair.score_total,
        "served_gained": (fair.served_municipalities or 0) - (plain.served_municipalities or 0),
    }


def main() -> dict[str, Any]:
    figures = {
        "shortlists": shortlist_figures(),
        "equity": [
            equity_figures("scenarios/tokyo/problem.json", load_problem(TOKYO)),
            equity_figures(f"generated 900 x 150 seed {SEED}", parse_problem(generate_problem(900, 150, seed=SEED))),
        ],
    }
    short = figures["shortlists"]
    print(
        f"shortlists {short['partners']} x {short['positions']}: {short['seconds_best']:.2f} s "
        f"(target {SHORTLIST_TARGET_SECONDS} s), {short['covered']} positions covered, {short['candidates']} candidates"
    )
    for row in figures["equity"]:
        print(
            f"equity on {row['problem']}: {row['equity_1']['status']} in {row['equity_1']['seconds']:.2f} s "
            f"(equity 0: {row['equity_0']['seconds']:.2f} s); served {row['equity_0']['served']} -> "
            f"{row['equity_1']['served']} of {row['municipalities_with_positions']}; "
            f"price {row['price_of_equity']:.6f}"
        )
    path = write("shortlist_equity", figures)
    print(f"written {path}")
    return figures


if __name__ == "__main__":
    main()
