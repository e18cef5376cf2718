"""`enmusubi scenario` end to end: four variants on the Tokyo data, and bad files refused with exit code 2."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from enmusubi.scenarios.generator import generate_problem
from enmusubi.solver import Result

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "scenarios" / "tokyo" / "problem.json"
EXAMPLE = ROOT / "tests" / "data" / "example-small.json"
TIME_LIMIT = 20  # per solve: keeps the test bounded however hard the bundled data is


def cli_command() -> list[str]:
    script = Path(sys.executable).with_name("enmusubi")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "enmusubi.service.cli.app"]


def enmusubi(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*cli_command(), *args], capture_output=True, text=True, timeout=600, cwd=ROOT)


@pytest.fixture(scope="module")
def tokyo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled Tokyo problem, or the same generator's default while the bundled file is not there yet."""
    if BUNDLED.is_file():
        return BUNDLED
    path = tmp_path_factory.mktemp("tokyo") / "problem.json"
    path.write_text(json.dumps(generate_problem(900, 150, seed=0)))
    return path


def four_questions(problem: dict[str, Any], base: Path) -> dict[str, Any]:
    budgeted = [m["id"] for m in problem["municipalities"] if m["budget_yen"] is not None]
    openings: Counter[str] = Counter()
    for p in problem["positions"]:
        if p["municipality"] in budgeted:
            openings[p["municipality"]] += p["openings"]
    busiest = sorted(openings, key=lambda m: (-openings[m], m))[0]
    leaving = [p["id"] for p in problem["partners"][:5]]
    return {
        "version": 1,
        "name": "Four questions",
        "base": str(base),
        "time_limit_seconds": TIME_LIMIT,
        "variants": [
            {"name": "As it is", "changes": []},
            {"name": "Busiest budget +30%", "changes": [{"municipality": busiest, "set": {"budget_yen": "*1.3"}}]},
            {"name": "Five partners leave", "changes": [{"remove": {"partners": leaving}}]},
            {"name": "Commute matters more", "changes": [{"weights": {"commute": 1.0}}]},
        ],
    }


def test_four_variants_on_tokyo_data(tokyo: Path, tmp_path: Path) -> None:
    scenario = tmp_path / "four.yaml"
    scenario.write_text(yaml.safe_dump(four_questions(json.loads(tokyo.read_text()), tokyo)))
    out = tmp_path / "out"
    run = enmusubi("scenario", str(scenario), "--out", str(out))
    assert run.returncode == 0, run.stderr
    for name in ("As it is", "Busiest budget +30%", "Five partners leave", "Commute matters more"):
        assert name in run.stdout

    comparison = json.loads((out / "comparison.json").read_text())
    base = Result.model_validate_json((out / comparison["base"]["result"]).read_text())
    assert comparison["base"]["objective"] == base.objective
    assert comparison["base"]["filled_openings"] == len(base.assignments)
    assert [v["slug"] for v in comparison["variants"]] == [
        "as-it-is",
        "busiest-budget-30",
        "five-partners-leave",
        "commute-matters-more",
    ]
    report = (out / "report.md").read_text()
    assert re.search(r"- \S.* budget ×1\.3 → ¥[\d,]+\n", report)  # changes in words, with the new value
    assert "<svg" in (out / "report.html").read_text()
    for slug in ["base", *(v["slug"] for v in comparison["variants"])]:  # every result has its own output folder
        for name in ("assignments.csv", "unfilled.csv", "municipalities.csv", "result.xlsx", "report.md"):
            assert (out / slug / name).is_file(), (slug, name)
        assert (out / slug / "report.html").read_text().count("<svg") == 4
    for entry in comparison["variants"]:
        variant = Result.model_validate_json((out / entry["result"]).read_text())
        diff = entry["diff"]
        assert f"## {entry['name']}" in report
        assert diff["status"] == variant.status and diff["optimal"] == (variant.status == "optimal")
        assert diff["objective"] == {
            "base": base.objective,
            "variant": variant.objective,
            "change": variant.objective - base.objective,
        }
        assert diff["filled_openings"]["change"] == len(variant.assignments) - len(base.assignments)
        added = {(p["partner"], p["position"]) for p in diff["pairs_added"]}
        removed = {(p["partner"], p["position"]) for p in diff["pairs_removed"]}
        assert added == variant.pair_set() - base.pair_set()
        assert removed == base.pair_set() - variant.pair_set()
        spent = {m.id: m.spent_yen for m in variant.municipalities}
        for m in diff["spend"]:
            assert m["variant"] == spent.get(m["id"])
    as_it_is = comparison["variants"][0]["diff"]
    if base.status == "optimal":  # a stopped base may be improved on by its own re-solve
        assert as_it_is["unchanged"] and as_it_is["pairs_added"] == as_it_is["pairs_removed"] == []


def test_an_invalid_scenario_writes_nothing(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "base": str(EXAMPLE),
                "variants": [
                    {"name": "fine", "changes": []},
                    {"name": "Creator role may be remote", "changes": [{"position": "nope", "set": {"openings": 2}}]},
                ],
            }
        )
    )
    run = enmusubi("scenario", str(scenario), "--out", str(tmp_path / "out"))
    assert run.returncode == 2
    assert run.stderr == (
        "error: variants[1].changes[0]: variant 'Creator role may be remote', change 0: unknown position 'nope'\n"
    )
    assert not (tmp_path / "out").exists()


def test_unreadable_files_exit_2(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("version: 1\nvariants: [\n")
    for path in (tmp_path / "broken.yaml", tmp_path / "missing.yaml"):
        run = enmusubi("scenario", str(path), "--out", str(tmp_path / "out"))
        assert run.returncode == 2 and run.stderr.startswith("error: ") and "Traceback" not in run.stderr
    assert not (tmp_path / "out").exists()


def test_sequential_run_of_the_small_example(tmp_path: Path) -> None:
    scenario = tmp_path / "small.json"
    remove = {"name": "p-pm leaves", "changes": [{"remove": {"partners": ["p-pm"]}}]}
    scenario.write_text(json.dumps({"version": 1, "base": str(EXAMPLE), "variants": [remove]}))
    run = enmusubi("scenario", str(scenario), "--out", str(tmp_path / "out"), "--sequential", "--quiet")
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""
    comparison = json.loads((tmp_path / "out" / "comparison.json").read_text())
    assert (comparison["name"], comparison["parallel"], comparison["workers"]) == ("small", False, 1)
    [variant] = comparison["variants"]
    assert [(p["partner"], p["position"]) for p in variant["diff"]["pairs_removed"]] == [("p-pm", "taito-pm")]
    assert variant["changes"] == [{"remove": {"partners": ["p-pm"]}}]
    assert variant["notes"] == []
