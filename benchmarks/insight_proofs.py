"""The floor under an exact forced-pair answer: how long HiGHS takes to PROVE the optimum with one
pair locked, even when handed that optimum as its start (an oracle), and what the cheap bounds
leave to prove.

For seeded random pairs left out of the optimum of a generated problem (its largest component):
the repair's lower bound and the LP's upper bound with the pair forced (their gap, and the time of
each), how many variables reduced-cost fixing from the base LP would fix with that gap, and the
whole-component MIP with the pair forced, timed three ways: from the neighbourhood's allocation
with the engine's options and with insight's PROOF_OPTIONS, and from the forced optimum itself
(the oracle) with the engine's options, PROOF_OPTIONS, and the fastest settings found (heuristics
and presolve off). Every run must reach the same optimum within the spec's tolerance.

    .venv/bin/python -m benchmarks.insight_proofs [--size 900x150] [--pairs 20]
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import highspy
import numpy as np

from benchmarks.common import SEED, size_parser, write
from enmusubi.scenarios.generator import generate_problem
from enmusubi.solver import highs_engine, parse_problem, solve
from enmusubi.solver.insight import NEIGHBOURHOOD_SIZE, PROOF_OPTIONS, Insight
from enmusubi.solver.model import Component
from enmusubi.solver.neighbourhood import around, reoptimise
from enmusubi.solver.repair import repair

Options = Mapping[str, bool | int | float | str]
FASTEST_FROM_THE_OPTIMUM: Options = {**PROOF_OPTIONS, "mip_heuristic_run_rins": False, "presolve": "off"}


def _proof(
    component: Component, var: int, start: np.ndarray, gap: float, options: Options
) -> tuple[float, float, int, np.ndarray]:
    """Seconds, optimum, nodes and allocation of the component MIP with `var` forced, from `start`."""
    lower = np.zeros(component.n_vars)
    lower[var] = 1.0
    h = highs_engine.configured_highs(None, 0, gap)
    for option, value in options.items():
        h.setOptionValue(option, value)
    h.passModel(highs_engine.binary_program(
        component.score, component.a_row, component.a_col, component.a_val, component.capacity, col_lower=lower
    ))  # fmt: skip
    solution = highspy.HighsSolution()
    solution.col_value = start.astype(np.float64)
    solution.value_valid = True
    h.setSolution(solution)
    started = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - started
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    chosen = np.asarray(h.getSolution().col_value) > 0.5
    return seconds, float(component.score[chosen].sum()), int(h.getInfo().mip_node_count), chosen


def _summary(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    at = lambda q: ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]  # noqa: E731
    return {"p50_s": round(at(0.5), 3), "p95_s": round(at(0.95), 3), "max_s": round(ordered[-1], 3)}


def run(partners: int, positions: int, n_pairs: int) -> dict[str, Any]:
    problem = parse_problem(generate_problem(partners, positions, seed=SEED))
    started = time.perf_counter()
    result = solve(problem)
    cold = time.perf_counter() - started
    insight = Insight.of(problem, result)
    c = int(np.argmax([comp.n_vars for comp in insight.model.components]))
    comp, incidence = insight.model.components[c], insight.incidence(c)
    relaxed = insight.relaxation(c)
    base = insight.base.chosen[comp.pairs]
    base_value = float(comp.score[base].sum())
    gap = 0.5 * insight.tolerance
    rng = np.random.default_rng(SEED)
    pairs = rng.choice(np.flatnonzero(~base), min(n_pairs, int((~base).sum())), replace=False)
    settings: dict[str, tuple[str, Options]] = {
        "from_neighbourhood_engine_options": ("neighbourhood", highs_engine.START_HEURISTICS_OFF),
        "from_neighbourhood_proof_options": ("neighbourhood", PROOF_OPTIONS),
        "oracle_engine_options": ("oracle", highs_engine.START_HEURISTICS_OFF),
        "oracle_proof_options": ("oracle", PROOF_OPTIONS),
        "oracle_fastest": ("oracle", FASTEST_FROM_THE_OPTIMUM),
    }
    times: dict[str, list[float]] = {name: [] for name in settings}
    rows = []
    for v in pairs.tolist():
        t = time.perf_counter()
        repaired = repair(comp, incidence, base, v)
        repair_s = time.perf_counter() - t
        t = time.perf_counter()
        upper = relaxed.forced_bound(v)
        lp_s = time.perf_counter() - t
        t = time.perf_counter()
        free = around(comp, incidence, np.array([v]), NEIGHBOURHOOD_SIZE)
        local = reoptimise(comp, repaired, free, np.array([v]), absolute_gap=gap).chosen
        neighbourhood_s = time.perf_counter() - t
        _, optimum, _, oracle = _proof(comp, v, local, gap, highs_engine.START_HEURISTICS_OFF)
        low = float(comp.score[repaired].sum())
        # Reduced-cost fixing from the base LP (exact): x_j = 1 with reduced cost d_j < 0 costs at least |d_j|, so
        # with the pair forced (d_v) and a lower bound `low`, any j with LP + d_v + d_j < low can be fixed to 0.
        d = relaxed.reduced_cost
        slack = relaxed.value + min(d[v], 0.0) - low
        fixable = int(np.sum((relaxed.x < 1e-9) & (d < -slack)) + np.sum((relaxed.x > 1 - 1e-9) & (d > slack)))
        row: dict[str, Any] = {
            "pair": int(v),
            "change": round(optimum - base_value, 6),
            "repair_ms": round(1e3 * repair_s, 2),
            "lp_ms": round(1e3 * lp_s, 2),
            "neighbourhood_ms": round(1e3 * neighbourhood_s, 1),
            "repair_gap": round(optimum - low, 6),
            "neighbourhood_gap": round(optimum - float(comp.score[local].sum()), 6),
            "lp_gap": round(upper - optimum, 6),
            "reduced_cost_fixable": fixable,
        }
        for name, (start, options) in settings.items():
            seconds, value, nodes, _ = _proof(comp, v, oracle if start == "oracle" else local, gap, options)
            assert abs(value - optimum) <= insight.tolerance, (name, value, optimum)
            times[name].append(seconds)
            row[name] = {"s": round(seconds, 3), "nodes": nodes}
        rows.append(row)
        print(row, flush=True)
    return {
        "size": f"{partners}x{positions}",
        "seed": SEED,
        "cold_solve_s": round(cold, 2),
        "component": {"variables": comp.n_vars, "rows": comp.n_rows},
        "lp_gap_of_the_base": round(relaxed.value - base_value, 6),
        "tolerance": insight.tolerance,
        "pairs": len(rows),
        "repair_exact": sum(r["repair_gap"] <= insight.tolerance for r in rows),
        "neighbourhood_exact": sum(r["neighbourhood_gap"] <= insight.tolerance for r in rows),
        "lp_closes": sum(r["lp_gap"] <= insight.tolerance for r in rows),
        "reduced_cost_fixable_median": int(np.median([r["reduced_cost_fixable"] for r in rows])),
        "proofs": {name: _summary(seconds) for name, seconds in times.items()},
        "per_pair": rows,
    }


def main() -> None:
    parser = size_parser(__doc__ or "")
    parser.add_argument("--pairs", type=int, default=20)
    args = parser.parse_args()
    partners, positions = args.size
    command = f"python -m benchmarks.insight_proofs --size {partners}x{positions} --pairs {args.pairs}"
    figures = run(partners, positions, args.pairs)
    print({k: v for k, v in figures.items() if k != "per_pair"})
    print(f"wrote {write('insight_proofs', {**figures, 'command': command})}")


if __name__ == "__main__":
    main()
