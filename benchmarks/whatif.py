"""What-if variants that change one thing (remove one partner, raise or cut one municipality's
budget by 20 %), solved the way scenarios/run.py solves them (from the base's allocation as the
hint), against a cold solve of the base and of the variant itself, in the same run.

Every variant's objective must equal its cold solve's within the spec's tolerance.

    .venv/bin/python -m benchmarks.whatif [--size 900x150] [--each 3]
"""

from __future__ import annotations

import copy
import statistics
import time
from typing import Any

from benchmarks.common import SEED, size_parser, write
from enmusubi.scenarios.generator import generate_problem
from enmusubi.solver import parse_problem, solve
from enmusubi.solver.tolerances import optimality_tolerance


def _timed(problem: dict[str, Any], hint: list[tuple[str, str]] | None = None) -> tuple[float, Any]:
    parsed = parse_problem(problem)
    started = time.perf_counter()
    result = solve(parsed, hint=hint)
    return time.perf_counter() - started, result


def _variants(problem: dict[str, Any], placed: set[str], each: int) -> list[tuple[str, dict[str, Any]]]:
    """`each` partners holding a placement removed, and `each` municipalities' budgets raised and cut."""
    out = []
    for partner in sorted(placed)[:each]:
        variant = copy.deepcopy(problem)
        variant["partners"] = [p for p in variant["partners"] if p["id"] != partner]
        out.append((f"remove partner {partner}", variant))
    budgeted = [m["id"] for m in problem["municipalities"] if m.get("budget_yen")][:each]
    for factor, verb in ((1.2, "raise"), (0.8, "cut")):
        for muni in budgeted:
            variant = copy.deepcopy(problem)
            for m in variant["municipalities"]:
                if m["id"] == muni:
                    m["budget_yen"] = round(m["budget_yen"] * factor)
            out.append((f"{verb} budget of {muni} by 20 %", variant))
    return out


def run(partners: int, positions: int, each: int) -> dict[str, Any]:
    problem = generate_problem(partners, positions, seed=SEED)
    colds = []
    for _ in range(3):
        seconds, base = _timed(problem)
        colds.append(seconds)
    cold = statistics.median(colds)
    hint = sorted(base.pair_set())
    rows = []
    for name, variant in _variants(problem, {a.partner for a in base.assignments}, each):
        hinted_s, hinted = _timed(variant, hint)
        cold_s, fresh = _timed(variant)
        assert hinted.status == fresh.status == "optimal"
        assert abs(hinted.objective - fresh.objective) <= optimality_tolerance(fresh.objective), name
        rows.append(
            {
                "variant": name,
                "from_base_s": round(hinted_s, 3),
                "cold_s": round(cold_s, 3),
                "share_of_base_cold": round(hinted_s / cold, 3),
                "objective_change": round(hinted.objective - base.objective, 6),
            }
        )
        print(rows[-1], flush=True)
    shares = [r["share_of_base_cold"] for r in rows]
    return {
        "size": f"{partners}x{positions}",
        "seed": SEED,
        "cold_solve_s": round(cold, 3),
        "variants": rows,
        "share_median": round(statistics.median(shares), 3),
        "share_max": round(max(shares), 3),
    }


def main() -> None:
    parser = size_parser(__doc__ or "")
    parser.add_argument("--each", type=int, default=3, help="partners removed, budgets raised and budgets cut")
    args = parser.parse_args()
    figures = run(*args.size, args.each)
    command = "python -m benchmarks.whatif --size {}x{} --each {}".format(*args.size, args.each)
    print(f"wrote {write('whatif', {**figures, 'command': command})}")


if __name__ == "__main__":
    main()
