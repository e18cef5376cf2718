"""What the routes share: settings, the store and the worker pool, as a FastAPI dependency.

Two promises of API.md live here. Nothing runs for nobody: a call awaiting the pool also watches
its connection, and when the client goes away the job's StopFlag is set (or the job is dropped
from the queue), so the worker is free again within moments. Bounded decoding: a decoded body
takes several times its size in memory, so at most ENMUSUBI_MAX_CONCURRENT_DECODES bodies are
decoded and validated at once, and only the validated value outlives that step.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from enmusubi.service.api.bodies import (
    check_problem_size,
    decode_json,
    read_body,
    validate_body,
)
from enmusubi.service.api.insight_cache import InsightCache
from enmusubi.service.api.responses import json_response
from enmusubi.service.api.schemas import (
    ExplainRequest,
    RecommendRequest,
    ShortlistRequest,
)
from enmusubi.service.io.documents import problem_document_from_bytes
from enmusubi.service.jobs.store import RunStore
from enmusubi.service.jobs.worker_pool import PoolClosedError, ReplicaOptions, WorkerPool
from enmusubi.service.settings import Settings
from enmusubi.solver import InputError, Issue, Problem, Result, StopFlag, parse_problem
from enmusubi.solver.data import problem_digest
from enmusubi.solver.insight import Insight

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R", RecommendRequest, ExplainRequest, ShortlistRequest)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")


@dataclass(frozen=True)
class InsightRequest(Generic[R]):
    """A recommend or explain body with its problem, the run's result when done, and a kept insight if any."""

    body: R
    problem: Problem
    result: Result | None
    insight: Insight | None
    run_id: str | None = None  # the finished run to key a new insight by


class ClientGoneError(Exception):
    """The client of a synchronous call went away before its answer; its work was stopped."""


async def _until_disconnected(request: Request) -> None:
    """Return when the client closes the connection. The body has been read, so the next ASGI message
    is `http.disconnect` (the server sends it when the connection closes, or once the response is sent)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Collect the outcome of a job nobody awaits any more, so asyncio does not log it as lost."""
    if not future.cancelled():
        future.exception()


