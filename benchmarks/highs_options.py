"""HiGHS's own settings against the ones enmusubi sets, on the same components, side by side.

Each generated problem is presolved by enmusubi; every component HiGHS would get is then solved
from the same greedy start twice, once with HiGHS's defaults and once with enmusubi's options
(solver.highs_engine.START_HEURISTICS_OFF), the order alternating between problems.
Figures go to benchmarks/results/highs_options_<partners>x<positions>.json.
Run: .venv/bin/python -m benchmarks.highs_options [--size 900 150] [--seeds 1 2 3]
"""

from __future__ import annotations

import argparse
from typing import Any

from benchmarks.common import engine_components, geometric_mean, time_components, write
from enmusubi.solver.highs_engine import START_HEURISTICS_OFF, solve_component

DEFAULT_SEEDS = (1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 14, 15, 16)
SETTINGS: dict[str, dict[str, bool | int | float | str]] = {"highs_defaults": {}, "enmusubi": START_HEURISTICS_OFF}


def time_settings(partners: int, positions: int, seed: int, first: str, time_limit: float) -> dict[str, Any]:
    hard, gap = engine_components(partners, positions, seed)
    order = sorted(SETTINGS, key=lambda name: name != first)
    row: dict[str, Any] = {"seed": seed, "variables": sum(c.n_vars for c in hard)}
    for name in order:
        options = SETTINGS[name]
        row[name], _ = time_components(
            hard,
            lambda c, start, options=options: solve_component(
                c, start, time_limit, 0, absolute_gap=gap, options=options
            ),
        )
    return row


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, nargs=2, default=(900, 150), metavar=("PARTNERS", "POSITIONS"))
    parser.add_argument("--seeds", type=int, nargs="+", default=list(DEFAULT_SEEDS))
    parser.add_argument("--time-limit", type=float, default=120.0)
    args = parser.parse_args()
    partners, positions = args.size
    rows = []
    for k, seed in enumerate(args.seeds):
        row = time_settings(partners, positions, seed, list(SETTINGS)[k % 2], args.time_limit)
        rows.append(row)
        print(
            f"{partners}x{positions} seed {seed}: HiGHS defaults {row['highs_defaults']['seconds']:.2f} s, "
            f"enmusubi's options {row['enmusubi']['seconds']:.2f} s",
            flush=True,
        )
    summary = {name: round(geometric_mean([r[name]["seconds"] for r in rows]), 3) for name in SETTINGS}
    faster = sum(r["enmusubi"]["seconds"] < r["highs_defaults"]["seconds"] for r in rows)
    figures = {
        "size": [partners, positions],
        "options": START_HEURISTICS_OFF,
        "geometric_mean_seconds": summary,
        "speedup": round(summary["highs_defaults"] / summary["enmusubi"], 2),
        "faster_with_enmusubi_options": f"{faster} of {len(rows)}",
        "problems": rows,
    }
    print(
        f"geometric mean: HiGHS defaults {summary['highs_defaults']:.2f} s, enmusubi {summary['enmusubi']:.2f} s "
        f"({figures['speedup']}x); faster on {figures['faster_with_enmusubi_options']}"
    )
    print("written", write(f"highs_options_{partners}x{positions}", figures))
    return figures


if __name__ == "__main__":
    main()
