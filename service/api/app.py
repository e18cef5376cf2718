"""The portal's HTTP API (API.md): `create_app()` builds the FastAPI application.

Routes stay thin: bodies are read and validated off the event loop (service/bodies.py),
solves run on the worker pool (service/worker.py), runs live in the store (service/store.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from enmusubi.scenarios.run import ScenarioRun, run_scenario
from enmusubi.scenarios.scenario import Scenario, parse_scenario
from enmusubi.service.api.auth import require_api_key
from enmusubi.service.api.bodies import (
    BodyTooLargeError,
    check_problem_size,
    decode_json,
    issues_from_errors,
    loc_from_path,
    read_body,
    validate_body,
)
from enmusubi.service.api.schemas import (
    EXAMPLE_PROBLEM,
    ExplainRequest,
    Health,
    Message,
    RecommendRequest,
    RunAccepted,
    RunCreate,
    RunPage,
    RunSummary,
    RunView,
    ScenarioRequest,
    ValidationProblem,
)
from enmusubi.service.jobs.store import RunStore
from enmusubi.service.jobs.worker_pool import PoolClosedError, QueueFullError, WorkerPool
from enmusubi.service.settings import Settings
from enmusubi.solver import InputError, Issue, Problem, Result, StopFlag, UnknownIdError, parse_problem, solve
from enmusubi.solver.explain import Explanation, explain
from enmusubi.solver.recommend import Recommendation, recommend

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R", RecommendRequest, ExplainRequest)

API_VERSION = "1"
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": Message, "description": "Unknown id (run, partner or position)"},
    413: {"model": Message, "description": "Body over ENMUSUBI_MAX_BODY_BYTES"},
    422: {"model": ValidationProblem, "description": "Invalid request: every fault listed by its path"},
    429: {"model": Message, "description": "The queue is full; retry after Retry-After seconds"},
    503: {"model": Message, "description": "The service is stopping"},
}


def _pick(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: ERROR_RESPONSES[code] for code in codes}


def json_response(model: BaseModel, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Serialise on the calling thread (a worker's, for big results), not on the event loop."""
    return Response(model.model_dump_json(), status_code=status_code, media_type="application/json", headers=headers)


def _json_body(schema: type[BaseModel] | str, description: str, example: Any = None) -> dict[str, Any]:
    """openapi_extra for a body read by hand: document it as `schema` (see service/bodies.py for why)."""
    name = schema if isinstance(schema, str) else schema.__name__
    content: dict[str, Any] = {"schema": {"$ref": f"#/components/schemas/{name}"}}
    if example is not None:
        content["example"] = example
    return {"requestBody": {"required": True, "description": description, "content": {"application/json": content}}}


