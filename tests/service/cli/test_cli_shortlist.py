"""`enmusubi shortlist`: the shortlists file, the folder form with shortlists.csv, one-line errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from enmusubi.service.cli.app import app
from enmusubi.solver import parse_problem
from enmusubi.solver.shortlist import Shortlists, shortlist

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "tests" / "data" / "example-small.json"
runner = CliRunner()


def enmusubi(*args: str | Path) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def test_cli_writes_the_librarys_shortlists(tmp_path: Path) -> None:
    out = tmp_path / "short.json"
    run = enmusubi("shortlist", EXAMPLE, "--size", "2", "--max-per-partner", "1", "--out", out)
    assert run.exit_code == 0, run.output
    expected = shortlist(parse_problem(json.loads(EXAMPLE.read_text())), size=2, max_per_partner=1)
    written = json.loads(out.read_text())
    assert written == json.loads(expected.to_json())
    assert set(written) >= {"shortlists", "covered", "total_score", "warnings"}
    assert "positions have at least one candidate" in run.output


def test_cli_folder_form_writes_a_csv_with_a_bom(tmp_path: Path) -> None:
    run = enmusubi("shortlist", EXAMPLE, "--out", tmp_path / "out")
    assert run.exit_code == 0, run.output
    raw = (tmp_path / "out" / "shortlists.csv").read_text(encoding="utf-8")
    assert raw.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(raw.removeprefix("\ufeff"))))
    found = Shortlists.model_validate_json((tmp_path / "out" / "shortlists.json").read_text())
    assert len(rows) == sum(max(len(s.candidates), 1) for s in found.shortlists)
    first = found.shortlists[0]
    assert (rows[0]["position"], rows[0]["rank"]) == (first.position, "1" if first.candidates else "")


@pytest.mark.parametrize(("option", "value"), [("--size", "0"), ("--size", "21"), ("--max-per-partner", "51")])
def test_cli_limits_are_one_line_errors(option: str, value: str) -> None:
    run = enmusubi("shortlist", EXAMPLE, option, value)
    assert run.exit_code == 2
    assert run.stderr.startswith("error: ") and run.stderr.count("\n") == 1