class Service:
    """What the routes share: settings, the store and the worker pool."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = RunStore.from_url(settings.database_url, busy_timeout_seconds=settings.sqlite_busy_timeout_seconds)
        options = ReplicaOptions(
            replica_id=settings.replica_id,
            poll_seconds=settings.poll_seconds,
            heartbeat_seconds=settings.heartbeat_seconds,
            takeover_seconds=settings.takeover_seconds,
            max_attempts=settings.max_attempts,
            write_retry_seconds=settings.write_retry_seconds,
            retention_days=settings.retention_days,
        )
        self.pool = WorkerPool(
            self.store,
            workers=settings.workers,
            queue_size=settings.queue_size,
            options=options,
            on_done=self._after_run,
        )
        self.insights = InsightCache(
            settings.insight_cache_bytes, precompute=settings.insight_precompute, busy=self.pool.busy
        )
        self._decoding: asyncio.Semaphore | None = None  # made on the event loop, at first use

    def start(self) -> None:
        """Migrate the schema, then claim runs. SQLite is one process's database: whatever it left running was
        this service's before a crash, and is taken over at once instead of after `takeover_seconds`."""
        self.store.create_schema()
        if self.store.is_sqlite:
            self.store.abandon_running()
        self.pool.start()
        log.info("replica %s started; %d run(s) queued", self.settings.replica_id, self.store.queued_count())

    def stop(self) -> None:
        self.pool.shutdown()
        self.insights.close()
        self.store.dispose()
        self._decoding = None

    def _after_run(self, run_id: str, problem: Problem, result: Result) -> None:
        """A run stored as done: with the precompute on, its problem is compiled and kept at once, so the
        cache settles the questions on it before they are asked."""
        if self.settings.insight_precompute and self.settings.insight_cache_bytes > 0 and result.status == "optimal":
            self.insights.keep(Insight.of(problem, result), run_id)

    async def on_worker(self, call: Callable[[StopFlag], T], request: Request) -> T:
        """Run `call` on the pool and await it without blocking the loop, watching the connection meanwhile.

        When the client goes away (or the awaiting task is cancelled) the job leaves the queue, or its stop
        flag is set, and ClientGoneError is raised: nothing runs for nobody."""
        future, stop = self.pool.submit(call)
        answer = asyncio.wrap_future(future)
        watcher = asyncio.ensure_future(_until_disconnected(request))
        try:
            await asyncio.wait((answer, watcher), return_when=asyncio.FIRST_COMPLETED)
            if not answer.done():
                raise ClientGoneError
            return answer.result()
        except (asyncio.CancelledError, ClientGoneError):
            if not future.cancel():
                stop.stop()
            answer.add_done_callback(_retrieve)
            raise
        finally:
            watcher.cancel()

    async def answer_on_worker(self, compute: Callable[[StopFlag], BaseModel | Response], request: Request) -> Response:
        """`on_worker` for a JSON answer, serialised on the worker too. Stopped work is not serialised (nobody
        reads it), so a worker whose client left is free the moment the computation returns."""

        def job(stop: StopFlag) -> Response | None:
            try:
                value = compute(stop)
            except Exception:
                if stop.is_set():  # stopped work may end in an error (ScenarioStoppedError): nobody wants it
                    return None
                raise
            if stop.is_set():
                return None
            return value if isinstance(value, Response) else json_response(value)

        response = await self.on_worker(job, request)
        if response is None:  # stopped by the service itself: it is shutting down
            raise PoolClosedError("the service is stopping")
        return response

    async def read_as(self, request: Request, parse: Callable[[Any], T]) -> T:
        """The body read within the size limit, then decoded (JSON, or YAML when its Content-Type says YAML:
        the console sends scenario files so) and validated by `parse`: see `decoded`."""
        body = await read_body(request, self.settings.max_body_bytes)
        if request.headers.get("content-type", "").split(";")[0].strip().lower() in YAML_TYPES:
            return await self.decoded(lambda: parse(problem_document_from_bytes(body, "yaml", "body")[0]))
        return await self.decoded(lambda: parse(decode_json(body)))

    async def decoded(self, decode: Callable[[], T]) -> T:
        """Run `decode` (decoding and validating a body) on a thread, with at most ENMUSUBI_MAX_CONCURRENT_DECODES
        at that step at once: a decoded body takes several times its size, and only what `decode` returns
        outlives the step."""
        if self._decoding is None:
            self._decoding = asyncio.Semaphore(self.settings.max_concurrent_decodes)
        async with self._decoding:
            return await run_in_threadpool(decode)

    def stored_problem(self, run_id: str) -> Problem:
        return parse_problem(self.store.problem_of(run_id))

    async def read_problem_request(self, request: Request, model: type[R]) -> tuple[R, Problem, Result | None]:
        """A body naming a problem inline or a stored run: the body, the problem, and the run's result if done."""

        def load(data: Any) -> tuple[R, Problem, Result | None]:
            check_problem_size(data.get("problem") if isinstance(data, dict) else None, self.settings, "problem.")
            body = validate_body(model, data)
            if body.problem is not None:
                return body, body.problem, None
            assert body.run is not None
            record = self.store.get(body.run)
            result = Result.model_validate(record.result) if record.status == "done" and record.result else None
            return body, self.stored_problem(body.run), result

        return await self.read_as(request, load)

    async def read_insight_request(self, request: Request, model: type[R]) -> InsightRequest[R]:
        """Like `read_problem_request`, but a problem (or finished run) kept in the insight cache is taken
        from there without reading, parsing or compiling it again."""

        def load(data: Any) -> InsightRequest[R]:
            check_problem_size(data.get("problem") if isinstance(data, dict) else None, self.settings, "problem.")
            body = validate_body(model, data)
            if body.run is not None:
                kept = self.insights.for_run(body.run)
                if kept is not None:
                    return InsightRequest(body, kept.problem, None, kept, body.run)
            if body.problem is not None:
                return InsightRequest(body, body.problem, None, self.insights.for_digest(problem_digest(body.problem)))
            assert body.run is not None  # the body names exactly one of problem and run
            record = self.store.get(body.run)
            done = record.status == "done" and record.result
            result = Result.model_validate(record.result) if done else None
            problem = self.stored_problem(body.run)
            kept = self.insights.for_digest(problem_digest(problem))
            return InsightRequest(body, problem, result, kept, body.run if done else None)

        return await self.read_as(request, load)

    def insight(self, asked: InsightRequest[Any], deadline: float | None, stop: StopFlag) -> Insight:
        """The kept insight of the asked problem, or a new one (kept when its base is proven)."""
        if asked.insight is not None:
            return asked.insight
        made = Insight.of(asked.problem, asked.result, deadline, stop)
        self.insights.keep(made, asked.run_id)
        return made


async def current_service(request: Request) -> Service:
    return request.app.state.service


ServiceDep = Annotated[Service, Depends(current_service)]


def query_error(path: str, message: str) -> InputError:
    return InputError(Issue(path, message), where="query")
