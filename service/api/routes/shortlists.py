"""POST /v1/shortlists: interview candidates per position (PROBLEM.md §10)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from enmusubi.service.api.dependencies import ServiceDep
from enmusubi.service.api.responses import documented_errors, json_body
from enmusubi.service.api.schemas import ShortlistRequest
from enmusubi.solver import StopFlag
from enmusubi.solver.shortlist import Shortlists, shortlist

router = APIRouter()


@router.post(
    "/shortlists",
    response_model=Shortlists,
    response_model_exclude_none=True,
    responses=documented_errors(404, 413, 422, 429, 503),
    openapi_extra=json_body(ShortlistRequest, "A problem (or stored run), the shortlist size and the cap per partner"),
    tags=["insight"],
)
async def create_shortlists(request: Request, service: ServiceDep) -> Response:
    """Up to `size` candidates per position, no partner on more than `max_per_partner` shortlists: as many
    positions covered as possible, then the highest total score. Candidates best first, ties by partner id."""
    body, problem, _result = await service.read_problem_request(request, ShortlistRequest)

    def call(_stop: StopFlag) -> Response:
        found = shortlist(problem, size=body.size, max_per_partner=body.max_per_partner)
        return Response(found.to_json(indent=None), media_type="application/json")  # no "reason": null

    return await service.answer_on_worker(call, request)
