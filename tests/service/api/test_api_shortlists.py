"""POST /v1/shortlists: the library's answer, for a problem or a stored run; limits are 422 naming the field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from enmusubi.solver import parse_problem
from enmusubi.solver.shortlist import shortlist


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
