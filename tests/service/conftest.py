"""Fixtures of the service tests: databases (SQLite always, PostgreSQL when there is one), app clients, problems."""

from __future__ import annotations

import copy
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from enmusubi.service.api.app import create_app
from enmusubi.service.api.schemas import EXAMPLE_PROBLEM
from enmusubi.service.jobs.store import normalise_url
from enmusubi.service.settings import Settings

REPO = Path(__file__).resolve().parents[2]
POSTGRES_URL_FILE = REPO / ".ci" / "postgres.url"
API_KEY = "test-key-0123456789"
AUTH = {"Authorization": f"Bearer {API_KEY}"}


def _configured_postgres_url() -> str | None:
    url = os.environ.get("ENMUSUBI_TEST_POSTGRES_URL")
    if not url and POSTGRES_URL_FILE.exists():
        url = POSTGRES_URL_FILE.read_text().strip()
    return url or None


def _postgres_or_skip() -> str:
    """The test PostgreSQL's URL. Outside CI a missing server skips (saying so); in CI it fails."""
    url = _configured_postgres_url()
    reason = None
    if url is None:
        reason = "no PostgreSQL configured: set ENMUSUBI_TEST_POSTGRES_URL or run .ci/postgres.sh"
    else:
        try:
            engine = create_engine(normalise_url(url))
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            engine.dispose()
        except SQLAlchemyError as error:
            reason = f"the PostgreSQL at {url.rsplit('@', 1)[-1]} does not answer: {type(error).__name__}"
    if reason is None:
        assert url is not None
        return url
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but PostgreSQL tests cannot run: {reason} (make test runs .ci/postgres.sh in CI)")
    pytest.skip(f"PostgreSQL tests skipped outside CI: {reason}")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return _postgres_or_skip()


@contextmanager
def fresh_postgres_schema(url: str) -> Iterator[str]:
    """A URL whose connections see only a new, empty schema of the test PostgreSQL (dropped after)."""
    base = normalise_url(url)
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a schema of its own in the test PostgreSQL (dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'runs.sqlite3'}"
        return
    with fresh_postgres_schema(request.getfixturevalue("postgres_url")) as url:
        yield url


@pytest.fixture
def postgres_database(postgres_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL schema (skipped outside CI without a server), for tests of PostgreSQL alone."""
    with fresh_postgres_schema(postgres_url) as url:
        yield url


@pytest.fixture
def api_key() -> str:
    """The key the `client` fixtures send."""
    return API_KEY


@pytest.fixture
def example_problem() -> dict[str, Any]:
    return copy.deepcopy(EXAMPLE_PROBLEM)


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    """Start the app in-process (lifespan included) with settings overrides; every client is closed after."""
    opened: list[TestClient] = []

    def start(**overrides: Any) -> TestClient:
        values: dict[str, Any] = {
            "database_url": f"sqlite:///{tmp_path / 'api.sqlite3'}",
            "api_keys": API_KEY,
            "workers": 2,
            "queue_size": 8,
        }
        values.update(overrides)
        client = TestClient(create_app(Settings(**values)), headers=AUTH)
        client.__enter__()
        opened.append(client)
        return client

    yield start
    for client in reversed(opened):
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


@pytest.fixture(scope="session")
def slow_problem() -> dict[str, Any]:
    """A generated problem whose exact solve takes minutes on two cores: something to cancel or interrupt."""
    from enmusubi.scenarios.generator import generate_problem

    return generate_problem(n_partners=3000, n_positions=500, seed=0)


class ServerProcess:
    """`enmusubi serve` in a subprocess on a loopback port, stopped (or killed) by the test."""

    def __init__(self, database_url: str, log_path: Path, **settings: str) -> None:
        self.port = _free_loopback_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENMUSUBI_")}
        env.update({"ENMUSUBI_DATABASE_URL": database_url, "ENMUSUBI_API_KEYS": API_KEY})
        env.update({f"ENMUSUBI_{k.upper()}": v for k, v in settings.items()})
        self.log_path = log_path
        self._log = log_path.open("ab")
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
            cwd=REPO,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.client = httpx.Client(base_url=self.base_url, headers=AUTH, timeout=60)
        self._wait_until_up(log_path)

    def _wait_until_up(self, log_path: Path) -> None:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited with {self.process.returncode}:\n{log_path.read_text()}")
            try:
                if self.client.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.kill()
        raise AssertionError(f"the server did not answer within {SERVER_START_SECONDS} s:\n{log_path.read_text()}")

    def stop(self) -> bool:
        """SIGTERM, as a service manager stops it; True when it shut down cleanly.

        uvicorn re-raises the signal after its graceful shutdown, so a clean stop exits by SIGTERM.
        """
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(SERVER_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._close()
        clean_exit = self.process.returncode in (0, -signal.SIGTERM)
        return clean_exit and "Application shutdown complete" in self.log_path.read_text()

    def kill(self) -> None:
        """SIGKILL: the service dies mid-whatever, as in a crash or a power cut."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._close()

    def _close(self) -> None:
        self.client.close()
        self._log.close()


SERVER_START_SECONDS = 60
SERVER_STOP_SECONDS = 30
RUN_WAIT_SECONDS = 120  # a guard against hangs, not a speed target


def wait_status(client: httpx.Client, run_id: str, wanted: set[str]) -> dict[str, Any]:
    """Poll a run over HTTP until its status is one of `wanted`; the run."""
    deadline = time.monotonic() + RUN_WAIT_SECONDS
    while (run := client.get(f"/v1/runs/{run_id}").json())["status"] not in wanted:
        assert time.monotonic() < deadline, f"run {run_id} is {run['status']}, wanted {wanted}"
        time.sleep(0.05)
    return run


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Start servers on loopback; whatever is still running at the end is killed, so nothing outlives the test."""
    started: list[ServerProcess] = []

    def start(database_url: str | None = None, **settings: str) -> ServerProcess:
        url = database_url or f"sqlite:///{tmp_path / 'server.sqlite3'}"
        server = ServerProcess(url, tmp_path / f"server-{len(started)}.log", **settings)
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill()