class Service:
    """What the routes share: settings, the store and the worker pool."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = RunStore.from_url(settings.database_url)
        self.pool = WorkerPool(self.store, workers=settings.workers, queue_size=settings.queue_size)

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
        body = await read_body(request, self.settings.max_body_bytes)
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


async def _service(request: Request) -> Service:
    return request.app.state.service


ServiceDep = Annotated[Service, Depends(_service)]


def _issue_detail(issue: Issue, where: str, kind: str = "value_error") -> dict[str, Any]:
    return {"loc": [where, *loc_from_path(issue.path)], "path": issue.path, "msg": issue.message, "type": kind}


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(InputError)
    async def input_error(_request: Request, error: InputError) -> JSONResponse:
        where = getattr(error, "where", "body")
        return JSONResponse({"detail": [_issue_detail(issue, where) for issue in error.issues]}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def request_validation(_request: Request, error: RequestValidationError) -> JSONResponse:
        errors = list(error.errors())
        detail = [
            _issue_detail(issue, str(err["loc"][0]) if err.get("loc") else "request", err.get("type", "value_error"))
            for err, issue in zip(errors, issues_from_errors(errors, skip=1), strict=True)
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(UnknownIdError)
    async def unknown_id(_request: Request, error: UnknownIdError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=404)

    @app.exception_handler(BodyTooLargeError)
    async def too_large(_request: Request, error: BodyTooLargeError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=413, headers={"Connection": "close"})

    @app.exception_handler(QueueFullError)
    async def queue_full(request: Request, error: QueueFullError) -> JSONResponse:
        retry = str(request.app.state.settings.retry_after_seconds)
        return JSONResponse({"detail": f"{error}; retry later"}, status_code=429, headers={"Retry-After": retry})

    @app.exception_handler(PoolClosedError)
    async def closed(request: Request, error: PoolClosedError) -> JSONResponse:
        retry = str(request.app.state.settings.retry_after_seconds)
        return JSONResponse({"detail": str(error)}, status_code=503, headers={"Retry-After": retry})

    @app.exception_handler(Exception)
    async def internal(request: Request, error: Exception) -> JSONResponse:
        log.error("internal error on %s %s", request.method, request.url.path, exc_info=error)
        return JSONResponse({"detail": f"internal error: {type(error).__name__}"}, status_code=500)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"detail": str(error.detail)}, status_code=error.status_code, headers=error.headers)


def _query_error(path: str, message: str) -> InputError:
    error = InputError(Issue(path, message))
    error.where = "query"  # type: ignore[attr-defined]
    return error


def _health_routes(app: FastAPI) -> None:
    @app.get("/healthz", response_model=Health, responses={503: {"model": Health}}, tags=["health"])
    def healthz(service: ServiceDep) -> Response:
        """200 when the service and its database answer; 503 (with the reason) when the database does not."""
        load = service.pool.load()
        try:
            service.store.ping()
        except Exception as error:
            log.warning("health check: database does not answer: %s", error)
            health = Health(status="unavailable", detail=f"database: {type(error).__name__}", **load)
            return json_response(health, 503)
        return json_response(Health(status="ok", **load))


def _solve_routes(router: APIRouter) -> None:
    @router.post(
        "/solve",
        response_model=Result,
        responses=_pick(413, 422, 429, 503),
        openapi_extra=_json_body("Problem", "A problem file (PROBLEM.md §2)", EXAMPLE_PROBLEM),
        tags=["solve"],
    )
    async def solve_now(
        request: Request,
        service: ServiceDep,
        time_limit_seconds: Annotated[
            float | None,
            Query(gt=0, allow_inf_nan=False, description="seconds; default and cap from ENMUSUBI_*_TIME_LIMIT_SECONDS"),
        ] = None,
    ) -> Response:
        """Solve a problem now and return the result (for problems that solve in seconds; else POST /v1/runs)."""
        data = await service.read_json(request)
        problem = await run_in_threadpool(_parse_sized_problem, data, service.settings)
        limit = service.settings.time_limit(time_limit_seconds)
        return await service.on_worker(lambda stop: json_response(solve(problem, time_limit_seconds=limit, stop=stop)))


def _parse_sized_problem(data: Any, settings: Settings) -> Problem:
    check_problem_size(data, settings)
    return parse_problem(data)


def _run_routes(router: APIRouter) -> None:
    @router.post(
        "/runs",
        status_code=202,
        response_model=RunAccepted,
        responses=_pick(413, 422, 429, 503),
        openapi_extra=_json_body(RunCreate, "The problem of the batch run, an optional name and time limit"),
        tags=["runs"],
    )
    async def create_run(request: Request, service: ServiceDep) -> Response:
        """Queue a batch run; it is stored before this answers, and solved by the next free worker."""
        data = await service.read_json(request)

        def validate() -> RunCreate:
            check_problem_size(data.get("problem") if isinstance(data, dict) else None, service.settings, "problem.")
            return validate_body(RunCreate, data)

        body = await run_in_threadpool(validate)
        with service.pool.reserve() as place:
            record = await run_in_threadpool(
                service.store.create_run,
                problem=body.problem.to_json_dict(),
                name=body.name,
                time_limit=service.settings.time_limit(body.time_limit_seconds),
            )
            place.put_run(record.id)
        return json_response(RunAccepted(id=record.id), 202, headers={"Location": f"/v1/runs/{record.id}"})

    @router.get("/runs", response_model=RunPage, responses=_pick(422), tags=["runs"])
    def list_runs(
        service: ServiceDep,
        limit: Annotated[int, Query(ge=1, le=100, description="runs per page")] = 20,
        cursor: Annotated[str | None, Query(max_length=500, description="next_cursor of the previous page")] = None,
    ) -> RunPage:
        """Runs, newest first, without their results."""
        try:
            records, next_cursor = service.store.list_runs(limit=limit, cursor=cursor)
        except InputError as error:
            raise _query_error("cursor", error.issues[0].message) from None
        return RunPage(runs=[RunSummary.from_record(r) for r in records], next_cursor=next_cursor)

    @router.get("/runs/{run_id}", response_model=RunView, responses=_pick(404, 422), tags=["runs"])
    def get_run(service: ServiceDep, run_id: Annotated[str, Path(max_length=100)]) -> Response:
        """The run, with its result when done or its error when failed."""
        return json_response(RunView.from_record(service.store.get(run_id)))

    @router.delete(
        "/runs/{run_id}",
        response_model=RunSummary,
        responses={**_pick(404, 422), 409: {"model": Message, "description": "The run already finished"}},
        tags=["runs"],
    )
    def cancel_run(service: ServiceDep, run_id: Annotated[str, Path(max_length=100)]) -> Response:
        """Cancel a queued or running run. A running solve stops within moments; the best allocation it had
        found is then kept as the run's `result` (status stays `cancelled`). 409 when the run already finished."""
        record, changed = service.store.cancel(run_id)
        if not changed:
            return json_response(Message(detail=f"run {run_id} already finished ({record.status})"), 409)
        service.pool.cancel_run(run_id)
        return json_response(RunSummary.from_record(record))


