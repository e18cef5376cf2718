"""POST /v1/recommend and /v1/explain."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import Response

from enmusubi.service.api.dependencies import ServiceDep
from enmusubi.service.api.responses import documented_errors, json_body, json_response
from enmusubi.service.api.schemas import (
    ExplainRequest,
    RecommendRequest,
)
from enmusubi.solver import StopFlag
from enmusubi.solver.explain import Explanation, explain
from enmusubi.solver.recommend import Recommendation, recommend

log = logging.getLogger(__name__)
router = APIRouter()


@router.post(
    "/recommend",
    response_model=Recommendation,
    responses=documented_errors(404, 413, 422, 429, 503),
    openapi_extra=json_body(RecommendRequest, "A problem (or stored run) and a position or a partner"),
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
    responses=documented_errors(404, 413, 422, 429, 503),
    openapi_extra=json_body(ExplainRequest, "A problem (or stored run), a partner and a position"),
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
