"""POST /v1/solve in-process: results, time limits, and every kind of bad body (422 with paths, 413)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from enmusubi.solver import Result, solve


def _paths(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    return [item["path"] for item in response.json()["detail"]]


def test_solve_returns_the_engines_result(client: TestClient, example_problem: dict[str, Any]) -> None:
    response = client.post("/v1/solve", json=example_problem)
    assert response.status_code == 200, response.text
    result = Result.model_validate(response.json())
    expected = solve(example_problem)
    assert result.status == "optimal"
    assert result.pair_set() == expected.pair_set()
    assert result.objective == pytest.approx(expected.objective, abs=1e-9)


def test_the_time_limit_is_the_default_or_the_request_capped(
    make_client: Callable[..., TestClient], example_problem: dict[str, Any]
) -> None:
    client = make_client(default_time_limit_seconds=7, max_time_limit_seconds=30)
    given = [None, 2.5, 1000]
    limits = []
    for limit in given:
        params = {} if limit is None else {"time_limit_seconds": limit}
        response = client.post("/v1/solve", json=example_problem, params=params)
        limits.append(response.json()["reproducibility"]["time_limit_seconds"])
    assert limits == [7, 2.5, 30]


@pytest.mark.parametrize("bad", ["-1", "0", "nan", "inf", "soon"])
def test_a_bad_time_limit_is_a_422_on_the_query(client: TestClient, example_problem: dict[str, Any], bad: str) -> None:
    response = client.post("/v1/solve", json=example_problem, params={"time_limit_seconds": bad})
    assert _paths(response) == ["time_limit_seconds"]
    assert response.json()["detail"][0]["loc"] == ["query", "time_limit_seconds"]


def test_every_fault_of_a_problem_is_listed_by_its_path(client: TestClient, example_problem: dict[str, Any]) -> None:
    example_problem["positions"][1]["hours_per_week"] = -4
    example_problem["partners"][0]["skills"]["graphic_design"] = 7
    example_problem["partners"][1]["hourly_rate"] = 100
    del example_problem["municipalities"][0]["name"]
    response = client.post("/v1/solve", json=example_problem)
    assert sorted(_paths(response)) == [
        "municipalities[0].name",
        "partners[0].skills.graphic_design",
        "partners[1].hourly_rate",
        "positions[1].hours_per_week",
    ]
    by_path = {d["path"]: d for d in response.json()["detail"]}
    assert by_path["positions[1].hours_per_week"]["loc"] == ["body", "positions", 1, "hours_per_week"]
    assert "greater than 0" in by_path["positions[1].hours_per_week"]["msg"]
    assert "above 5" in by_path["partners[0].skills.graphic_design"]["msg"]
    assert "unknown field" in by_path["partners[1].hourly_rate"]["msg"]


def test_cross_reference_faults_are_422_with_paths(client: TestClient, example_problem: dict[str, Any]) -> None:
    example_problem["positions"][0]["municipality"] = "99999"
    example_problem["partners"][1]["id"] = "p-designer"
    example_problem["locks"] = [{"partner": "nobody", "position": "taito-pm"}]
    response = client.post("/v1/solve", json=example_problem)
    assert sorted(_paths(response)) == ["locks[0].partner", "partners[1].id", "positions[0].municipality"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b'{"version": 1, "period_weeks": NaN}', "NaN is not allowed"),
        (b'{"version": 1, "period_weeks": Infinity}', "Infinity is not allowed"),
        (b'{"version": 1, "period_weeks": -Infinity}', "-Infinity is not allowed"),
        (b'{"version": 1,', "invalid JSON"),
        (b"", "empty"),
        (b"   ", "empty"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[1, 2]", "must be a JSON object"),
        (b'"text"', "must be a JSON object"),
        (b'{"version": 2}', "version"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_bodies_that_are_not_a_problem_get_a_422_not_a_500(client: TestClient, body: bytes, fragment: str) -> None:
    response = client.post("/v1/solve", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert fragment in json.dumps(response.json())


def test_problems_over_the_size_limits_are_422_naming_the_field(
    make_client: Callable[..., TestClient], example_problem: dict[str, Any]
) -> None:
    client = make_client(max_partners=1, max_positions=1)
    response = client.post("/v1/solve", json=example_problem)
    assert sorted(_paths(response)) == ["partners", "positions"]
    assert "ENMUSUBI_MAX_PARTNERS" in response.text


def test_a_body_over_the_limit_is_413_by_its_declared_length(
    make_client: Callable[..., TestClient], example_problem: dict[str, Any]
) -> None:
    client = make_client(max_body_bytes=1024)
    example_problem["municipalities"][0]["name"] = "x" * 2000
    response = client.post("/v1/solve", json=example_problem)
    assert response.status_code == 413
    assert "ENMUSUBI_MAX_BODY_BYTES" in response.json()["detail"]


def test_a_body_over_the_limit_is_413_when_streamed_without_a_length(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_body_bytes=1024)

    def chunks() -> Iterator[bytes]:
        yield b'{"version": 1, "municipalities": ['
        for _ in range(100):
            yield b'{"id": "m", "name": "padding padding padding", "lat": 35, "lon": 139, "budget_yen": null},'
        yield b"{}]}"

    response = client.post("/v1/solve", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
