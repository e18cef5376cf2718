"""`enmusubi solve` at the terminal: bad input is one clear line and exit code 2, never a traceback,
and no result file is written (nor an old one touched); good input gives a result and a summary."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from enmusubi.service.cli.app import app
from enmusubi.solver.result import Result
from tests.core_builders import example

EXAMPLE_OPTIMUM = "7.369305"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def write_problem(folder: Path, text: str, name: str = "problem.json") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def broken_example(folder: Path) -> Path:
    problem = example()
    problem["positions"][1]["required_skills"]["security"] = 7
    return write_problem(folder, json.dumps(problem))


def assert_one_line_error(stderr: str, *words: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    for word in words:
        assert word in lines[0]
    assert "Traceback" not in stderr


def test_invalid_problem(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    run = runner.invoke(app, ["solve", str(broken_example(tmp_path)), "--out", str(out)])
    assert run.exit_code == 2
    assert_one_line_error(run.stderr, "positions[1].required_skills.security", "level 7 is above 5")
    assert not out.exists()
    assert run.stdout == ""


def test_missing_file(runner: CliRunner, tmp_path: Path) -> None:
    absent = tmp_path / "absent.json"
    run = runner.invoke(app, ["solve", str(absent), "--out", str(tmp_path / "result.json")])
    assert run.exit_code == 2
    assert_one_line_error(run.stderr, str(absent), "no such file")
    assert not (tmp_path / "result.json").exists()


def test_invalid_json(runner: CliRunner, tmp_path: Path) -> None:
    path = write_problem(tmp_path, '{"version": 1,\n "partners": [}')
    run = runner.invoke(app, ["solve", str(path), "--out", str(tmp_path / "result.json")])
    assert run.exit_code == 2
    assert_one_line_error(run.stderr, str(path), "invalid JSON", "line 2")
    assert not (tmp_path / "result.json").exists()


@pytest.mark.parametrize("token", ["NaN", "Infinity"])
def test_non_finite_number(runner: CliRunner, tmp_path: Path, token: str) -> None:
    text = json.dumps(example(), indent=1).replace('"hourly_rate_yen": 7000', f'"hourly_rate_yen": {token}', 1)
    assert token in text
    run = runner.invoke(app, ["solve", str(write_problem(tmp_path, text)), "--out", str(tmp_path / "result.json")])
    assert run.exit_code == 2
    assert_one_line_error(run.stderr, "partners[1].hourly_rate_yen", "finite")
    assert not (tmp_path / "result.json").exists()


def test_ineligible_lock(runner: CliRunner, tmp_path: Path) -> None:
    problem = example()
    problem["locks"] = [{"partner": "p-remote", "position": "akishima-creator"}]
    run = runner.invoke(app, ["solve", str(write_problem(tmp_path, json.dumps(problem)))])
    assert run.exit_code == 2
    assert_one_line_error(run.stderr, "locks[0]", "skill")


def test_several_faults_lead_with_the_first(runner: CliRunner, tmp_path: Path) -> None:
    problem = example()
    problem["partners"][0]["hours_per_week"] = -1
    problem["partners"][2]["hourly_rat"] = 9000
    run = runner.invoke(app, ["solve", str(write_problem(tmp_path, json.dumps(problem)))])
    assert run.exit_code == 2
    first, *rest = run.stderr.strip().splitlines()
    assert first.startswith("error: ") and "(and 1 more)" in first
    assert [line.strip() for line in rest] == ["also: partners[2].hourly_rat: unknown field (check the spelling)"]
    assert "Traceback" not in run.stderr


def test_unknown_engine(runner: CliRunner, tmp_path: Path) -> None:
    path = write_problem(tmp_path, json.dumps(example()))
    run = runner.invoke(app, ["solve", str(path), "--engine", "gurobi", "--out", str(tmp_path / "r.json")])
    assert run.exit_code == 2
    assert_one_line_error(run.stderr, "--engine", "gurobi")
    assert not (tmp_path / "r.json").exists()


def test_negative_time_limit(runner: CliRunner, tmp_path: Path) -> None:
    path = write_problem(tmp_path, json.dumps(example()))
    run = runner.invoke(app, ["solve", str(path), "--time-limit", "-1"])
    assert run.exit_code == 2
    assert "time-limit" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_failed_run_leaves_the_previous_result_alone(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    out.write_text("previous result", encoding="utf-8")
    run = runner.invoke(app, ["solve", str(broken_example(tmp_path)), "--out", str(out)])
    assert run.exit_code == 2
    assert out.read_text(encoding="utf-8") == "previous result"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_valid_problem_writes_the_result_and_a_summary(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "nested" / "result.json"
    path = write_problem(tmp_path, json.dumps(example()))
    run = runner.invoke(app, ["solve", str(path), "--out", str(out)])
    assert run.exit_code == 0, run.stderr
    result = Result.model_validate_json(out.read_text(encoding="utf-8"))
    assert (result.status, f"{result.objective:.6f}") == ("optimal", EXAMPLE_OPTIMUM)
    assert "optimal" in run.stdout
    assert EXAMPLE_OPTIMUM in run.stdout
    assert str(out) in run.stdout.replace("\n", "")


def test_without_out_the_result_goes_to_stdout(runner: CliRunner, tmp_path: Path) -> None:
    path = write_problem(tmp_path, json.dumps(example()))
    run = runner.invoke(app, ["solve", str(path), "--quiet"])
    assert run.exit_code == 0, run.stderr
    assert Result.model_validate_json(run.stdout).status == "optimal"
    assert run.stderr == ""


def test_yaml_problem(runner: CliRunner, tmp_path: Path) -> None:
    yaml = pytest.importorskip("yaml")
    path = write_problem(tmp_path, yaml.safe_dump(example()), "problem.yaml")
    run = runner.invoke(app, ["solve", str(path), "--quiet", "--out", str(tmp_path / "r.json")])
    assert run.exit_code == 0, run.stderr
    assert Result.model_validate_json((tmp_path / "r.json").read_text(encoding="utf-8")).status == "optimal"


def test_real_process_exit_code_and_stderr(tmp_path: Path) -> None:
    """The same contract end to end, through the interpreter's own entry point."""
    out = tmp_path / "result.json"
    run = subprocess.run(
        [sys.executable, "-m", "enmusubi.service.cli.app", "solve", str(broken_example(tmp_path)), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    assert_one_line_error(run.stderr, "positions[1].required_skills.security", "level 7 is above 5")
    assert run.stdout == ""
    assert not out.exists()
