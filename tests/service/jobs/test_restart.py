"""Restarts of the real service (uvicorn subprocess, SQLite file): no stored run is lost, no running one either."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.service.conftest import wait_status


def test_a_stored_run_is_read_back_after_a_restart(
    start_server: Callable[..., Any], example_problem: dict[str, Any]
) -> None:
    first = start_server()
    run_id = first.client.post("/v1/runs", json={"name": "kept", "problem": example_problem}).json()["id"]
    before = wait_status(first.client, run_id, {"done"})
    assert first.stop()

    second = start_server()
    after = second.client.get(f"/v1/runs/{run_id}").json()
    assert after == before
    assert [r["id"] for r in second.client.get("/v1/runs").json()["runs"]] == [run_id]
    assert second.stop()


def test_a_run_interrupted_by_a_crash_is_solved_again_and_one_stopped_cleanly_is_handed_back(
    start_server: Callable[..., Any], slow_problem: dict[str, Any], example_problem: dict[str, Any]
) -> None:
    crashed = start_server(workers="1")
    slow = crashed.client.post("/v1/runs", json={"problem": slow_problem, "time_limit_seconds": 3}).json()["id"]
    waiting = crashed.client.post("/v1/runs", json={"problem": example_problem}).json()["id"]
    wait_status(crashed.client, slow, {"running"})
    crashed.kill()  # SIGKILL mid-solve: no shutdown code runs at all

    restarted = start_server(workers="1")  # SQLite: one process, so its running runs are taken over at once
    again = wait_status(restarted.client, slow, {"done"})
    assert again["attempts"] == 2 and again["owner"] == restarted.client.get("/healthz").json()["replica"]
    assert again["result"]["objective"] > 0
    assert wait_status(restarted.client, waiting, {"done"})["result"]["status"] == "optimal"

    long = restarted.client.post("/v1/runs", json={"problem": slow_problem, "time_limit_seconds": 600}).json()["id"]
    wait_status(restarted.client, long, {"running"})
    assert restarted.stop(), "SIGTERM mid-solve still shuts down cleanly"

    third = start_server(workers="1")
    resumed = wait_status(third.client, long, {"running"})
    assert resumed["attempts"] == 1, "a run handed back on a clean stop does not use up a try"
    assert third.client.delete(f"/v1/runs/{long}").status_code == 200
    assert wait_status(third.client, long, {"cancelled"})["error"] == "cancelled by request"
    assert third.stop()
