"""Scoring throughput: the vectorised hot path against the per-pair reference, side by side.

Pairs per second count every partner x position pair of the problem (that is the
work the scorer answers for). The reference is timed on a random sample of pairs
and extrapolated; peak memory is what numpy allocates during scoring (tracemalloc).
Run: .venv/bin/python -m benchmarks.scoring
"""

from __future__ import annotations

import random
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

from benchmarks.common import SEED, SIZES, write
from enmusubi.scenarios.generator import generate_problem
from enmusubi.solver.data import compile_problem
from enmusubi.solver.problem import parse_problem
from enmusubi.solver.scoring import score_candidates

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import reference

REFERENCE_SAMPLE = 100_000


def vectorised(data: Any, repeats: int = 3) -> tuple[float, int]:
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        cands = score_candidates(data)
        best = min(best, time.perf_counter() - t)
    return best, len(cands)


def reference_rate(problem: dict[str, Any], sample: int) -> float:
    ix = reference._index(problem)
    rng = random.Random(SEED)
    partners, positions = list(ix.partners), list(ix.positions)
    pairs = [(rng.choice(partners), rng.choice(positions)) for _ in range(sample)]
    t = time.perf_counter()
    for i, j in pairs:
        if reference._first_failing(ix, i, j) is None:
            reference._score(ix, i, j)
    return sample / (time.perf_counter() - t)


def peak_memory(data: Any) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    score_candidates(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main() -> dict[str, Any]:
    rows = []
    for n_partners, n_positions in SIZES:
        problem = generate_problem(n_partners, n_positions, seed=SEED)
        data = compile_problem(parse_problem(problem))
        seconds, eligible = vectorised(data)
        pairs = n_partners * n_positions
        ref_rate = reference_rate(problem, REFERENCE_SAMPLE)
        row = {
            "partners": n_partners,
            "positions": n_positions,
            "pairs": pairs,
            "eligible_pairs": eligible,
            "vectorised_seconds": seconds,
            "vectorised_pairs_per_second": pairs / seconds,
            "reference_pairs_per_second": ref_rate,
            "speedup": pairs / seconds / ref_rate,
            "scoring_peak_memory_mib": peak_memory(data) / 2**20,
        }
        rows.append(row)
        print(
            f"{n_partners:>6} x {n_positions:<5} vectorised {row['vectorised_pairs_per_second'] / 1e6:8.1f} M pairs/s "
            f"({seconds * 1e3:7.1f} ms), reference {ref_rate / 1e6:6.3f} M pairs/s, "
            f"x{row['speedup']:,.0f}, peak {row['scoring_peak_memory_mib']:.1f} MiB, {eligible:,} eligible",
            flush=True,
        )
    figures = {"scoring": rows}
    print("written", write("scoring", figures))
    return figures


if __name__ == "__main__":
    main()
