"""`enmusubi explain` and `enmusubi recommend`: terminal tables, --json, and one-line errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from enmusubi.service.cli.app import app
from enmusubi.solver.explain import Explanation
from enmusubi.solver.recommend import Recommendation

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "tests" / "data" / "example-small.json"
runner = CliRunner()


def enmusubi(*args: str | Path) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def test_explain_json_is_the_model_on_stdout() -> None:
    run = enmusubi("explain", EXAMPLE, "p-remote", "akishima-creator", "--json")
    assert run.exit_code == 0, run.output
    found = Explanation.model_validate_json(run.stdout)
    assert found.reason == "ineligible: rule skill: graphic_design 2 < 3"
    assert [r.name for r in found.rules] == ["skill", "onsite", "commute", "rate", "excluded", "hours", "budget"]


def test_explain_terminal_shows_rules_terms_and_reason() -> None:
    run = enmusubi("explain", EXAMPLE, "p-pm", "tama-tool-training")
    assert run.exit_code == 0, run.output
    out = run.stdout
    # Names beside the ids.
    assert "p-pm (C. Manager) → tama-tool-training (SaaS tool trainer)" in out
    assert "not in the optimal allocation" in out
    for name in ("skill", "onsite", "commute", "rate", "excluded", "hours", "budget"):
        assert name in out
    assert "✓" in out and "✗" not in out
    assert "+0.880000" in out  # the score row
    assert "openings: all 2 opening(s) of tama-tool-training are taken by" in out.replace("\n", " ")
    assert "-0.248889" in out


def test_explain_terminal_marks_failing_rules() -> None:
    run = enmusubi("explain", EXAMPLE, "p-remote", "akishima-creator")
    assert run.exit_code == 0
    assert "✗" in run.stdout and "graphic_design 2 < 3" in run.stdout


def test_explain_with_a_result_file(tmp_path: Path) -> None:
    solved = enmusubi("solve", EXAMPLE, "--out", tmp_path / "r.json", "--quiet")
    assert solved.exit_code == 0, solved.output
    run = enmusubi("explain", EXAMPLE, "p-pm", "taito-pm", "--result", tmp_path / "r.json", "--json")
    assert run.exit_code == 0, run.output
    assert Explanation.model_validate_json(run.stdout).in_optimal


def test_recommend_json_for_a_position() -> None:
    run = enmusubi("recommend", EXAMPLE, "--position", "tama-tool-training", "--json")
    assert run.exit_code == 0, run.output
    found = Recommendation.model_validate_json(run.stdout)
    assert [c.partner for c in found.candidates] == ["p-trainer", "p-remote", "p-pm"]
    assert found.candidates[2].objective_change == pytest.approx(-0.248889, abs=1e-6)


def test_recommend_terminal_ranks_positions_for_a_partner() -> None:
    run = enmusubi("recommend", EXAMPLE, "--partner", "p-pm", "-k", "2")
    assert run.exit_code == 0, run.output
    lines = run.stdout.splitlines()
    first = next(k for k, line in enumerate(lines) if "taito-pm" in line)
    second = next(k for k, line in enumerate(lines) if "tama-tool-training" in line)
    assert first < second
    assert "-0.248889" in lines[second] and "p-remote" in lines[second]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("explain", EXAMPLE, "nobody", "taito-pm"), "error: unknown partner 'nobody'"),
        (("explain", EXAMPLE, "p-pm", "nowhere"), "error: unknown position 'nowhere'"),
        (("recommend", EXAMPLE, "--position", "nowhere"), "error: unknown position 'nowhere'"),
        (("recommend", EXAMPLE, "--partner", "nobody", "--json"), "error: unknown partner 'nobody'"),
        (("recommend", EXAMPLE), "error: position: give exactly one of position and partner"),
        (("recommend", EXAMPLE, "--position", "taito-pm", "--partner", "p-pm"), "error: position: give exactly one"),
        (("recommend", EXAMPLE, "--position", "taito-pm", "-k", "0"), "error: k: 0 is not an integer from 1 to 100"),
        (("explain", EXAMPLE, "p-pm", "taito-pm", "--time-limit", "-1"), "error: time_limit_seconds: -1.0 is not"),
        (("explain", Path("/nonexistent/problem.json"), "p-pm", "taito-pm"), "error: /nonexistent/problem.json"),
    ],
)
def test_bad_input_exits_2_with_one_line(args: tuple, message: str) -> None:
    run = enmusubi(*args)
    assert run.exit_code == 2
    assert len(run.stderr.splitlines()) == 1
    assert run.stderr.startswith(message)
    assert run.stdout == ""


def test_invalid_problem_file_exits_2(tmp_path: Path) -> None:
    problem = json.loads(EXAMPLE.read_text())
    problem["partners"][0]["hours_per_week"] = -1
    (tmp_path / "bad.json").write_text(json.dumps(problem))
    run = enmusubi("recommend", tmp_path / "bad.json", "--position", "taito-pm")
    assert run.exit_code == 2
    assert run.stderr.startswith("error: partners[0].hours_per_week")


def test_a_result_file_of_another_problem_is_refused(tmp_path: Path) -> None:
    problem = json.loads(EXAMPLE.read_text())
    problem["period_weeks"] = 5
    (tmp_path / "other.json").write_text(json.dumps(problem))
    assert enmusubi("solve", tmp_path / "other.json", "--out", tmp_path / "r.json", "--quiet").exit_code == 0
    run = enmusubi("explain", EXAMPLE, "p-pm", "taito-pm", "--result", tmp_path / "r.json")
    assert run.exit_code == 2
    assert run.stderr.startswith("error: result: the result was solved from a different problem")
