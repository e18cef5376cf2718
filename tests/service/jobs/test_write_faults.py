"""Nothing stuck: a real `enmusubi serve` whose SQLite file cannot be written (locked by another connection, on a
full file system) retries the run's outcome with back-off, says `degraded` meanwhile, and finishes the run once the
database takes writes again; a run refused at submission is 503 with nothing stored.

A read-only file system: the kernel refuses to remount one read-only while the service holds its file open for
writing, so a service is started on one (it refuses to start, and the file is left as it was), and SQLite's own
read-only error under a running service (`PRAGMA query_only`, SQLITE_READONLY) takes the path the full disk takes."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from enmusubi.scenarios.generator import generate_problem
from enmusubi.service.api.app import create_app
from enmusubi.service.settings import Settings
from tests.service.conftest import API_KEY, REPO, ServerProcess, wait_status

WAIT_SECONDS = 60  # a guard against hangs, not a speed target
FAULTY = {"workers": "1", "sqlite_busy_timeout_seconds": "0.3", "poll_seconds": "0.2", "write_retry_seconds": "120"}


def _wait(client: httpx.Client, path: str, check: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_SECONDS
    while not check(body := client.get(path).json()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {body}"
        time.sleep(0.05)
    return body


@pytest.fixture(scope="module")
def two_second_problem() -> dict[str, Any]:
    """Large enough that its solve runs into a 2 s time limit, small enough for a 16 MiB file system."""
    return generate_problem(n_partners=1500, n_positions=250, seed=3)


def _start_run(server: ServerProcess, problem: dict[str, Any]) -> str:
    run_id = server.client.post("/v1/runs", json={"problem": problem, "time_limit_seconds": 2}).json()["id"]
    _wait(server.client, f"/v1/runs/{run_id}", lambda r: r["status"] == "running", "the run to start")
    return run_id


def _degraded_then_done(server: ServerProcess, run_id: str, fault_over: Callable[[], None]) -> None:
    health = _wait(server.client, "/healthz", lambda h: h["status"] == "degraded", "/healthz to say degraded")
    assert "database writes failing" in health["detail"]
    assert server.client.get(f"/v1/runs/{run_id}").json()["status"] == "running", "still readable, not lost"
    fault_over()
    done = _wait(server.client, f"/v1/runs/{run_id}", lambda r: r["status"] != "running", "the retried write")
    assert done["status"] == "done" and done["result"]["assignments"], done.get("error")
    _wait(server.client, "/healthz", lambda h: h["status"] == "ok", "/healthz to recover")


def test_a_locked_database_is_retried_reported_degraded_and_the_run_finishes(
    start_server: Callable[..., ServerProcess], tmp_path: Path, two_second_problem: dict[str, Any]
) -> None:
    path = tmp_path / "locked.sqlite3"
    server = start_server(f"sqlite:///{path}", **FAULTY)
    run_id = _start_run(server, two_second_problem)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program holds the write lock for as long as it likes
    try:
        refused = server.client.post("/v1/runs", json={"problem": two_second_problem})
        assert refused.status_code == 503 and "Retry-After" in refused.headers
        _degraded_then_done(server, run_id, holder.rollback)
    finally:
        holder.close()
    assert len(server.client.get("/v1/runs").json()["runs"]) == 1, "the refused run was not stored"
    assert server.stop()


@pytest.fixture
def small_file_system(tmp_path: Path) -> Iterator[Path]:
    """A 16 MiB tmpfs (root only: skipped outside CI where mount is refused, a failure in CI)."""
    mount_point = tmp_path / "fs"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount_point)], capture_output=True)
    if mounted.returncode != 0:
        reason = f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _fill(directory: Path) -> Path:
    """Write zeros until the file system is full; the file frees the space when removed."""
    filler = directory / "filler"
    with filler.open("wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass
    return filler


def test_a_full_disk_is_retried_reported_degraded_and_the_run_finishes(
    start_server: Callable[..., ServerProcess], small_file_system: Path, two_second_problem: dict[str, Any]
) -> None:
    server = start_server(f"sqlite:///{small_file_system / 'runs.sqlite3'}", **FAULTY)
    run_id = _start_run(server, two_second_problem)
    filler = _fill(small_file_system)
    _degraded_then_done(server, run_id, filler.unlink)
    assert server.stop()


def _remount(mount_point: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(mount_point)], check=True, capture_output=True)


def test_a_read_only_file_system_refuses_the_start_and_loses_nothing(
    start_server: Callable[..., ServerProcess], small_file_system: Path
) -> None:
    url = f"sqlite:///{small_file_system / 'runs.sqlite3'}"
    server = start_server(url, **FAULTY)
    problem = generate_problem(n_partners=30, n_positions=5, seed=1)
    run_id = server.client.post("/v1/runs", json={"problem": problem}).json()["id"]
    stored = wait_status(server.client, run_id, {"done"})
    assert server.stop()
    files = sorted(small_file_system.iterdir())
    before = {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}
    _remount(small_file_system, "ro")
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENMUSUBI_")}
        env.update({"ENMUSUBI_DATABASE_URL": url, "ENMUSUBI_API_KEYS": API_KEY, "ENMUSUBI_PORT": "1"})
        refused = subprocess.run(
            [sys.executable, "-m", "enmusubi.service.cli.app", "serve"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=WAIT_SECONDS,
        )
        assert refused.returncode == 1, refused.stderr
        assert refused.stderr.startswith("error: ENMUSUBI_DATABASE_URL: cannot reach sqlite:///"), refused.stderr
        assert "Traceback" not in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
        after = {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(small_file_system.iterdir())}
        assert after == before, "the read-only file system was not written"
    finally:
        _remount(small_file_system, "rw")
    again = start_server(url, **FAULTY)
    assert again.client.get(f"/v1/runs/{run_id}").json()["result"] == stored["result"], "the stored run is intact"
    assert again.stop()


def test_sqlite_read_only_under_a_running_service_is_retried_reported_degraded_and_the_run_finishes(
    tmp_path: Path, two_second_problem: dict[str, Any]
) -> None:
    """Every connection the service takes turns read-only (`PRAGMA query_only`): SQLite refuses its writes with
    SQLITE_READONLY, "attempt to write a readonly database", as on a file system remounted read-only."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'runs.sqlite3'}",
        api_keys=API_KEY,
        workers=1,
        sqlite_busy_timeout_seconds=0.3,
        poll_seconds=0.2,
        write_retry_seconds=120,
    )
    read_only = threading.Event()
    app = create_app(settings)
    with TestClient(app, headers={"Authorization": f"Bearer {API_KEY}"}) as client:

        @event.listens_for(app.state.service.store.engine, "checkout")
        def turn_read_only(connection: Any, record: Any, proxy: Any) -> None:
            connection.execute(f"PRAGMA query_only = {int(read_only.is_set())}")

        run_id = client.post("/v1/runs", json={"problem": two_second_problem, "time_limit_seconds": 2}).json()["id"]
        _wait(client, f"/v1/runs/{run_id}", lambda r: r["status"] == "running", "the run to start")
        read_only.set()
        health = _wait(client, "/healthz", lambda h: h["status"] == "degraded", "/healthz to say degraded")
        assert "readonly database" in health["detail"]
        refused = client.post("/v1/runs", json={"problem": two_second_problem})
        assert refused.status_code == 503 and "Retry-After" in refused.headers
        assert client.get(f"/v1/runs/{run_id}").json()["status"] == "running", "still readable, not lost"
        read_only.clear()
        done = _wait(client, f"/v1/runs/{run_id}", lambda r: r["status"] != "running", "the retried write")
        assert done["status"] == "done" and done["result"]["assignments"], done.get("error")
        _wait(client, "/healthz", lambda h: h["status"] == "ok", "/healthz to recover")
        assert [r["id"] for r in client.get("/v1/runs").json()["runs"]] == [run_id], "the refused run was not stored"
