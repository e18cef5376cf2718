"""The portal's HTTP API (API.md): `create_app()` builds the FastAPI application.

Routes stay thin (service/api/routes/, one module per resource): bodies are read and validated off
the event loop (bodies.py), solves run on the worker pool (service/jobs/), runs live in the store."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from starlette.concurrency import run_in_threadpool

from enmusubi.service.api.auth import require_api_key
from enmusubi.service.api.dependencies import Service
from enmusubi.service.api.errors import InternalErrorMiddleware, install_error_handlers
from enmusubi.service.api.offline import CONSOLE_POLICY, DOCS_POLICY, OfflinePolicy
from enmusubi.service.api.routes import console, health, insight, runs, scenarios, shortlists, solve
from enmusubi.service.api.schemas import (
    ExplainRequest,
    Message,
    RecommendRequest,
    RunCreate,
    ScenarioRequest,
    ShortlistRequest,
)
from enmusubi.service.settings import Settings
from enmusubi.solver import Problem

log = logging.getLogger(__name__)
API_VERSION = "1"


def _state_the_caps(components: dict[str, Any], settings: Settings) -> None:
    """The size caps this service is set up with, as `maxItems` where the server enforces them."""
    problem = components["Problem"]["properties"]
    problem["partners"]["maxItems"] = settings.max_partners
    problem["positions"]["maxItems"] = settings.max_positions
    components["ScenarioRequest"]["properties"]["variants"]["maxItems"] = settings.max_scenario_variants


def _custom_openapi(
    app: FastAPI, documented: list[type[BaseModel]], settings: Settings
) -> Callable[[], dict[str, Any]]:
    """FastAPI's document plus the schemas of the bodies that are read by hand, with this service's caps."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            _, definitions = models_json_schema(
                [(model, "validation") for model in documented], ref_template="#/components/schemas/{model}"
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for name, definition in definitions.get("$defs", {}).items():
                components.setdefault(name, definition)
            _state_the_caps(components, settings)
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

    app = FastAPIOffline(  # /docs and /redoc with Swagger UI and ReDoc served from the installed package, no CDN
        title="enmusubi",
        version=API_VERSION,
        description="Matching specialists to Tokyo's municipalities: solve, batch runs, scenarios, recommend, explain.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.service = service
    app.add_middleware(InternalErrorMiddleware)  # added first, so CORS (outside it) marks its 500s too
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["Location", "Retry-After"],
        )
    app.add_middleware(OfflinePolicy, policies={"/": CONSOLE_POLICY, "/docs": DOCS_POLICY, "/redoc": DOCS_POLICY})
    install_error_handlers(app)
    app.include_router(health.router)
    guarded = bool(settings.api_keys)
    v1 = APIRouter(
        prefix="/v1",
        dependencies=[Depends(require_api_key)] if guarded else [],
        responses={401: {"model": Message, "description": "Missing or invalid API key"}} if guarded else {},
    )
    for resource in (solve, runs, scenarios, insight, shortlists):
        v1.include_router(resource.router)
    app.include_router(v1)
    app.include_router(console.router)
    app.mount(console.STATIC_URL, StaticFiles(directory=console.STATIC_DIRECTORY), name="console-static")
    documented: list[type[BaseModel]] = [
        Problem,
        RunCreate,
        ScenarioRequest,
        RecommendRequest,
        ExplainRequest,
        ShortlistRequest,
    ]
    app.openapi = _custom_openapi(app, documented, settings)  # type: ignore[method-assign]
    if not guarded:
        log.warning("no ENMUSUBI_API_KEYS set: /v1 is open to anyone who can reach %s", settings.host)
    return app
