"""GET /healthz."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import Response

from enmusubi.service.api.dependencies import ServiceDep
from enmusubi.service.api.responses import json_response
from enmusubi.service.api.schemas import Health, ReplicaView

log = logging.getLogger(__name__)
router = APIRouter()


@router.get("/healthz", response_model=Health, responses={503: {"model": Health}}, tags=["health"])
def healthz(service: ServiceDep) -> Response:
    """200 when the service and its database answer (`degraded`, with the reason, while writes fail and are
    retried); 503 when the database does not answer. Says which replica this is and which runs it holds."""
    load = service.pool.load()
    mine = {"replica": service.pool.replica_id, "runs_held": sorted(service.pool.held())}
    try:
        service.store.ping()
        alive = service.store.replicas(alive_within_seconds=service.settings.takeover_seconds)
    except Exception as error:
        log.warning("health check: database does not answer: %s", error)
        health = Health(status="unavailable", detail=f"database: {type(error).__name__}", **load, **mine)
        return json_response(health, 503)
    replicas = [ReplicaView(id=r.id, started_at=r.started_at, heartbeat_at=r.heartbeat_at, runs=r.runs) for r in alive]
    writes = service.store.write_health.state()
    if writes.degraded:
        detail = f"database writes failing: {writes.reason or 'retrying'} ({writes.retrying} write(s) being retried)"
        return json_response(Health(status="degraded", detail=detail, **load, **mine, replicas=replicas))
    return json_response(Health(status="ok", **load, **mine, replicas=replicas))
