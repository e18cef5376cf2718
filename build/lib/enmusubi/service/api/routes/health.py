"""GET /healthz."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import Response

from enmusubi.service.api.dependencies import ServiceDep
from enmusubi.service.api.responses import json_response
from enmusubi.service.api.schemas import (
    Health,
)

log = logging.getLogger(__name__)
router = APIRouter()


@router.get("/healthz", response_model=Health, responses={503: {"model": Health}}, tags=["health"])
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
