"""How the large-problem search would use more cores than this machine has: simulated cores.

The neighbourhood search solves a batch of disjoint neighbourhoods from one incumbent, one per worker
process (solver/parallel_search.py). With W workers a batch takes as long as its slowest sub-MIP. On
a machine with fewer cores, `SimulatedCores(W)` solves a batch's sub-MIPs one after another and moves
the search's clock by the longest of them only, so the search sees the time it would on W cores: the
sub-MIPs are real (real HiGHS runs, each with its own time limit, measured one at a time on a core of
its own), the batches and merges are the real ones, and everything outside the sub-MIPs (scoring,
LP, kernel, planning and merging each batch) counts in full. What it leaves out: memory bandwidth
shared by W processes and the cost of sending a task to a worker (~1 ms: a packed incumbent and the
free indices). The root-bound process runs as it does for real, on the second core of this machine.

Per instance and W: objective, bound and gap at 10, 30 and 60 s of the simulated clock, the batches
and neighbourhoods solved. W=2 is also run for real (two worker processes) as a check of the
simulation. Figures go to benchmarks/results/scale_cores.json.

    .venv/bin/python -m benchmarks.scale_cores [--instances tokyo:20000x2000:2] [--workers 1 2 4 8 16]
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from benchmarks.common import machine, write
from benchmarks.scale import _problem
from enmusubi.solver import parse_problem
from enmusubi.solver.data import compile_problem
from enmusubi.solver.greedy import greedy
from enmusubi.solver.large import solve_large
from enmusubi.solver.model import Component, build_model
from enmusubi.solver.outcome import StopFlag
from enmusubi.solver.parallel_search import Answer, InProcessPool, NeighbourhoodPool, Task, make_pool
from enmusubi.solver.scoring import score_candidates
from enmusubi.solver.tolerances import optimality_tolerance

CHECKPOINTS = (10.0, 30.0, 60.0)


class SimulatedCores(InProcessPool):
    """W workers simulated on one core: a batch's tasks run one after another, the clock moves by the longest."""

    def __init__(self, workers: int) -> None:
        super().__init__(workers)
        self.saved = 0.0  # seconds of sub-MIPs that W cores would have run at the same time as others
        self.tasks = 0

    def run(self, incumbent: np.ndarray, tasks: Sequence[Task], stop: StopFlag | None) -> list[Answer | None]:
        answers = super().run(incumbent, tasks, stop)
        times = [a.seconds for a in answers if a is not None]
        self.saved += sum(times) - max(times, default=0.0)
        self.tasks += len(tasks)
        return answers

    def clock(self) -> float:
        return time.monotonic() - self.saved


def run_one(
    instance: tuple[str, int, int, int], workers: int, simulated: bool, limit: float, log: logging.Logger
) -> dict[str, Any]:
    region, partners, positions, seed = instance
    """One search of the instance's large component as solve() would run it, by the simulated or real pool."""
    problem = parse_problem(_problem(*instance))
    started = time.monotonic()
    data = compile_problem(problem)
    cands = score_candidates(data)
    component: Component = max(build_model(data, cands).components, key=lambda c: c.n_vars)
    start = greedy(component)
    gap = 0.5 * optimality_tolerance(component.value(start))
    pool: NeighbourhoodPool = SimulatedCores(workers) if simulated else make_pool(workers)
    trace: list[tuple[float, float, float]] = []

    def heard(objective: float, bound: float) -> None:
        trace.append((pool.clock() - started, objective, bound))

    outcome = solve_large(component, start, started + limit, None, heard, gap, 0, pool=pool)
    ended = time.monotonic()
    figures: dict[str, Any] = {
        "instance": f"{region}:{partners}x{positions}:{seed}",
        "workers": workers,
        "simulated": simulated,
        "pairs": component.n_vars,
        "objective": outcome.objective,
        "bound": outcome.bound,
        "gap": (outcome.bound - outcome.objective) / outcome.objective,
        "real_seconds": round(ended - started, 1),
        "at": {},
    }
    if isinstance(pool, SimulatedCores):
        figures["simulated_seconds"] = round(ended - started - pool.saved, 1)
        figures["neighbourhoods"] = pool.tasks
    for t in (c for c in CHECKPOINTS if c <= limit):
        seen = [(o, b) for s, o, b in trace if s <= t]
        if seen:
            o, b = max(x[0] for x in seen), min(x[1] for x in seen)
            figures["at"][f"{t:g}s"] = {"objective": o, "bound": b, "gap": (b - o) / o}
    log.info("%s", figures)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", nargs="*", default=["tokyo:20000x2000:2", "japan:20000x2000:1"])
    parser.add_argument("--workers", nargs="*", type=int, default=[1, 2, 4, 8, 16])
    parser.add_argument("--real", nargs="*", type=int, default=[2], help="worker counts also run for real")
    parser.add_argument("--limit", type=float, default=60.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    log = logging.getLogger("benchmarks.scale_cores")
    runs = []
    started_with = machine()
    for text in args.instances:
        region, size, seed = text.split(":")
        partners, positions = (int(x) for x in size.split("x"))
        instance = (region, partners, positions, int(seed))
        plan = [(w, True) for w in args.workers] + [(w, False) for w in args.real]
        for workers, simulated in plan:
            runs.append(run_one(instance, workers, simulated, args.limit, log))
            write(
                "scale_cores",
                {
                    "runs": runs,
                    "machine_at_start": started_with,
                    "command": "python -m benchmarks.scale_cores --instances "
                    + " ".join(args.instances)
                    + " --workers "
                    + " ".join(map(str, args.workers))
                    + " --real "
                    + " ".join(map(str, args.real)),
                },
            )


if __name__ == "__main__":
    main()
