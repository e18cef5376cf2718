"""Fault tests against a real `enmusubi serve` on loopback: a client that goes away mid-call frees its worker
within a second (solve, scenarios, recommend, explain), and a 500 leaves the connection usable."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from enmusubi.service.api.app import create_app
from enmusubi.service.settings import Settings
from enmusubi.solver import parse_problem
from enmusubi.solver.lock_search import PairSpace
from tests.service.conftest import AUTH, ServerProcess

# The client leaves this long into the call, when the slow problem's search is past HiGHS's presolve, in its root
# cut loop and sub-MIP heuristics (which poll no interrupt: the search runs in a child process that is ended).
GIVE_UP_SECONDS = 8.0
# API.md: the worker is free again within a second. Measured 0.15-0.71 s on a quiet machine (2.1-3.6 s before the
# search moved to a child process); the bound leaves room for a CI machine shared by other jobs, while a worker
# that was not stopped stays busy until the 120 s time limit.
FREE_WITHIN_SECONDS = 1.5


def _running(server: ServerProcess) -> int:
    return int(server.client.get("/healthz").json()["running"])


def _leave_mid_call(server: ServerProcess, path: str, body: dict[str, Any]) -> float:
    """Post, give up after GIVE_UP_SECONDS (the connection closes), and return how long the worker stayed busy."""
    impatient = httpx.Client(base_url=server.base_url, headers=AUTH, timeout=GIVE_UP_SECONDS)
    with impatient, pytest.raises(httpx.ReadTimeout):
        impatient.post(path, json=body)
    left = time.monotonic()
    while _running(server) > 0:
        assert time.monotonic() - left < 30, "the worker never came free"
        time.sleep(0.02)
    return time.monotonic() - left


@pytest.fixture(scope="module")
def busy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("disconnect")
    server = ServerProcess(
        f"sqlite:///{folder / 'runs.sqlite3'}",
        folder / "server.log",
        workers="1",
        default_time_limit_seconds="120",
        max_time_limit_seconds="120",
    )
    yield server
    server.kill()


def _bodies(problem: dict[str, Any]) -> dict[str, Callable[[], tuple[str, dict[str, Any]]]]:
    partner, position = PairSpace.of(parse_problem(problem)).ids(0)  # an eligible pair: explain then solves
    return {
        "solve": lambda: ("/v1/solve", problem),
        "scenarios": lambda: (
            "/v1/scenarios",
            {
                "version": 1,
                "base": problem,
                "variants": [{"name": "commute", "changes": [{"weights": {"commute": 1}}]}],
            },
        ),
        "recommend": lambda: ("/v1/recommend", {"problem": problem, "position": position, "k": 5}),
        "explain": lambda: ("/v1/explain", {"problem": problem, "partner": partner, "position": position}),
    }


@pytest.mark.parametrize("call", ["solve", "scenarios", "recommend", "explain"])
def test_a_client_that_goes_away_frees_its_worker_within_a_second(
    busy_server: ServerProcess, slow_problem: dict[str, Any], call: str
) -> None:
    path, body = _bodies(slow_problem)[call]()
    busy = _leave_mid_call(busy_server, path, body)
    print(f"{call}: busy {busy:.2f} s after the client left")
    assert busy < FREE_WITHIN_SECONDS, f"{call}: the worker stayed busy {busy:.2f} s after its client left"
    assert "Traceback" not in busy_server.log_path.read_text()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_500_leaves_the_connection_usable(tmp_path: Any) -> None:
    """uvicorn closes the connection when an exception escapes the app; the 500 must not let one escape."""
    app: FastAPI = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'runs.sqlite3'}", workers=1))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("disk on fire")

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            reader = connection.makefile("rb")
            answers = []
            for path in ("/boom", "/healthz"):
                connection.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                status = reader.readline()
                length = 0
                while (line := reader.readline()) not in (b"\r\n", b""):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = reader.read(length)
                answers.append((status.split()[1] if status else b"closed", body))
        assert answers[0] == (b"500", b'{"detail":"internal error: RuntimeError"}')
        assert answers[1][0] == b"200", "the same connection answers the next request"
    finally:
        server.should_exit = True
        thread.join(30)
