"""Loopback load test of the HTTP API: GET latency while solves run, solve throughput, cancel latency.

Starts `enmusubi serve` on 127.0.0.1 (a free port, a temporary SQLite file), then
1. fires rounds of 200 concurrent GETs (httpx.AsyncClient, then a minimal client) on an idle
   service (the baseline),
2. starts 4 solves at once (POST /v1/solve) and keeps firing such rounds until they are
   answered (at most MAX_ROUNDS rounds),
3. queues a long batch run, cancels it once it runs, and times until its solve has stopped.
Every loop is bounded in count and time; only loopback addresses are used. Figures go to
benchmarks/results/load_api.json.

    .venv/bin/python -m benchmarks.load_api [--gets 200] [--solves 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import write
from enmusubi.scenarios.generator import generate_problem
from enmusubi.service.api.schemas import EXAMPLE_PROBLEM

KEY = "load-test-key"
MAX_ROUNDS = 50
SOLVE_SIZE = (600, 100)  # partners, positions: about half a second to a couple of seconds each on this machine
SOLVE_TIME_LIMIT = 60
SLOW_SIZE = (3000, 500)  # minutes to prove optimal: something to cancel
DEADLINE_SECONDS = 600


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _summary(latencies: list[float]) -> dict[str, Any]:
    return {
        "requests": len(latencies),
        "p50_ms": round(_percentile(latencies, 0.50) * 1e3, 2),
        "p99_ms": round(_percentile(latencies, 0.99) * 1e3, 2),
        "max_ms": round(max(latencies) * 1e3, 2),
    }


class Server:
    """`enmusubi serve` on a free loopback port; `settings` (ENMUSUBI_ names without the prefix) override the
    defaults, a SQLite file in `data` and the load test's key."""

    def __init__(self, data: Path, name: str = "server", **settings: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENMUSUBI_")}
        env |= {"ENMUSUBI_DATABASE_URL": f"sqlite:///{data / 'load.sqlite3'}", "ENMUSUBI_API_KEYS": KEY}
        env |= {f"ENMUSUBI_{k.upper()}": v for k, v in settings.items()}
        self.log = (data / f"{name}.log").open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "enmusubi.service.cli.app",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise SystemExit("the server did not come up within 60 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


async def _get_round(client: httpx.AsyncClient, path: str, count: int) -> list[float]:
    async def one() -> float:
        started = time.perf_counter()
        response = await client.get(path)
        response.raise_for_status()
        return time.perf_counter() - started

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def _raw_round(port: int, path: str, count: int) -> list[float]:
    """The same round with a minimal HTTP/1.1 client (one request per connection, no httpx), so the
    figures show the server rather than the client's own CPU on this shared 2-core machine."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {KEY}\r\nConnection: close\r\n\r\n"

    async def one() -> float:
        started = time.perf_counter()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request.encode())
        await writer.drain()
        reply = await reader.read()
        writer.close()
        if not reply.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"unexpected reply: {reply[:60]!r}")
        return time.perf_counter() - started

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def _measure(url: str, gets: int, solves: int) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {KEY}"}
    limits = httpx.Limits(max_connections=gets, max_keepalive_connections=gets)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120, limits=limits) as client:
        accepted = await client.post("/v1/runs", json={"name": "small", "problem": EXAMPLE_PROBLEM})
        run_path = f"/v1/runs/{accepted.json()['id']}"
        for _ in range(100):
            if (await client.get(run_path)).json()["status"] == "done":
                break
            await asyncio.sleep(0.05)

        port = int(url.rsplit(":", 1)[1])
        idle: list[float] = []
        idle_raw: list[float] = []
        for _ in range(3):
            idle += await _get_round(client, run_path, gets)
            idle_raw += await _raw_round(port, run_path, gets)

        problems = [generate_problem(*SOLVE_SIZE, seed=seed) for seed in range(solves)]
        started = time.perf_counter()
        solve_tasks = [
            asyncio.create_task(client.post("/v1/solve", json=p, params={"time_limit_seconds": SOLVE_TIME_LIMIT}))
            for p in problems
        ]
        busy: list[float] = []
        busy_raw: list[float] = []
        rounds = 0
        while not all(task.done() for task in solve_tasks) and rounds < MAX_ROUNDS:
            busy += await _get_round(client, run_path, gets)
            busy_raw += await _raw_round(port, run_path, gets)
            rounds += 1
        answers = await asyncio.gather(*solve_tasks)
        solve_wall = time.perf_counter() - started
        statuses = [a.json().get("status", a.status_code) for a in answers]

        slow = generate_problem(*SLOW_SIZE, seed=0)
        slow_id = (await client.post("/v1/runs", json={"problem": slow, "time_limit_seconds": 600})).json()["id"]
        while (await client.get(f"/v1/runs/{slow_id}")).json()["status"] != "running":
            await asyncio.sleep(0.05)
        await asyncio.sleep(3.0)  # well into the search
        cancelled_at = time.perf_counter()
        await client.delete(f"/v1/runs/{slow_id}")
        while (await client.get("/healthz")).json()["running"] > 0:
            await asyncio.sleep(0.02)
        cancel_seconds = time.perf_counter() - cancelled_at

    return {
        "gets_per_round": gets,
        "get_latency_idle": _summary(idle),
        "get_latency_while_solving": {**_summary(busy), "rounds": rounds},
        "get_latency_idle_minimal_client": _summary(idle_raw),
        "get_latency_while_solving_minimal_client": _summary(busy_raw),
        "solves": {
            "count": solves,
            "size": {"partners": SOLVE_SIZE[0], "positions": SOLVE_SIZE[1]},
            "statuses": statuses,
            "wall_seconds": round(solve_wall, 3),
            "throughput_per_second": round(solves / solve_wall, 3),
        },
        "cancel": {
            "size": {"partners": SLOW_SIZE[0], "positions": SLOW_SIZE[1]},
            "seconds_until_solver_stopped": round(cancel_seconds, 3),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gets", type=int, default=200, help="concurrent GETs per round")
    parser.add_argument("--solves", type=int, default=4, help="solves started at once")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="enmusubi-load-") as folder:
        server = Server(Path(folder))
        try:
            server.wait_up()
            figures = asyncio.run(asyncio.wait_for(_measure(server.url, args.gets, args.solves), DEADLINE_SECONDS))
        finally:
            server.stop()
    figures["workers"] = os.cpu_count()
    path = write("load_api", figures)
    print(path.read_text())


if __name__ == "__main__":
    main()
