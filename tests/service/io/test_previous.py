"""`enmusubi solve --previous`: placements kept where nothing changed, and every move explained."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from enmusubi.scenarios.generator import generate_problem
from enmusubi.service.cli.app import app
from enmusubi.service.io.previous import load_previous_result, with_incumbents
from enmusubi.solver import InputError, Result, parse_problem, solve

runner = CliRunner()
SIZE = {"n_partners": 400, "n_positions": 70, "seed": 1}


def enmusubi(*args: str | Path) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def result_of(folder: Path) -> Result:
    return Result.model_validate_json((folder / "result.json").read_text())


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], Path]:
    tmp = tmp_path_factory.mktemp("previous")
    problem = generate_problem(**SIZE)
    (tmp / "problem.json").write_text(json.dumps(problem))
    run = enmusubi("solve", tmp / "problem.json", "--out", tmp / "run1", "--quiet")
    assert run.exit_code == 0, run.output
    return tmp, problem, tmp / "run1"


def test_an_unchanged_problem_keeps_the_allocation_unchanged(first_run: tuple[Path, dict[str, Any], Path]) -> None:
    tmp, _, run1 = first_run
    run = enmusubi("solve", tmp / "problem.json", "--out", tmp / "run2", "--previous", run1 / "result.json", "-q")
    assert run.exit_code == 0, run.output
    before, after = result_of(run1), result_of(tmp / "run2")
    assert before.status == after.status == "optimal"
    assert after.pair_set() == before.pair_set()
    assert all(a.incumbent for a in after.assignments)
    moves = read_csv(tmp / "run2" / "moves.csv")
    assert {m["change"] for m in moves} == {"kept"} and len(moves) == len(before.assignments)
    report = (tmp / "run2" / "report.md").read_text()
    assert f"Kept {len(before.assignments)} of {len(before.assignments)} previous placements" in report
    assert "Nobody moves." in report


def test_previous_may_name_the_output_folder(first_run: tuple[Path, dict[str, Any], Path]) -> None:
    tmp, _, run1 = first_run
    run = enmusubi("solve", tmp / "problem.json", "--out", tmp / "run3.json", "--previous", run1, "-q")
    assert run.exit_code == 0, run.output
    assert Result.model_validate_json((tmp / "run3.json").read_text()).pair_set() == result_of(run1).pair_set()


def test_every_move_of_a_changed_problem_is_listed_with_its_reason(
    first_run: tuple[Path, dict[str, Any], Path],
) -> None:
    tmp, problem, run1 = first_run
    before = result_of(run1)
    onsite = [a for a in before.assignments if a.onsite_days_per_week > 0]
    stay_home, leaver = onsite[0].partner, before.assignments[-1].partner
    assert stay_home != leaver
    changed = json.loads(json.dumps(problem))
    changed["partners"] = [p for p in changed["partners"] if p["id"] != leaver]
    for partner in changed["partners"]:
        if partner["id"] == stay_home:
            partner["max_commute_minutes"] = 0
    (tmp / "changed.json").write_text(json.dumps(changed))
    run = enmusubi("solve", tmp / "changed.json", "--out", tmp / "changed", "--previous", run1 / "result.json", "-q")
    assert run.exit_code == 0, run.output
    after = result_of(tmp / "changed")
    moves = read_csv(tmp / "changed" / "moves.csv")
    by_change: dict[str, set[tuple[str, str]]] = {"kept": set(), "left": set(), "joined": set()}
    for m in moves:
        by_change[m["change"]].add((m["partner"], m["position"]))
    assert by_change["kept"] == before.pair_set() & after.pair_set()
    assert by_change["left"] == before.pair_set() - after.pair_set()
    assert by_change["joined"] == after.pair_set() - before.pair_set()
    why = {(m["partner"], m["position"]): m["why"] for m in moves if m["change"] == "left"}
    for (partner, _), reason in why.items():
        if partner == leaver:
            assert reason == "the partner is no longer in the problem"
        else:
            assert reason.startswith(("outscored: ", "budget: ", "no longer eligible: rule "))
    assert why[(stay_home, onsite[0].position)].startswith("no longer eligible: rule commute: ")
    joined = [m for m in moves if m["change"] == "joined"]
    assert all(m["why"] for m in joined)
    report = (tmp / "changed" / "report.md").read_text()
    for m in moves:
        if m["change"] != "kept":
            assert f"| {m['change']} | {m['position']} {m['position_title']} |" in report


def test_previous_placements_become_incumbents_once() -> None:
    problem = parse_problem(generate_problem(**SIZE))
    previous = solve(problem)
    merged = with_incumbents(problem, previous)
    pairs = [(p.partner, p.position) for p in merged.incumbents]
    assert len(pairs) == len(set(pairs))
    assert set(pairs) == {(p.partner, p.position) for p in problem.incumbents} | previous.pair_set()
    without = problem.model_copy(update={"partners": problem.partners[1:]})
    gone = problem.partners[0].id
    assert all(p.partner != gone for p in with_incumbents(parse_problem(without.to_json_dict()), previous).incumbents)


def test_a_bad_previous_file_exits_2_and_writes_nothing(first_run: tuple[Path, dict[str, Any], Path]) -> None:
    tmp, _, _ = first_run
    (tmp / "not-a-result.json").write_text('{"status": "optimal"}')
    run = enmusubi("solve", tmp / "problem.json", "--out", tmp / "never", "--previous", tmp / "not-a-result.json")
    assert run.exit_code == 2
    assert run.stderr.startswith(f"error: --previous {tmp / 'not-a-result.json'}: not a result file of enmusubi solve")
    assert not (tmp / "never").exists()
    with pytest.raises(InputError, match="no such file"):
        load_previous_result(tmp / "missing.json")