def _scenario_routes(router: APIRouter) -> None:
    @router.post(
        "/scenarios",
        response_model=ScenarioRun,
        responses=_pick(404, 413, 422, 429, 503),
        openapi_extra=_json_body(ScenarioRequest, 'A scenario (SCENARIO.md); `base` is a problem or {"run": id}'),
        tags=["scenarios"],
    )
    async def run_scenario_now(request: Request, service: ServiceDep) -> Response:
        """Solve the base and every variant; each variant's result and its difference from the base."""
        data = await service.read_json(request)
        scenario = await run_in_threadpool(_parse_api_scenario, data, service)
        return await service.on_worker(lambda _stop: json_response(run_scenario(scenario, parallel=False)))


def _parse_api_scenario(data: Any, service: Service) -> Scenario:
    if isinstance(data, dict):
        check_problem_size(data.get("base"), service.settings, "base.")

    def resolve_base(value: Any) -> Problem:
        if isinstance(value, dict) and set(value) == {"run"} and isinstance(value["run"], str):
            return service.stored_problem(value["run"])
        expected = 'expected an inline problem (with "version") or {"run": id}'
        raise InputError(Issue("base", f"{expected}, got {value!r:.80}"))

    scenario = parse_scenario(data, resolve_base=resolve_base)
    limit = service.settings.time_limit(scenario.time_limit_seconds)
    return scenario.model_copy(update={"time_limit_seconds": limit})


def _insight_routes(router: APIRouter) -> None:
    @router.post(
        "/recommend",
        response_model=Recommendation,
        responses=_pick(404, 413, 422, 429, 503),
        openapi_extra=_json_body(RecommendRequest, "A problem (or stored run) and a position or a partner"),
        tags=["insight"],
    )
    async def recommend_pairs(request: Request, service: ServiceDep) -> Response:
        """The k best eligible partners for a position (or positions for a partner), best first, each with
        what placing it (as a lock) would change in the optimal allocation."""
        body, problem, result = await service.read_problem_request(request, RecommendRequest)
        limit = service.settings.time_limit(body.time_limit_seconds)

        def call(_stop: StopFlag) -> Response:
            found = recommend(
                problem, position=body.position, partner=body.partner, k=body.k, result=result, time_limit_seconds=limit
            )
            return json_response(found)

        return await service.on_worker(call)

    @router.post(
        "/explain",
        response_model=Explanation,
        responses=_pick(404, 413, 422, 429, 503),
        openapi_extra=_json_body(ExplainRequest, "A problem (or stored run), a partner and a position"),
        tags=["insight"],
    )
    async def explain_pair(request: Request, service: ServiceDep) -> Response:
        """Every eligibility rule for the pair with the values compared, its score terms, whether it is in the
        optimal allocation and, if not, what stops it (the failing rule, or the binding constraint and who holds it)."""
        body, problem, result = await service.read_problem_request(request, ExplainRequest)
        limit = service.settings.time_limit(body.time_limit_seconds)
        return await service.on_worker(
            lambda _stop: json_response(
                explain(problem, body.partner, body.position, result=result, time_limit_seconds=limit)
            )
        )


def _custom_openapi(app: FastAPI, documented: list[type[BaseModel]]) -> Callable[[], dict[str, Any]]:
    """FastAPI's document plus the schemas of the bodies that are read by hand."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            _, definitions = models_json_schema(
                [(model, "validation") for model in documented], ref_template="#/components/schemas/{model}"
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for name, definition in definitions.get("$defs", {}).items():
                components.setdefault(name, definition)
            app.openapi_schema = schema
        return app.openapi_schema

    return openapi


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application; its lifespan opens the store (creating the schema), fails interrupted runs, runs the pool."""
    settings = settings or Settings()
    service = Service(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(service.start)
        try:
            yield
        finally:
            await run_in_threadpool(service.stop)

    app = FastAPI(
        title="enmusubi",
        version=API_VERSION,
        description="Matching specialists to Tokyo's municipalities: solve, batch runs, scenarios, recommend, explain.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.service = service
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["Location", "Retry-After"],
        )
    _install_error_handlers(app)
    _health_routes(app)
    guarded = bool(settings.api_keys)
    v1 = APIRouter(
        prefix="/v1",
        dependencies=[Depends(require_api_key)] if guarded else [],
        responses={401: {"model": Message, "description": "Missing or invalid API key"}} if guarded else {},
    )
    _solve_routes(v1)
    _run_routes(v1)
    _scenario_routes(v1)
    _insight_routes(v1)
    app.include_router(v1)
    app.openapi = _custom_openapi(app, [Problem, RunCreate, ScenarioRequest, RecommendRequest, ExplainRequest])  # type: ignore[method-assign]
    if not guarded:
        log.warning("no ENMUSUBI_API_KEYS set: /v1 is open to anyone who can reach %s", settings.host)
    return app
