"""POST /v1/recommend and /v1/explain."""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter, Request
from fastapi.responses import Response

from enmusubi.service.api.dependencies import ServiceDep
from enmusubi.service.api.responses import documented_errors, json_body
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
    asked = await service.read_insight_request(request, RecommendRequest)
    body = asked.body
    limit = service.settings.time_limit(body.time_limit_seconds)

    def call(stop: StopFlag) -> Recommendation:
        deadline = time.monotonic() + limit
        kept = service.insight(asked, deadline, stop)
        found = recommend(
            kept.problem,
            position=body.position,
            partner=body.partner,
            k=body.k,
            time_limit_seconds=max(deadline - time.monotonic(), 0.0),
            stop=stop,
            insight=kept,
        )
        service.insights.keep(kept, asked.run_id)  # re-measured: it has learnt bounds and answers
        return found

    return await service.answer_on_worker(call, request)


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
    asked = await service.read_insight_request(request, ExplainRequest)
    body = asked.body
    limit = service.settings.time_limit(body.time_limit_seconds)

    def call(stop: StopFlag) -> Explanation:
        deadline = time.monotonic() + limit
        kept = service.insight(asked, deadline, stop)
        found = explain(
            kept.problem,
            body.partner,
            body.position,
            time_limit_seconds=max(deadline - time.monotonic(), 0.0),
            stop=stop,
            insight=kept,
        )
        service.insights.keep(kept, asked.run_id)
        return found

    return await service.answer_on_worker(call, request)
