"""The shared conformance cases (copied into tests/data/conformance/) through `solve()` and the CLI.

Each case's expected optimum was computed by an independent MIP; the engine must reach it
within PROBLEM.md §6's tolerance with an allocation the independent checker accepts.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from enmusubi.solver import load_problem, solve
from enmusubi.solver.result import Result
from tests import reference as ref
from tests.core_builders import CONFORMANCE, EXAMPLE_PATH

CASES = sorted(p.name.removesuffix(".problem.json") for p in CONFORMANCE.glob("case-*.problem.json"))
SMALL_CASES = [c for c in CASES if "scores" in json.loads((CONFORMANCE / f"{c}.expected.json").read_text())]
CLI_CASES = ["case-0001", "case-0004"]
EXAMPLE_OPTIMUM = 7.369305


def optimum_tolerance(optimum: float) -> float:
    """§6: an optimal result is within max(1e-3, 1e-6 * |optimum|) of the true optimum."""
    return max(1e-3, 1e-6 * abs(optimum))


@functools.cache
def load_case(case: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(problem dict, expected dict) of a conformance case."""
    problem = json.loads((CONFORMANCE / f"{case}.problem.json").read_text(encoding="utf-8"))
    expected = json.loads((CONFORMANCE / f"{case}.expected.json").read_text(encoding="utf-8"))
    return problem, expected


@functools.cache
def solved(case: str, engine: str = "auto") -> Result:
    return solve(load_problem(CONFORMANCE / f"{case}.problem.json"), engine=engine)  # type: ignore[arg-type]


def spec_scores(case: str, pairs: list[tuple[str, str]]) -> list[float]:
    """The spec's score of each pair: from the expected file where it lists them, else the reference."""
    problem, expected = load_case(case)
    if "scores" in expected:
        return [expected["scores"][f"{p}|{j}"] for p, j in pairs]
    return [ref.score(problem, p, j) for p, j in pairs]


def assert_conforms(case: str, result: Result | dict[str, Any]) -> None:
    """Status optimal, objective at the optimum, a valid allocation whose spec scores add up to it."""
    problem, expected = load_case(case)
    data = result.model_dump() if isinstance(result, Result) else result
    optimum = expected["optimum"]
    assert data["status"] == "optimal", data["message"]
    assert abs(data["objective"] - optimum) <= optimum_tolerance(optimum)
    pairs = [(a["partner"], a["position"]) for a in data["assignments"]]
    assert len(set(pairs)) == len(pairs), "a pair is chosen twice"
    assert ref.check_allocation(problem, pairs) == []
    assert abs(sum(spec_scores(case, pairs)) - optimum) <= optimum_tolerance(optimum)
    assert data["stats"]["eligible_pairs"] == expected["eligible_pairs"]


def test_all_cases_copied() -> None:
    assert len(CASES) == 14
    assert len(SMALL_CASES) == 12


@pytest.mark.parametrize("case", CASES)
def test_case_through_solve(case: str) -> None:
    assert_conforms(case, solved(case))


@pytest.mark.parametrize("case", SMALL_CASES)
def test_case_scores_of_assignments(case: str) -> None:
    """Every chosen pair reports the score the spec gives it, and the objective is their sum."""
    result = solved(case)
    scores = load_case(case)[1]["scores"]
    for a in result.assignments:
        assert a.score == pytest.approx(scores[f"{a.partner}|{a.position}"], abs=1e-6)
        assert sum(a.breakdown.values()) == pytest.approx(a.score, abs=1e-9)
    assert result.objective == pytest.approx(sum(a.score for a in result.assignments), abs=1e-9)


@pytest.mark.parametrize("case", SMALL_CASES)
def test_case_with_cpsat(case: str) -> None:
    result = solved(case, "cpsat")
    assert_conforms(case, result)
    assert result.reproducibility.engine == "cpsat"


def test_worked_example() -> None:
    """§8: optimum 7.369305 with exactly the documented four placements."""
    result = solve(load_problem(EXAMPLE_PATH))
    assert result.status == "optimal"
    assert result.objective == pytest.approx(EXAMPLE_OPTIMUM, abs=1e-6)
    assert result.pair_set() == {
        ("p-designer", "akishima-creator"),
        ("p-pm", "taito-pm"),
        ("p-remote", "tama-tool-training"),
        ("p-trainer", "tama-tool-training"),
    }
    assert result.stats.eligible_pairs == 5


def cli_command() -> list[str]:
    """The `enmusubi` console script of this interpreter's venv, or the module when it is not installed."""
    script = Path(sys.executable).with_name("enmusubi")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "enmusubi.service.cli.app"]


@pytest.mark.parametrize("case", CLI_CASES)
def test_case_through_cli(case: str, tmp_path: Path) -> None:
    """`enmusubi solve {problem} --out {result}` as the shared checker runs it."""
    out = tmp_path / "result.json"
    run = subprocess.run(
        [*cli_command(), "solve", str(CONFORMANCE / f"{case}.problem.json"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    written = json.loads(out.read_text(encoding="utf-8"))
    Result.model_validate(written)
    assert_conforms(case, written)
