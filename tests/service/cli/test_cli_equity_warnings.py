"""`enmusubi solve` shows warnings (PROBLEM.md §12) and municipalities served (§9) on the terminal and in report.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from enmusubi.service.cli.app import app
from tests.core_builders import municipality, partner, position, problem

runner = CliRunner()


def misspelt(equity: float) -> dict[str, Any]:
    """A procurement position typed `procurment` (nobody qualifies), and a town that the reward decides."""
    positions = [
        position("ward-job", municipality="ward", openings=2),
        position("typo-job", municipality="town", required_skills={"procurment": 2}),
        position("town-job", municipality="town", preferred_skills={"design": 1.0}),
    ]
    partners = [partner("p", skills={"procurement": 3}, max_assignments=1), partner("q", max_assignments=1)]
    return problem(positions, partners, [municipality("ward"), municipality("town")], weights={"equity": equity})


def solve_in(tmp_path: Path, equity: float) -> tuple[Any, Path]:
    source = tmp_path / f"problem-{equity}.json"
    source.write_text(json.dumps(misspelt(equity)))
    out = tmp_path / f"out-{equity}"
    return runner.invoke(app, ["solve", str(source), "--out", str(out)]), out


def test_the_terminal_shows_the_misspelt_skill_with_a_suggestion(tmp_path: Path) -> None:
    run, out = solve_in(tmp_path, 0.0)
    assert run.exit_code == 0, run.output
    text = " ".join(run.output.split())
    assert (
        "warning: positions[1].required_skills.procurment: no partner lists this skill; did you mean procurement?"
        in text
    )
    assert "municipalities served 1 of 2 (unserved: town)" in text
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## Warnings: check the input" in report
    assert (
        "- `positions[1].required_skills.procurment`: no partner lists this skill; did you mean procurement?" in report
    )
    assert "1 of 2 municipalities with positions have at least one placement" in report
    assert "| TOWN (town) | 2 | its partners are placed elsewhere |" in report


def test_with_equity_the_summary_shows_the_scores_alone(tmp_path: Path) -> None:
    run, out = solve_in(tmp_path, 1.5)
    assert run.exit_code == 0, run.output
    text = " ".join(run.output.split())
    assert "municipalities served 2 of 2" in text and "pair scores alone" in text and "(+ equity 3.000000)" in text
    result = json.loads((out / "result.json").read_text())
    assert result["served_municipalities"] == 2 and result["unserved"] == []
    assert abs(result["objective"] - result["score_total"] - 3.0) < 1e-9
