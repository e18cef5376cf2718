"""POST /v1/solve: a problem solved now."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from enmusubi.service.api.bodies import (
    check_problem_size,
    problem_issues,
)
from enmusubi.service.api.dependencies import ServiceDep
from enmusubi.service.api.responses import documented_errors, json_body
from enmusubi.service.api.schemas import (
    EXAMPLE_PROBLEM,
)
from enmusubi.service.settings import Settings
from enmusubi.solver import InputError, Problem, Result, parse_problem, solve

log = logging.getLogger(__name__)
router = APIRouter()


@router.post(
    "/solve",
    response_model=Result,
    responses=documented_errors(413, 422, 429, 503),
    openapi_extra=json_body("Problem", "A problem file (PROBLEM.md §2)", EXAMPLE_PROBLEM),
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
    problem = await service.read_as(request, lambda data: _parse_sized_problem(data, service.settings))
    limit = service.settings.time_limit(time_limit_seconds)
    return await service.answer_on_worker(lambda stop: solve(problem, time_limit_seconds=limit, stop=stop), request)


def _parse_sized_problem(data: Any, settings: Settings) -> Problem:
    check_problem_size(data, settings)
    problem = parse_problem(data)
    issues = problem_issues(problem)
    if issues:
        raise InputError(issues)
    return problem
