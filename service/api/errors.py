"""Every error as JSON: input faults 422 with their paths, unknown ids 404, a full queue 429, never a bare 500."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from enmusubi.service.api.bodies import (
    BodyTooLargeError,
    loc_from_path,
)
from enmusubi.service.jobs.worker_pool import PoolClosedError, QueueFullError
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

    @app.exception_handler(Exception)
    async def internal(request: Request, error: Exception) -> JSONResponse:
        log.error("internal error on %s %s", request.method, request.url.path, exc_info=error)
        return JSONResponse({"detail": f"internal error: {type(error).__name__}"}, status_code=500)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"detail": str(error.detail)}, status_code=error.status_code, headers=error.headers)
