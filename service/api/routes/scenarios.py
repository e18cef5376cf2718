"""POST /v1/scenarios: what-if files run now."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from enmusubi.scenarios.run import ScenarioRun, run_scenario
from enmusubi.scenarios.scenario import Scenario, parse_scenario
from enmusubi.service.api.bodies import (
    check_problem_size,
)
from enmusubi.service.api.dependencies import Service, ServiceDep
from enmusubi.service.api.responses import documented_errors, json_body
from enmusubi.service.api.schemas import (
    ScenarioRequest,
)
from enmusubi.solver import InputError, Issue, Problem, StopFlag

log = logging.getLogger(__name__)
router = APIRouter()


@router.post(
    "/scenarios",
    response_model=ScenarioRun,
    responses=documented_errors(404, 413, 422, 429, 503),
    openapi_extra=json_body(ScenarioRequest, 'A scenario (SCENARIO.md); `base` is a problem or {"run": id}'),
    tags=["scenarios"],
)
async def run_scenario_now(request: Request, service: ServiceDep) -> Response:
    """Solve the base and every variant; each variant's result and its difference from the base."""
    scenario = await service.read_as(request, lambda data: _parse_api_scenario(data, service))
    settings = service.settings
    # With ENMUSUBI_SCENARIO_EXECUTOR=ray the variants are Ray tasks; a Ray started here stays up for the next.
    ray = settings.scenario_executor == "ray"

    def call(stop: StopFlag) -> ScenarioRun:
        return run_scenario(
            scenario, parallel=ray, total_seconds=settings.max_scenario_seconds, stop=stop,
            executor=settings.scenario_executor, address=settings.ray_address, keep_ray=True,
        )  # fmt: skip

    return await service.answer_on_worker(call, request)


def _parse_api_scenario(data: Any, service: Service) -> Scenario:
    if isinstance(data, dict):
        check_problem_size(data.get("base"), service.settings, "base.")
        variants, cap = data.get("variants"), service.settings.max_scenario_variants
        if isinstance(variants, list) and len(variants) > cap:
            message = (
                f"{len(variants)} variants is more than this service accepts ({cap}, ENMUSUBI_MAX_SCENARIO_VARIANTS)"
            )
            raise InputError(Issue("variants", message))

    def resolve_base(value: Any) -> Problem:
        if isinstance(value, dict) and set(value) == {"run"} and isinstance(value["run"], str):
            return service.stored_problem(value["run"])
        expected = 'expected an inline problem (with "version") or {"run": id}'
        raise InputError(Issue("base", f"{expected}, got {value!r:.80}"))

    scenario = parse_scenario(data, resolve_base=resolve_base)
    limit = service.settings.time_limit(scenario.time_limit_seconds)
    return scenario.model_copy(update={"time_limit_seconds": limit})
