"""/v1/runs: batch runs, queued, stored and cancelled."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from enmusubi.service.api.bodies import (
    check_problem_size,
    validate_body,
)
from enmusubi.service.api.dependencies import ServiceDep, query_error
from enmusubi.service.api.responses import documented_errors, json_body, json_response
from enmusubi.service.api.schemas import (
    Message,
    RunAccepted,
    RunCreate,
    RunPage,
    RunSummary,
    RunView,
)
from enmusubi.solver import InputError

log = logging.getLogger(__name__)
router = APIRouter()


@router.post(
    "/runs",
    status_code=202,
    response_model=RunAccepted,
    responses=documented_errors(413, 422, 429, 503),
    openapi_extra=json_body(RunCreate, "The problem of the batch run, an optional name and time limit"),
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


@router.get("/runs", response_model=RunPage, responses=documented_errors(422), tags=["runs"])
def list_runs(
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=100, description="runs per page")] = 20,
    cursor: Annotated[str | None, Query(max_length=500, description="next_cursor of the previous page")] = None,
) -> RunPage:
    """Runs, newest first, without their results."""
    try:
        records, next_cursor = service.store.list_runs(limit=limit, cursor=cursor)
    except InputError as error:
        raise query_error("cursor", error.issues[0].message) from None
    return RunPage(runs=[RunSummary.from_record(r) for r in records], next_cursor=next_cursor)


@router.get("/runs/{run_id}", response_model=RunView, responses=documented_errors(404, 422), tags=["runs"])
def get_run(service: ServiceDep, run_id: Annotated[str, Path(max_length=100)]) -> Response:
    """The run, with its result when done or its error when failed."""
    return json_response(RunView.from_record(service.store.get(run_id)))


@router.delete(
    "/runs/{run_id}",
    response_model=RunSummary,
    responses={**documented_errors(404, 422), 409: {"model": Message, "description": "The run already finished"}},
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
