"""Every endpoint over real HTTP: `enmusubi serve` (uvicorn) started by the test on a loopback port."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from enmusubi.solver import Result

ServerProcess = Any  # tests/service/conftest.py: ServerProcess (conftest modules are not imported by name)


@pytest.fixture
def server(start_server: Callable[..., ServerProcess]) -> Iterator[ServerProcess]:
    server = start_server(workers="2", max_body_bytes="2000000")
    yield server
    assert server.stop(), "SIGTERM stops the service cleanly"


def _wait_done(client: httpx.Client, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while (run := client.get(f"/v1/runs/{run_id}").json())["status"] in ("queued", "running"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return run


def test_every_endpoint_over_loopback(server: ServerProcess, example_problem: dict[str, Any]) -> None:
    http = server.client
    assert http.get("/healthz").json()["status"] == "ok"
    paths = http.get("/openapi.json").json()["paths"]
    assert {"/v1/solve", "/v1/runs", "/v1/runs/{run_id}", "/v1/scenarios", "/v1/recommend", "/v1/explain"} <= set(paths)

    solved = Result.model_validate(http.post("/v1/solve", json=example_problem).json())
    assert solved.status == "optimal"

    accepted = http.post("/v1/runs", json={"name": "loopback", "problem": example_problem})
    assert accepted.status_code == 202
    run = _wait_done(http, accepted.json()["id"])
    assert run["status"] == "done" and run["result"]["objective"] == pytest.approx(solved.objective)
    assert [r["id"] for r in http.get("/v1/runs", params={"limit": 1}).json()["runs"]] == [run["id"]]
    assert http.delete(f"/v1/runs/{run['id']}").status_code == 409
    assert http.get("/v1/runs/missing").status_code == 404

    scenario = {
        "version": 1,
        "base": {"run": run["id"]},
        "variants": [{"name": "no budget", "changes": [{"municipality": "13207", "set": {"budget_yen": 0}}]}],
    }
    assert http.post("/v1/scenarios", json=scenario).json()["variants"][0]["name"] == "no budget"
    recommended = http.post("/v1/recommend", json={"run": run["id"], "position": "taito-pm", "k": 2}).json()
    assert recommended["candidates"][0]["partner"] == "p-pm"
    explained = http.post("/v1/explain", json={"problem": example_problem, "partner": "p-pm", "position": "taito-pm"})
    assert explained.json()["in_optimal"] is True


def test_refusals_over_loopback(server: ServerProcess, example_problem: dict[str, Any]) -> None:
    http = server.client
    unauthorised = httpx.get(f"{server.base_url}/v1/runs")
    assert unauthorised.status_code == 401 and unauthorised.headers["www-authenticate"] == "Bearer"
    nan = http.post("/v1/solve", content=b'{"version": 1, "period_weeks": NaN}')
    assert nan.status_code == 422 and nan.json()["detail"][0]["loc"] == ["body", "period_weeks"]
    example_problem["partners"][0]["hours_per_week"] = "many"
    wrong = http.post("/v1/solve", json=example_problem)
    assert [d["path"] for d in wrong.json()["detail"]] == ["partners[0].hours_per_week"]

    def streamed() -> Iterator[bytes]:
        for _ in range(100):
            yield b" " * 40_960

    assert http.post("/v1/solve", content=streamed()).status_code == 413, "chunked, no Content-Length"
    assert http.post("/v1/solve", content=b" " * 3_000_000).status_code == 413


def test_gets_are_answered_while_solves_run(
    server: ServerProcess, slow_problem: dict[str, Any], example_problem: dict[str, Any]
) -> None:
    http = server.client
    runs = [http.post("/v1/runs", json={"problem": slow_problem, "time_limit_seconds": 600}).json()["id"]]
    runs.append(http.post("/v1/runs", json={"problem": slow_problem, "time_limit_seconds": 600}).json()["id"])
    deadline = time.monotonic() + 60
    while http.get("/healthz").json()["running"] < 2:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    answered = []

    def poll() -> None:
        for _ in range(20):
            answered.append(http.get(f"/v1/runs/{runs[0]}").status_code)

    pollers = [threading.Thread(target=poll) for _ in range(4)]
    for thread in pollers:
        thread.start()
    for thread in pollers:
        thread.join()
    assert answered == [200] * 80, "both workers busy solving, and every GET was still answered"
    for run_id in runs:
        assert http.delete(f"/v1/runs/{run_id}").json()["status"] == "cancelled"
