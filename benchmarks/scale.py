"""Large problems under a time limit: objective, bound and gap over time, and peak memory.

Instances: the Tokyo generator and the national generator (`--region japan`), seeded. Each
measurement runs in its own process (peak memory = that process's maximum resident set):
- enmusubi's `solve()` with the limit, recording objective and bound as they move (so the gap
  at every checkpoint comes from one run);
- at 20,000 x 2,000, a plain HiGHS MIP of the same model (benchmarks/solve.plain_highs) and
  enmusubi with CP-SAT, with the same limit.
The limit is 60 s up to 20,000 partners and 600 s above, unless --limit is given. A watchdog kills
a run whose resident memory (with its child processes: the root-bound process) passes
MEMORY_LIMIT_GIB, or that is still running OVERTIME_FACTOR x its limit + OVERTIME_SECONDS after it
started (both reported, not hidden). Figures go to benchmarks/results/scale.json, rewritten after
every run so that a long session that is cut short keeps what finished.

    .venv/bin/python -m benchmarks.scale [--instances tokyo:20000x2000:1 japan:100000x10000:1] [--limit 60]
        [--processes 1 2 --output scale_processes]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import signal
import time
from pathlib import Path
from typing import Any

from benchmarks.common import machine, write

MEMORY_LIMIT_GIB = 8.0
OVERTIME_FACTOR, OVERTIME_SECONDS = 1.5, 60.0
CHECKPOINTS = {60.0: (10.0, 30.0, 60.0), 300.0: (60.0, 300.0), 600.0: (60.0, 300.0, 600.0)}
SEEDS = (1, 2, 3)
DEFAULT_INSTANCES = [
    f"{region}:{size}:{seed}"
    for region, size in (("tokyo", "20000x2000"), ("japan", "20000x2000"), ("japan", "100000x10000"))
    for seed in SEEDS
]


def default_limit(partners: int) -> float:
    return 60.0 if partners <= 20_000 else 600.0


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
    figures["peak_rss_children_gib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    out.send(figures)


def _rss_gib(pid: int) -> float:
    """Resident memory of a process and its descendants (the solver's root-bound process)."""
    total = 0.0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 2**20
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += _rss_gib(int(child))
    except OSError:
        pass
    return total


def measure(kind: str, instance: tuple[str, int, int, int], limit: float) -> dict[str, Any]:
    receive, send = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(target=_run, args=(kind, instance, limit, send))
    started = time.monotonic()
    child.start()
    peak, killed, overtime = 0.0, False, False
    while child.is_alive():
        peak = max(peak, _rss_gib(child.pid or 0))
        if peak > MEMORY_LIMIT_GIB:
            killed = True
        # The child generates its instance first (up to ~70 s at 100,000 x 10,000): not counted in its limit.
        overtime = time.monotonic() - started > OVERTIME_FACTOR * limit + OVERTIME_SECONDS + _generation_allowance(
            instance
        )
        if killed or overtime:
            _kill_tree(child.pid or 0)
            break
        if receive.poll(0.5):
            break
    figures: dict[str, Any] = receive.recv() if not (killed or overtime) and receive.poll(60) else {}
    child.join()
    figures.update(
        {
            "method": kind,
            "wall_s": round(time.monotonic() - started, 1),
            "killed_over_memory": killed,
            "killed_over_time": overtime,
            "peak_rss_total_gib": peak,
        }
    )
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


def _generation_allowance(instance: tuple[str, int, int, int]) -> float:
    return 120.0 * instance[1] / 100_000


def _kill_tree(pid: int) -> None:
    """Kill a benchmark child and its own children (started by this benchmark, by pid)."""
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                _kill_tree(int(child))
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", nargs="*", default=DEFAULT_INSTANCES)
    parser.add_argument(
        "--limit", type=float, default=None, help="seconds (default: 60 up to 20,000 partners, else 600)"
    )
    parser.add_argument("--methods", nargs="*", default=["enmusubi", "plain_highs", "cpsat"])
    parser.add_argument(
        "--compare-up-to", type=int, default=20_000, help="plain HiGHS and CP-SAT up to this many partners"
    )
    parser.add_argument("--output", default="scale")
    parser.add_argument(
        "--processes",
        type=int,
        nargs="*",
        default=None,
        help="run enmusubi once with each ENMUSUBI_SEARCH_PROCESSES given (default: once, with the cores)",
    )
    args = parser.parse_args()
    runs = []
    command = ["--instances", *args.instances, "--methods", *args.methods]
    if args.limit is not None:
        command += ["--limit", str(args.limit)]
    if args.processes is not None:
        command += ["--processes", *map(str, args.processes)]
    started_with = machine()
    for text in args.instances:
        region, size, seed = text.split(":")
        partners, positions = (int(x) for x in size.split("x"))
        instance = (region, partners, positions, int(seed))
        limit = args.limit if args.limit is not None else default_limit(partners)
        counts: list[int | None] = list(args.processes or [None])
        for kind in args.methods:
            if kind != "enmusubi" and partners > args.compare_up_to:
                continue
            for processes in counts if kind == "enmusubi" else counts[:1]:
                if processes is not None:
                    os.environ["ENMUSUBI_SEARCH_PROCESSES"] = str(processes)  # the forked run inherits it
                figures = measure(kind, instance, limit)
                runs.append({"instance": text, "limit_s": limit, "processes": processes or "the cores", **figures})
                path = write(
                    args.output,
                    {
                        "runs": runs,
                        "machine_at_start": started_with,
                        "command": "python -m benchmarks.scale " + " ".join(command),
                    },
                )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
