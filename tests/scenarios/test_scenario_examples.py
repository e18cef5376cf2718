"""The example scenario files stay valid against the bundled Tokyo data (their ids are real ones)."""

from __future__ import annotations

from pathlib import Path

import pytest

from enmusubi.scenarios.scenario import build_variant, load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
EXAMPLES = sorted(SCENARIOS.glob("*.yaml"))
DOCS = SCENARIOS.parent / "docs" / "scenarios.md"


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_is_valid_on_the_bundled_data(path: Path) -> None:
    if not (SCENARIOS / "tokyo" / "problem.json").is_file():
        pytest.skip("scenarios/tokyo/problem.json is not generated yet")
    scenario = load_scenario(path)
    assert scenario.variants and scenario.name
    for variant in scenario.variants:
        build_variant(scenario.base, variant)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_says_how_to_run_it(path: Path) -> None:
    command = f".venv/bin/enmusubi scenario scenarios/{path.name} --out out/scenarios/{path.stem}"
    assert f"# Run: {command}" in path.read_text()
    assert command in DOCS.read_text(encoding="utf-8")
