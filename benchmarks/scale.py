"""Large problems under a time limit: objective, bound and gap over time, and peak memory.

Instances: the Tokyo generator and the national generator (`--region japan`), seeded. Each
measurement runs in its own process (peak memory = that process's maximum resident set):
- enmusubi's `solve()` with the limit, recording objective and bound as they move (so the gap
  at every checkpoint comes from one run);
- at 20,000 x 2,000, a plain HiGHS MIP of the same model (benchmarks/solve.plain_highs) and
  enmusubi with CP-SAT, with the same limit.
A watchdog kills a run whose resident memory passes MEMORY_LIMIT_GIB (reported, not hidden).
Figures go to benchmarks/results/scale.json.

    .venv/bin/python -m benchmarks.scale [--instances tokyo:20000x2000:7 japan:20000x2000:1] [--limit 60]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import time
from pathlib import Path
from typing import Any

from benchmarks.common import write

MEMORY_LIMIT_GIB = 8.0
CHECKPOINTS = {60.0: (10.0, 30.0, 60.0), 300.0: (60.0, 300.0), 600.0: (60.0, 300.0, 600.0)}


def _problem(region: str, partners: int, positions: int, seed: int) -> dict[str, Any]:
    if region == "japan":
        from enmusubi.scenarios.japan_generator import generate_japan_problem

        return generate_japan_problem(partners, positions, seed=seed)
    from enmusubi.scenarios.generator import generate_problem

    return generate_problem(partners, positions, seed=seed)


def _run(kind: str, instance: tuple[str, int, int, int], limit: float, out: Any) -> None:
    """Child process: one method on one instance; its figures through the pipe."""
    problem = _problem(*instance)
    started = time.monotonic()
    trace: list[tuple[float, float | None, float | None]] = []
    if kind == "plain_highs":
        from benchmarks.solve import plain_highs

        figures = plain_highs(problem, limit)
        figures = {"objective": figures["objective"], "bound": figures["bound"], "status": str(figures["optimal"])}
    else:
        from enmusubi.solver import parse_problem, solve
        from enmusubi.solver.solving import Progress

        parsed = parse_problem(problem)
        started = time.monotonic()

        def progress(p: Progress) -> None:
            if p.objective is not None:
                trace.append((time.monotonic() - started, p.objective, p.bound))

        result = solve(
            parsed, time_limit_seconds=limit, engine="cpsat" if kind == "cpsat" else "highs", progress=progress
        )
        figures = {
            "objective": result.objective,
            "bound": result.best_bound,
            "status": result.status,
            "variables": result.stats.variables,
            "eligible_pairs": result.stats.eligible_pairs,
        }
    figures["seconds"] = time.monotonic() - started
    figures["trace"] = trace
    figures["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    out.send(figures)


def _rss_gib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return 0.0


def measure(kind: str, instance: tuple[str, int, int, int], limit: float) -> dict[str, Any]:
    receive, send = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(target=_run, args=(kind, instance, limit, send))
    started = time.monotonic()
    child.start()
    peak, killed = 0.0, False
    while child.is_alive():
        peak = max(peak, _rss_gib(child.pid or 0))
        if peak > MEMORY_LIMIT_GIB:
            child.kill()
            killed = True
            break
        if receive.poll(0.5):
            break
    figures: dict[str, Any] = receive.recv() if not killed and receive.poll(5 * limit) else {}
    child.join()
    figures.update({"method": kind, "wall_s": round(time.monotonic() - started, 1), "killed_over_memory": killed})
    figures.setdefault("peak_rss_gib", peak)
    obj, bound = figures.get("objective"), figures.get("bound")
    if obj is not None and bound is not None:
        figures["gap"] = (bound - obj) / max(abs(obj), 1e-9)
    checkpoints = CHECKPOINTS.get(limit, (limit,))
    trace = figures.get("trace") or []
    figures["at"] = {}
    for t in checkpoints:
        seen = [(o, b) for s, o, b in trace if s <= t]
        if seen:
            o = max(x[0] for x in seen)
            b = min(x[1] for x in seen if x[1] is not None)
            figures["at"][f"{t:g}s"] = {"objective": o, "bound": b, "gap": (b - o) / max(abs(o), 1e-9)}
    figures.pop("trace", None)
    print(kind, instance, json.dumps({k: v for k, v in figures.items() if k != "at"}), figures["at"], flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", nargs="*", default=["tokyo:20000x2000:7", "japan:20000x2000:1"])
    parser.add_argument("--limit", type=float, default=60.0)
    parser.add_argument("--methods", nargs="*", default=["enmusubi", "plain_highs", "cpsat"])
    args = parser.parse_args()
    runs = []
    for text in args.instances:
        region, size, seed = text.split(":")
        partners, positions = (int(x) for x in size.split("x"))
        instance = (region, partners, positions, int(seed))
        for kind in args.methods:
            runs.append({"instance": text, "limit_s": args.limit, **measure(kind, instance, args.limit)})
    command = ["--instances", *args.instances, "--limit", str(args.limit), "--methods", *args.methods]
    path = write(
        f"scale_{int(args.limit)}s", {"runs": runs, "command": "python -m benchmarks.scale " + " ".join(command)}
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
