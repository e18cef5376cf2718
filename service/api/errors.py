"""Every error as JSON: input faults 422 with their paths, unknown ids 404, a full queue 429, never a bare 500.

An unexpected error is answered by InternalErrorMiddleware rather than by an exception handler: Starlette's
outermost error middleware re-raises after sending its 500, and uvicorn then closes the connection, so a
keep-alive client found its next request failing. Caught inside it, a 500 leaves the connection usable."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from enmusubi.service.api.bodies import (
    BodyTooLargeError,
    loc_from_path,
)
from enmusubi.service.api.dependencies import ClientGoneError
from enmusubi.service.jobs.worker_pool import PoolClosedError, QueueFullError
from enmusubi.service.jobs.write_health import TRANSIENT_ERRORS, describe
from enmusubi.solver import InputError, Issue, UnknownIdError
from enmusubi.solver.errors import issues_from_errors

log = logging.getLogger(__name__)


def _issue_detail(issue: Issue, where: str, kind: str = "value_error") -> dict[str, Any]:
    return {"loc": [where, *loc_from_path(issue.path)], "path": issue.path, "msg": issue.message, "type": kind}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(InputError)
    async def input_error(_request: Request, error: InputError) -> JSONResponse:
        detail = [_issue_detail(issue, error.where) for issue in error.issues]
        return JSONResponse({"detail": detail}, status_code=422)

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

    @app.exception_handler(ClientGoneError)
    @app.exception_handler(ClientDisconnect)
    async def client_gone(request: Request, _error: Exception) -> Response:
        """Nobody reads this answer (499, as nginx logs it): the client left and its work was stopped."""
        log.info("%s %s: the client went away; its work was stopped", request.method, request.url.path)
        return Response(status_code=499)

    async def database_refused(request: Request, error: Exception) -> JSONResponse:
        """The database is locked, full, read-only or gone: nothing was written; the client may retry."""
        log.warning("database refused %s %s: %s", request.method, request.url.path, describe(error))
        retry = str(request.app.state.settings.retry_after_seconds)
        detail = f"the database cannot be written now ({describe(error)}); nothing was stored, retry later"
        return JSONResponse({"detail": detail}, status_code=503, headers={"Retry-After": retry})

    for transient in TRANSIENT_ERRORS:
        app.add_exception_handler(transient, database_refused)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        headers = error.headers
        if error.status_code == 405:
            headers = {**(headers or {}), "Allow": ", ".join(_allowed_methods(request))}
        return JSONResponse({"detail": str(error.detail)}, status_code=error.status_code, headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    """Every method the OpenAPI document gives this path: a path's GET and POST are separate routes, and the
    405 of the one that matched first would name only its own (`Allow: POST` for /v1/runs)."""
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        pattern, _, _ = compile_path(template)
        if pattern.match(request.url.path):
            methods |= {method.upper() for method in operations}
    return sorted(methods)


class InternalErrorMiddleware:
    """An unexpected error as a JSON 500 that goes no further, so the connection stays open for the next request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            log.error("internal error on %s %s", scope.get("method"), scope.get("path"), exc_info=error)
            if started:
                raise  # half an answer sent: closing the connection is all that is left
            response = JSONResponse({"detail": f"internal error: {type(error).__name__}"}, status_code=500)
            await response(scope, receive, send)
