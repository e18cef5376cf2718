"""Two real `enmusubi serve` replicas on loopback sharing one PostgreSQL: every run solved exactly once, the runs
of a replica killed with SIGKILL taken over and finished by the other, a cancel reaching the replica that solves."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from enmusubi.scenarios.generator import generate_problem
from enmusubi.solver import solve
from tests.service.conftest import ServerProcess, wait_status

WAIT_SECONDS = 120  # a guard against hangs, not a speed target
DEFAULT_TIME_LIMIT = 60.0  # the service's default, which a result records: the single-process solve uses it too
RUNS = 40
FAST = {"workers": "2", "heartbeat_seconds": "0.5", "takeover_seconds": "5", "poll_seconds": "0.2", "queue_size": "64"}


def _without_timings(result: dict[str, Any]) -> dict[str, Any]:
    stats = {k: v for k, v in result["stats"].items() if not k.endswith("_seconds")}
    return {**result, "stats": stats}


def _replica(server: ServerProcess) -> str:
    return server.client.get("/healthz").json()["replica"]


def test_two_replicas_share_the_queue_and_take_over_a_killed_replicas_runs(
    start_server: Callable[..., ServerProcess], postgres_database: str, slow_problem: dict[str, Any]
) -> None:
    first = start_server(postgres_database, replica_id="replica-a", **FAST)
    second = start_server(postgres_database, replica_id="replica-b", **FAST)
    replicas = [first, second]
    listed = {r["id"] for r in first.client.get("/healthz").json()["replicas"]}
    assert listed == {"replica-a", "replica-b"}, "each replica sees the other through the database"

    # 40 runs submitted across both replicas: each solved exactly once, as a single service solves it.
    problems = [generate_problem(n_partners=60, n_positions=12, seed=seed) for seed in range(RUNS)]
    ids = [
        replicas[k % 2].client.post("/v1/runs", json={"name": f"run-{k}", "problem": p}).json()["id"]
        for k, p in enumerate(problems)
    ]
    runs = [wait_status(replicas[k % 2].client, run_id, {"done", "failed"}) for k, run_id in enumerate(ids)]
    assert [r["status"] for r in runs] == ["done"] * RUNS
    assert [r["attempts"] for r in runs] == [1] * RUNS, "no run was claimed twice"
    owners = {r["owner"] for r in runs}
    assert owners == {"replica-a", "replica-b"}, f"both replicas solved runs: {owners}"
    for problem, run in zip(problems, runs, strict=True):
        single = solve(problem, time_limit_seconds=DEFAULT_TIME_LIMIT).model_dump(mode="json")
        assert _without_timings(run["result"]) == _without_timings(single)

    # A cancel sent to one replica stops the solve on the other, which polls the database.
    long = first.client.post("/v1/runs", json={"problem": slow_problem, "time_limit_seconds": 600}).json()["id"]
    owner = wait_status(first.client, long, {"running"})["owner"]
    solver, front = (first, second) if owner == "replica-a" else (second, first)
    assert long in solver.client.get("/healthz").json()["runs_held"]
    assert front.client.delete(f"/v1/runs/{long}").status_code == 200
    deadline = time.monotonic() + WAIT_SECONDS
    while long in solver.client.get("/healthz").json()["runs_held"]:
        assert time.monotonic() < deadline, "the solving replica did not stop the cancelled run"
        time.sleep(0.1)
    assert wait_status(front.client, long, {"cancelled"})["owner"] == owner

    # SIGKILL one replica mid-run: the other takes its runs over and finishes them.
    held = [
        second.client.post("/v1/runs", json={"problem": slow_problem, "time_limit_seconds": 2}).json()["id"]
        for _ in range(4)
    ]
    deadline = time.monotonic() + WAIT_SECONDS
    while not (killed_runs := first.client.get("/healthz").json()["runs_held"]):
        assert time.monotonic() < deadline, "replica-a never claimed one of the slow runs"
        time.sleep(0.05)
    first.kill()
    finished = [wait_status(second.client, run_id, {"done", "failed"}) for run_id in held]
    assert [r["status"] for r in finished] == ["done"] * len(held)
    by_id = {r["id"]: r for r in finished}
    for run_id in killed_runs:
        assert (by_id[run_id]["owner"], by_id[run_id]["attempts"]) == ("replica-b", 2), "taken over, tried again"
    assert {r["id"] for r in second.client.get("/healthz").json()["replicas"]} == {"replica-b"}
    assert second.stop()
