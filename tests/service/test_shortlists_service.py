"""Shortlists through the front doors: `enmusubi shortlist` (file and folder) and POST /v1/shortlists."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from enmusubi.service.cli.app import app
from enmusubi.solver import parse_problem
from enmusubi.solver.shortlist import Shortlists, shortlist

ROOT = Path(__file__).resolve().parents[2]
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


def test_api_gives_the_librarys_shortlists(client: TestClient, example_problem: dict[str, Any]) -> None:
    response = client.post("/v1/shortlists", json={"problem": example_problem, "size": 2})
    assert response.status_code == 200, response.text
    expected = shortlist(parse_problem(example_problem), size=2)
    assert response.json() == json.loads(expected.to_json())


@pytest.mark.parametrize(
    ("extra", "path"),
    [({"size": 0}, "size"), ({"size": 21}, "size"), ({"max_per_partner": 0}, "max_per_partner"),
     ({"max_per_partner": 51}, "max_per_partner"), ({"size": "three"}, "size")],
)  # fmt: skip
def test_api_limits_are_422_naming_the_field(
    client: TestClient, example_problem: dict[str, Any], extra: dict[str, Any], path: str
) -> None:
    response = client.post("/v1/shortlists", json={"problem": example_problem, **extra})
    assert response.status_code == 422, response.text
    assert path in response.text


def test_api_accepts_a_stored_run(client: TestClient, example_problem: dict[str, Any]) -> None:
    created = client.post("/v1/runs", json={"problem": example_problem})
    assert created.status_code in (201, 202), created.text
    run_id = created.json()["id"]
    by_run = client.post("/v1/shortlists", json={"run": run_id})
    inline = client.post("/v1/shortlists", json={"problem": example_problem})
    assert by_run.status_code == inline.status_code == 200
    assert by_run.json() == inline.json()
