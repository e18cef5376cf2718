"""What the routes share: settings, the store and the worker pool, as a FastAPI dependency."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from enmusubi.service.api.bodies import (
    check_problem_size,
    decode_json,
    read_body,
    validate_body,
)
from enmusubi.service.api.insight_cache import InsightCache
from enmusubi.service.api.schemas import (
    ExplainRequest,
    RecommendRequest,
    ShortlistRequest,
)
from enmusubi.service.io.documents import problem_document_from_bytes
from enmusubi.service.jobs.store import RunStore
from enmusubi.service.jobs.worker_pool import WorkerPool
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


class Service:
    """What the routes share: settings, the store and the worker pool."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = RunStore.from_url(settings.database_url)
        self.pool = WorkerPool(self.store, workers=settings.workers, queue_size=settings.queue_size)
        self.insights = InsightCache(settings.insight_cache_bytes)

    def start(self) -> None:
        self.store.create_schema()
        self.store.mark_interrupted_runs_failed()
        self.pool.start()
        queued = self.store.queued_ids()
        if queued:
            log.info("picking up %d run(s) queued before the restart", len(queued))
            self.pool.requeue(queued)

    def stop(self) -> None:
        self.pool.shutdown()
        self.store.dispose()

    async def on_worker(self, call: Callable[[StopFlag], T]) -> T:
        """Run `call` on the pool and await it without blocking the loop; if the caller goes away, stop it."""
        future, stop = self.pool.submit(call)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            if not future.cancel():
                stop.stop()
            raise

    async def read_json(self, request: Request) -> Any:
        """The body as JSON, or as YAML when its Content-Type says YAML (the console sends scenario files so)."""
        body = await read_body(request, self.settings.max_body_bytes)
        if request.headers.get("content-type", "").split(";")[0].strip().lower() in YAML_TYPES:
            return (await run_in_threadpool(problem_document_from_bytes, body, "yaml", "body"))[0]
        return await run_in_threadpool(decode_json, body)

    def stored_problem(self, run_id: str) -> Problem:
        return parse_problem(self.store.problem_of(run_id))

    async def read_problem_request(self, request: Request, model: type[R]) -> tuple[R, Problem, Result | None]:
        """A body naming a problem inline or a stored run: the body, the problem, and the run's result if done."""
        data = await self.read_json(request)

        def load() -> tuple[R, Problem, Result | None]:
            check_problem_size(data.get("problem") if isinstance(data, dict) else None, self.settings, "problem.")
            body = validate_body(model, data)
            if body.problem is not None:
                return body, body.problem, None
            assert body.run is not None
            record = self.store.get(body.run)
            result = Result.model_validate(record.result) if record.status == "done" and record.result else None
            return body, self.stored_problem(body.run), result

        return await run_in_threadpool(load)

    async def read_insight_request(self, request: Request, model: type[R]) -> InsightRequest[R]:
        """Like `read_problem_request`, but a problem (or finished run) kept in the insight cache is taken
        from there without reading, parsing or compiling it again."""
        data = await self.read_json(request)

        def load() -> InsightRequest[R]:
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

        return await run_in_threadpool(load)

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
