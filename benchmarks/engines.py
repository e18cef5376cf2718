"""The two engines side by side: HiGHS (the default) and CP-SAT, on the same components.

Each generated problem is presolved by enmusubi; its components are solved from the same
greedy start with the same gap, by HiGHS with enmusubi's options and by CP-SAT with one
and with two workers (this machine has two cores), each with the same time limit.
Figures go to benchmarks/results/engines.json.
Run: .venv/bin/python -m benchmarks.engines [--time-limit S]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.common import engine_components, time_components, write
from enmusubi.solver import cpsat_engine, highs_engine
from enmusubi.solver.model import Component
from enmusubi.solver.outcome import ComponentOutcome

PROBLEMS = ((900, 150, 4), (900, 150, 5), (900, 150, 7), (2_000, 300, 5))
Engine = Callable[[Component, np.ndarray, float, float], ComponentOutcome]
ENGINES: dict[str, Engine] = {
    "highs": lambda c, start, limit, gap: highs_engine.solve_component(c, start, limit, 0, absolute_gap=gap),
    "cpsat_1_worker": lambda c, start, limit, gap: cpsat_engine.solve_component(
        c, start, limit, 0, absolute_gap=gap, workers=1
    ),
    "cpsat_2_workers": lambda c, start, limit, gap: cpsat_engine.solve_component(
        c, start, limit, 0, absolute_gap=gap, workers=2
    ),
}


def run_engines(partners: int, positions: int, seed: int, time_limit: float) -> dict[str, Any]:
    hard, gap = engine_components(partners, positions, seed)
    row: dict[str, Any] = {"size": [partners, positions], "seed": seed, "variables": sum(c.n_vars for c in hard)}
    for name, engine in ENGINES.items():
        figures, _ = time_components(hard, lambda c, start, engine=engine: engine(c, start, time_limit, gap))
        figures["relative_gap"] = (figures["bound"] - figures["objective"]) / max(abs(figures["objective"]), 1e-9)
        row[name] = figures
    return row


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    rows = []
    for partners, positions, seed in PROBLEMS:
        row = run_engines(partners, positions, seed, args.time_limit)
        rows.append(row)
        cells = ", ".join(
            f"{name} {row[name]['seconds']:.2f} s ({'optimal' if row[name]['optimal'] else 'gap'} "
            f"{row[name]['relative_gap']:.2e})"
            for name in ENGINES
        )
        print(f"{partners}x{positions} seed {seed}: {cells}", flush=True)
    figures = {"time_limit_seconds": args.time_limit, "problems": rows}
    print("written", write("engines", figures))
    return figures


if __name__ == "__main__":
    main()
