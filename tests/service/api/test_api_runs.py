"""Batch runs in-process: queue, read, list with cursors, cancel, a full queue, bad bodies; SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from enmusubi.solver import Result

WAIT_SECONDS = 120  # a guard against hangs, not a speed target


def wait_for_status(client: TestClient, run_id: str, wanted: set[str]) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        run = client.get(f"/v1/runs/{run_id}").json()
        if run["status"] in wanted:
            return run
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} still {run['status']}, wanted {wanted}")
        time.sleep(0.02)


def test_a_run_is_queued_solved_and_read_back(
    make_client: Callable[..., TestClient], database_url: str, example_problem: dict[str, Any]
) -> None:
    client = make_client(database_url=database_url)
    response = client.post("/v1/runs", json={"name": "Q1", "problem": example_problem, "time_limit_seconds": 20})
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["status"] == "queued"
    assert response.headers["Location"] == f"/v1/runs/{accepted['id']}"
    run = wait_for_status(client, accepted["id"], {"done", "failed"})
    assert run["status"] == "done" and run["error"] is None and run["name"] == "Q1"
    assert run["time_limit_seconds"] == 20
    assert run["created_at"] <= run["started_at"] <= run["finished_at"]
    result = Result.model_validate(run["result"])
    assert result.status == "optimal" and len(result.assignments) == 2
    listed = client.get("/v1/runs").json()
    assert [r["id"] for r in listed["runs"]] == [accepted["id"]]
    assert "result" not in listed["runs"][0] and listed["next_cursor"] is None


def test_runs_are_listed_newest_first_in_pages(client: TestClient, example_problem: dict[str, Any]) -> None:
    ids = [client.post("/v1/runs", json={"name": f"r{k}", "problem": example_problem}).json()["id"] for k in range(5)]
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/runs", params=params).json()
        seen += [r["id"] for r in page["runs"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]


@pytest.mark.parametrize(
    ("params", "path"),
    [({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"limit": "x"}, "limit"), ({"cursor": "garbage"}, "cursor")],
)
def test_bad_paging_is_a_422_on_the_query(client: TestClient, params: dict[str, Any], path: str) -> None:
    response = client.get("/v1/runs", params=params)
    assert response.status_code == 422
    assert [(d["loc"], d["path"]) for d in response.json()["detail"]] == [(["query", path], path)]


def test_unknown_runs_are_404(client: TestClient) -> None:
    for response in (client.get("/v1/runs/no-such-run"), client.delete("/v1/runs/no-such-run")):
        assert response.status_code == 404
        assert "no-such-run" in response.json()["detail"]


def test_a_finished_run_cannot_be_cancelled(client: TestClient, example_problem: dict[str, Any]) -> None:
    run_id = client.post("/v1/runs", json={"problem": example_problem}).json()["id"]
    wait_for_status(client, run_id, {"done"})
    response = client.delete(f"/v1/runs/{run_id}")
    assert response.status_code == 409 and "already finished" in response.json()["detail"]
    assert client.get(f"/v1/runs/{run_id}").json()["status"] == "done"


def test_a_finished_run_is_purged_for_good_and_an_active_one_is_not(
    client: TestClient, example_problem: dict[str, Any], slow_problem: dict[str, Any]
) -> None:
    done = client.post("/v1/runs", json={"problem": example_problem}).json()["id"]
    wait_for_status(client, done, {"done"})
    purged = client.delete(f"/v1/runs/{done}", params={"purge": "true"})
    assert purged.status_code == 200 and purged.json()["status"] == "done"
    assert client.get(f"/v1/runs/{done}").status_code == 404
    assert client.delete(f"/v1/runs/{done}", params={"purge": "true"}).status_code == 404
    active = client.post("/v1/runs", json={"problem": slow_problem, "time_limit_seconds": 600}).json()["id"]
    refused = client.delete(f"/v1/runs/{active}", params={"purge": "true"})
    assert refused.status_code == 409 and "cancel it" in refused.json()["detail"]
    assert client.delete(f"/v1/runs/{active}").status_code == 200
    assert client.delete(f"/v1/runs/{active}", params={"purge": "true"}).status_code == 200
    assert [r["id"] for r in client.get("/v1/runs").json()["runs"]] == []


def test_cancelling_a_running_run_stops_it_and_keeps_its_best_allocation(
    make_client: Callable[..., TestClient], slow_problem: dict[str, Any], example_problem: dict[str, Any]
) -> None:
    client = make_client(workers=1)
    slow = client.post("/v1/runs", json={"name": "slow", "problem": slow_problem, "time_limit_seconds": 600}).json()
    waiting = client.post("/v1/runs", json={"name": "waiting", "problem": example_problem}).json()
    wait_for_status(client, slow["id"], {"running"})
    response = client.delete(f"/v1/runs/{waiting['id']}")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    time.sleep(0.5)
    response = client.delete(f"/v1/runs/{slow['id']}")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    deadline = time.monotonic() + WAIT_SECONDS
    while client.get(f"/v1/runs/{slow['id']}").json()["result"] is None:
        assert time.monotonic() < deadline, "the cancelled solve never stopped"
        time.sleep(0.05)
    run = client.get(f"/v1/runs/{slow['id']}").json()
    assert run["status"] == "cancelled" and Result.model_validate(run["result"]).stopped
    later = client.get(f"/v1/runs/{waiting['id']}").json()
    assert later["status"] == "cancelled" and later["started_at"] is None and later["result"] is None
    assert client.delete(f"/v1/runs/{slow['id']}").status_code == 409


def test_a_full_queue_answers_429_with_retry_after_and_stores_nothing(
    make_client: Callable[..., TestClient], slow_problem: dict[str, Any], example_problem: dict[str, Any]
) -> None:
    client = make_client(workers=1, queue_size=1, retry_after_seconds=7)
    running = client.post("/v1/runs", json={"problem": slow_problem, "time_limit_seconds": 600}).json()["id"]
    wait_for_status(client, running, {"running"})
    queued = client.post("/v1/runs", json={"problem": example_problem})
    assert queued.status_code == 202
    for refused in (
        client.post("/v1/runs", json={"problem": example_problem}),
        client.post("/v1/solve", json=example_problem),
    ):
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "7"
    assert len(client.get("/v1/runs").json()["runs"]) == 2
    client.delete(f"/v1/runs/{running}")
    wait_for_status(client, queued.json()["id"], {"done"})


def test_run_bodies_are_validated_with_paths_into_the_problem(
    client: TestClient, example_problem: dict[str, Any]
) -> None:
    example_problem["positions"][0]["openings"] = 0
    example_problem["positions"][1]["municipality"] = "nowhere"
    response = client.post(
        "/v1/runs", json={"problem": example_problem, "name": "n" * 300, "time_limit_seconds": -1, "colour": "red"}
    )
    assert response.status_code == 422
    paths = sorted(d["path"] for d in response.json()["detail"])
    assert paths == ["colour", "name", "problem.positions[0].openings", "time_limit_seconds"]
    example_problem["positions"][0]["openings"] = 1
    response = client.post("/v1/runs", json={"problem": example_problem})
    assert [d["path"] for d in response.json()["detail"]] == ["problem.positions[1].municipality"]
    missing = client.post("/v1/runs", json={"name": "no problem"})
    assert [(d["path"], d["msg"]) for d in missing.json()["detail"]] == [("problem", "required field is missing")]
    assert client.get("/v1/runs").json()["runs"] == [], "no refused body leaves a run behind"


def test_run_problems_over_the_size_limit_are_422_on_problem_partners(
    make_client: Callable[..., TestClient], example_problem: dict[str, Any]
) -> None:
    client = make_client(max_partners=1)
    response = client.post("/v1/runs", json={"problem": example_problem})
    assert [d["path"] for d in response.json()["detail"]] == ["problem.partners"]
