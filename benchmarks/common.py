"""Shared helpers of the benchmarks: the machine they ran on and writing figures to JSON."""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from enmusubi.scenarios.generator import generate_problem
from enmusubi.solver import parse_problem
from enmusubi.solver.data import compile_problem
from enmusubi.solver.greedy import greedy
from enmusubi.solver.model import Component, build_model
from enmusubi.solver.outcome import ComponentOutcome
from enmusubi.solver.scoring import score_candidates
from enmusubi.solver.tolerances import OPTIMALITY_ABSOLUTE

RESULTS = Path(__file__).parent / "results"
SIZES = ((900, 150), (2_000, 300), (20_000, 2_000))
SEED = 7


def machine() -> dict[str, Any]:
    mem_kib = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 2**20, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": os.getloadavg(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def size(text: str) -> tuple[int, int]:
    """A problem size as the command lines give it: PARTNERSxPOSITIONS (argparse `type=`)."""
    partners, positions = (int(x) for x in text.split("x"))
    return partners, positions


def size_parser(doc: str, default: str = "900x150") -> argparse.ArgumentParser:
    """A benchmark's command line with --size PARTNERSxPOSITIONS (parsed to a pair of ints)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--size", default=size(default), type=size)
    return parser


def write(name: str, figures: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **figures}, indent=2) + "\n")
    return path


def engine_components(partners: int, positions: int, seed: int) -> tuple[list[Component], float]:
    """The components of a generated problem that solve() hands an engine, and the gap it stops at
    (half the spec's 1e-3 shared among them: these optima are under 1,000)."""
    data = compile_problem(parse_problem(generate_problem(partners, positions, seed=seed)))
    model = build_model(data, score_candidates(data))
    hard = [c for c in model.components if not (c.is_free() or c.is_unit_single_row())]
    return hard, 0.5 * OPTIMALITY_ABSOLUTE / max(len(hard), 1)


def geometric_mean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def time_components(
    hard: list[Component],
    solve_one: Callable[[Component, np.ndarray], ComponentOutcome],
    starts: list[np.ndarray] | None = None,
) -> tuple[dict[str, Any], list[ComponentOutcome]]:
    """Solve every component one after another from its start (the greedy one, timed too, if none
    is given): the wall time and the summed outcome, and the outcomes."""
    started = time.perf_counter()
    outcomes = [solve_one(c, greedy(c, None) if starts is None else starts[k]) for k, c in enumerate(hard)]
    figures = {
        "seconds": time.perf_counter() - started,
        "optimal": all(o.optimal for o in outcomes),
        "objective": sum(o.objective for o in outcomes),
        "bound": sum(o.bound for o in outcomes),
    }
    return figures, outcomes
