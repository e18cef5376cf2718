"""The output folder and report.md, from results made to order (optimal, stopped, re-runs)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from enmusubi.service.io.outputs import MOVES_FILE, OUTPUT_FILES, number, write_outputs
from enmusubi.service.io.previous import Move
from enmusubi.service.io.reports import markdown_report
from enmusubi.solver import Result, solve

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "example-small.json"


@pytest.fixture(scope="module")
def example_result() -> Result:
    return solve(json.loads(EXAMPLE.read_text()))


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_numbers_are_exact_to_six_decimals_without_noise() -> None:
    assert [number(x) for x in (1234.5, 3.0, 2 / 3, -0.0000001, None)] == ["1234.5", "3", "0.666667", "0", ""]


def test_the_folder_holds_every_file_and_nothing_half_written(tmp_path: Path, example_result: Result) -> None:
    written = write_outputs(tmp_path, example_result, "example-small.json")
    assert sorted(p.name for p in written) == sorted(OUTPUT_FILES)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(OUTPUT_FILES)  # no temporary files left
    assert Result.model_validate_json((tmp_path / "result.json").read_text()) == example_result
    rows = read_csv(tmp_path / "assignments.csv")
    assert {(r["partner"], r["position"]) for r in rows} == {
        ("p-designer", "akishima-creator"),
        ("p-pm", "taito-pm"),
        ("p-remote", "tama-tool-training"),
        ("p-trainer", "tama-tool-training"),
    }
    assert sum(float(r["score"]) for r in rows) == pytest.approx(7.369305, abs=1e-5)


def test_a_stale_moves_file_is_removed_when_the_run_is_not_a_rerun(tmp_path: Path, example_result: Result) -> None:
    moves = [Move("p-pm", "PM", "kept", "taito-pm", "PM", "13106", "Taito", "kept in place")]
    write_outputs(tmp_path, example_result, "x", moves)
    assert read_csv(tmp_path / MOVES_FILE)[0]["why"] == "kept in place"
    write_outputs(tmp_path, example_result, "x")
    assert not (tmp_path / MOVES_FILE).exists()


def test_the_report_of_an_optimal_run(example_result: Result) -> None:
    report = markdown_report(example_result, "example-small.json")
    assert "**Optimal**" in report
    assert "| Input | `example-small.json` |" in report
    assert "| Objective | 7.369305 (best bound 7.369305) |" in report
    placed = sum(1 for p in example_result.partners if p.placements)
    assert placed == 4 and f"| Partners placed | 4 of {len(example_result.partners)} |" in report
    assert "## Budget use by municipality" in report and "## Unfilled positions and why" in report
    for a in example_result.assignments:
        assert f"| {a.position} {a.position_title} | {a.partner} {a.partner_name} |" in report


def test_the_report_of_a_stopped_run_says_not_proven(example_result: Result) -> None:
    stopped = example_result.model_copy(
        update={
            "status": "feasible",
            "stopped": True,
            "best_bound": 8.0,
            "gap": (8.0 - example_result.objective) / example_result.objective,
            "message": "interrupted (Ctrl-C): the best allocation found before the stop",
        }
    )
    report = markdown_report(stopped, "p.json")
    assert "**Not proven optimal.**" in report and "interrupted (Ctrl-C)" in report
    assert "scoring at most 8.000000 (gap 8.558%)" in report
    assert "| Status | feasible, gap 8.558% |" in report


def test_table_cells_escape_pipes_and_newlines(example_result: Result) -> None:
    odd = example_result.assignments[0].model_copy(update={"partner_name": "A | B\nC"})
    result = example_result.model_copy(update={"assignments": [odd, *example_result.assignments[1:]]})
    report = markdown_report(result, "p.json")
    assert "A \\| B C" in report


def test_moves_are_listed_with_their_reasons(example_result: Result) -> None:
    moves = [
        Move("p1", "One", "left", "j1", "PM", "13106", "Taito", "no longer eligible: rule commute: 95 min > 90 min"),
        Move("p2", "Two", "joined", "j1", "PM", "13106", "Taito", "replaces p1"),
        Move("p3", "Three", "kept", "j2", "PR", "13106", "Taito", "kept in place"),
    ]
    report = markdown_report(example_result, "p.json", moves)
    assert "Kept 1 of 2 previous placements; 1 ended and 1 are new." in report
    assert "| p1 One | left | j1 PM | Taito | no longer eligible: rule commute: 95 min > 90 min |" in report
    assert "| p2 Two | joined | j1 PM | Taito | replaces p1 |" in report
