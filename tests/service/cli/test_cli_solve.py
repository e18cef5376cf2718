"""`enmusubi solve` through the CLI: result files, CSV folders in, output folders out, and input errors (exit 2)."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from enmusubi.service.cli.app import app
from enmusubi.service.io.csv_folder import write_csv_folder
from enmusubi.service.io.outputs import OUTPUT_FILES
from enmusubi.solver import Result
from tests.reference import check_allocation

ROOT = Path(__file__).resolve().parents[3]
TOKYO = ROOT / "scenarios" / "tokyo" / "problem.json"
EXAMPLE = ROOT / "tests" / "data" / "example-small.json"
EXAMPLE_OPTIMUM = 7.369305
runner = CliRunner()


def enmusubi(*args: str | Path) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_result_json_out_writes_just_that_file(tmp_path: Path) -> None:
    run = enmusubi("solve", EXAMPLE, "--out", tmp_path / "r.json", "--time-limit", "30")
    assert run.exit_code == 0, run.output
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]
    result = Result.model_validate_json((tmp_path / "r.json").read_text())
    assert result.status == "optimal"
    assert result.objective == pytest.approx(EXAMPLE_OPTIMUM, abs=1e-6)


def test_no_out_prints_the_result_json_on_stdout() -> None:
    run = enmusubi("solve", EXAMPLE, "--quiet")
    assert run.exit_code == 0
    assert Result.model_validate_json(run.stdout).objective == pytest.approx(EXAMPLE_OPTIMUM, abs=1e-6)


@pytest.mark.parametrize("out", ["r.json", "outdir"])
def test_invalid_problem_exits_2_with_one_line_and_writes_nothing(tmp_path: Path, out: str) -> None:
    problem = json.loads(EXAMPLE.read_text())
    problem["positions"][0]["hours_per_week"] = -4
    (tmp_path / "bad.json").write_text(json.dumps(problem))
    run = enmusubi("solve", tmp_path / "bad.json", "--out", tmp_path / out)
    assert run.exit_code == 2
    assert run.stderr.splitlines() == ["error: positions[0].hours_per_week: Input should be greater than 0 (got -4)"]
    assert not (tmp_path / out).exists()


def test_a_csv_folder_solves_like_its_json(tmp_path: Path) -> None:
    write_csv_folder(json.loads(EXAMPLE.read_text()), tmp_path / "csv")
    assert enmusubi("solve", EXAMPLE, "--out", tmp_path / "a.json").exit_code == 0
    assert enmusubi("solve", tmp_path / "csv", "--out", tmp_path / "b.json").exit_code == 0
    a = Result.model_validate_json((tmp_path / "a.json").read_text())
    b = Result.model_validate_json((tmp_path / "b.json").read_text())
    assert a.reproducibility.input_digest == b.reproducibility.input_digest
    assert a.pair_set() == b.pair_set() and a.objective == b.objective


def bad_csv_folder(tmp_path: Path, file_name: str, line: int, column: str, value: str) -> Path:
    folder = tmp_path / "csv"
    write_csv_folder(json.loads(EXAMPLE.read_text()), folder)
    rows = list(csv.reader(io.StringIO((folder / file_name).read_text(encoding="utf-8-sig"))))
    rows[line - 1][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    (folder / file_name).write_text(out.getvalue())
    return folder


@pytest.mark.parametrize(
    ("file_name", "line", "column", "value", "message"),
    [
        ("partners.csv", 3, "hourly_rate_yen", "lots", "partners.csv:3:hourly_rate_yen: 'lots' is not a number"),
        ("positions.csv", 2, "municipality", "13999", "positions.csv:2:municipality: unknown municipality '13999'"),
        ("municipalities.csv", 1, "budget_yen", "budget", "municipalities.csv:1:budget: unknown column; known:"),
    ],
)
def test_bad_csv_rows_exit_2_naming_file_row_and_column(
    tmp_path: Path, file_name: str, line: int, column: str, value: str, message: str
) -> None:
    folder = bad_csv_folder(tmp_path, file_name, line, column, value)
    run = enmusubi("solve", folder, "--out", tmp_path / "out")
    assert run.exit_code == 2
    assert run.stderr.startswith(f"error: {message}")
    assert "Traceback" not in run.output
    assert not (tmp_path / "out").exists()


def test_an_impossible_lock_found_while_solving_names_its_csv_row(tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    problem = json.loads(EXAMPLE.read_text())
    problem["locks"] = [
        {"partner": "p-pm", "position": "taito-pm"},
        {"partner": "p-remote", "position": "akishima-creator"},
    ]
    write_csv_folder(problem, folder)
    run = enmusubi("solve", folder, "--out", tmp_path / "r.json")
    assert run.exit_code == 2
    assert run.stderr.startswith("error: locks.csv:3: lock p-remote -> akishima-creator is not eligible: rule skill")
    assert not (tmp_path / "r.json").exists()


@pytest.mark.parametrize("case", ["file", "input folder", "input file", "another problem folder", "bad engine"])
def test_unusable_arguments_exit_2_before_solving(tmp_path: Path, case: str) -> None:
    folder = tmp_path / "csv"
    write_csv_folder(json.loads(EXAMPLE.read_text()), folder)
    (tmp_path / "notes.txt").write_text("keep me")
    (tmp_path / "p.json").write_text(EXAMPLE.read_text())
    args = {
        "file": ["solve", folder, "--out", tmp_path / "notes.txt"],
        "input folder": ["solve", folder, "--out", folder],
        "input file": ["solve", tmp_path / "p.json", "--out", tmp_path / "p.json"],
        "another problem folder": ["solve", EXAMPLE, "--out", folder],
        "bad engine": ["solve", folder, "--out", tmp_path / "o", "--engine", "gurobi"],
    }[case]
    run = enmusubi(*args)
    assert run.exit_code == 2 and run.stderr.startswith("error: ")
    assert (tmp_path / "notes.txt").read_text() == "keep me"
    assert "p-pm" in (folder / "partners.csv").read_text()
    assert (tmp_path / "p.json").read_text() == EXAMPLE.read_text()
    assert not (tmp_path / "o").exists()


# ---------------------------------------------------------------------------------------------- the bundled Tokyo run


@pytest.fixture(scope="module")
def tokyo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    out = tmp_path_factory.mktemp("tokyo") / "out"
    run = enmusubi("solve", TOKYO, "--out", out, "--time-limit", "120")
    assert run.exit_code == 0, run.output
    return out, run


@pytest.fixture(scope="module")
def tokyo_result(tokyo_run: tuple[Path, Any]) -> Result:
    return Result.model_validate_json((tokyo_run[0] / "result.json").read_text())


def test_tokyo_run_writes_every_output_and_says_where(tokyo_run: tuple[Path, Any]) -> None:
    out, run = tokyo_run
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    assert f"written: {out}/" in run.stdout
    assert f"report:  {out / 'report.md'}" in run.stdout


def test_tokyo_result_is_a_valid_allocation(tokyo_result: Result) -> None:
    problem = json.loads(TOKYO.read_text())
    assert check_allocation(problem, sorted(tokyo_result.pair_set())) == []
    assert len(tokyo_result.assignments) > 100  # the bundled round places most openings
    assert len(tokyo_result.municipalities) == 62


def test_assignments_csv_is_result_assignments(tokyo_run: tuple[Path, Any], tokyo_result: Result) -> None:
    rows = read_csv(tokyo_run[0] / "assignments.csv")
    assert len(rows) == len(tokyo_result.assignments)
    for row, a in zip(rows, tokyo_result.assignments, strict=True):
        assert (row["partner"], row["position"], row["municipality"]) == (a.partner, a.position, a.municipality)
        assert (row["partner_name"], row["municipality_name"]) == (a.partner_name, a.municipality_name)
        assert float(row["score"]) == pytest.approx(a.score, abs=1e-6)
        assert float(row["cost_yen"]) == pytest.approx(a.cost_yen, abs=1e-6)
        assert float(row["commute_minutes"]) == pytest.approx(a.commute_minutes, abs=0.05)
        assert float(row["hours_per_week"]) == a.hours
        assert row["incumbent"] == ("yes" if a.incumbent else "no")


def test_municipalities_csv_agrees_with_the_placements(tokyo_run: tuple[Path, Any], tokyo_result: Result) -> None:
    out = tokyo_run[0]
    spent: dict[str, float] = defaultdict(float)
    filled: Counter[str] = Counter()
    for row in read_csv(out / "assignments.csv"):
        spent[row["municipality"]] += float(row["cost_yen"])
        filled[row["municipality"]] += 1
    openings: Counter[str] = Counter()
    for position in json.loads(TOKYO.read_text())["positions"]:
        openings[position["municipality"]] += position.get("openings", 1)
    rows = read_csv(out / "municipalities.csv")
    assert [r["id"] for r in rows] == [m.id for m in tokyo_result.municipalities]
    for row, m in zip(rows, tokyo_result.municipalities, strict=True):
        assert float(row["spent_yen"]) == pytest.approx(spent[m.id], abs=1e-3) == pytest.approx(m.spent_yen, abs=1e-3)
        assert int(row["filled"]) == filled[m.id] == m.filled
        assert int(row["openings"]) == openings[m.id] == m.openings
        assert row["budget_yen"] == ("" if m.budget_yen is None else str(m.budget_yen))
        if m.budget_yen is not None:
            assert spent[m.id] <= m.budget_yen + 1e-6
            assert float(row["remaining_yen"]) == pytest.approx(m.budget_yen - spent[m.id], abs=1e-3)


def test_unfilled_csv_lists_exactly_the_positions_with_open_openings(
    tokyo_run: tuple[Path, Any], tokyo_result: Result
) -> None:
    out = tokyo_run[0]
    taken = Counter(row["position"] for row in read_csv(out / "assignments.csv"))
    positions = json.loads(TOKYO.read_text())["positions"]
    still_open = {p["id"]: p.get("openings", 1) - taken[p["id"]] for p in positions}
    expected = {position: n for position, n in still_open.items() if n > 0}
    rows = read_csv(out / "unfilled.csv")
    assert {r["position"]: int(r["openings"]) - int(r["filled"]) for r in rows} == expected
    assert [(r["position"], r["reason"], r["detail"]) for r in rows] == [
        (u.position, u.reason, u.detail) for u in tokyo_result.unfilled
    ]
    assert all(r["reason"] in ("no_eligible_partner", "not_worth", "budget", "outscored") and r["detail"] for r in rows)


def test_partners_csv_agrees_with_the_placements(tokyo_run: tuple[Path, Any], tokyo_result: Result) -> None:
    out = tokyo_run[0]
    hours: dict[str, float] = defaultdict(float)
    held: dict[str, set[str]] = defaultdict(set)
    for row in read_csv(out / "assignments.csv"):
        hours[row["partner"]] += float(row["hours_per_week"])
        held[row["partner"]].add(row["position"])
    rows = read_csv(out / "partners.csv")
    assert len(rows) == len(tokyo_result.partners) == 900
    for row in rows:
        placed = row["id"] in held
        assert row["placed"] == ("yes" if placed else "no")
        assert int(row["placements"]) == len(held[row["id"]])
        assert set(filter(None, row["positions"].split(";"))) == held[row["id"]]
        assert float(row["hours_used"]) == pytest.approx(hours[row["id"]])
        assert float(row["hours_used"]) <= float(row["hours_per_week"])
        assert (row["why_not_placed"] == "") == placed


def test_report_md_summarises_the_same_run(tokyo_run: tuple[Path, Any], tokyo_result: Result) -> None:
    report = (tokyo_run[0] / "report.md").read_text()
    assert report.startswith("# Allocation report\n")
    filled = sum(m.filled for m in tokyo_result.municipalities)
    openings = sum(m.openings for m in tokyo_result.municipalities)
    assert f"| Status | {tokyo_result.status} |" in report
    assert f"| Objective | {tokyo_result.objective:.6f} (best bound {tokyo_result.best_bound:.6f}) |" in report
    assert f"openings filled {filled} of {openings}" in report
    placed = sum(1 for p in tokyo_result.partners if p.placements)
    assert f"| Partners placed | {placed} of 900 |" in report
    for m in tokyo_result.municipalities:
        assert (f"### {m.name} ({m.id})" in report) == (m.openings > 0)
    for u in tokyo_result.unfilled:
        assert f"| {u.position} {u.title} |" in report
    for a in tokyo_result.assignments:
        assert f"| {a.position} {a.position_title} | {a.partner} {a.partner_name} |" in report
