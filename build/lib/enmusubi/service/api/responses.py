"""Response helpers shared by the routes: documented error codes, JSON serialised off the event loop."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi.responses import Response
from pydantic import BaseModel

from enmusubi.service.api.schemas import (
    Message,
    ValidationProblem,
)

T = TypeVar("T")

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": Message, "description": "Unknown id (run, partner or position)"},
    413: {"model": Message, "description": "Body over ENMUSUBI_MAX_BODY_BYTES"},
    422: {"model": ValidationProblem, "description": "Invalid request: every fault listed by its path"},
    429: {"model": Message, "description": "The queue is full; retry after Retry-After seconds"},
    503: {"model": Message, "description": "The service is stopping"},
}


def documented_errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: ERROR_RESPONSES[code] for code in codes}


def json_response(model: BaseModel, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Serialise on the calling thread (a worker's, for big results), not on the event loop."""
    return Response(model.model_dump_json(), status_code=status_code, media_type="application/json", headers=headers)


def json_body(schema: type[BaseModel] | str, description: str, example: Any = None) -> dict[str, Any]:
    """openapi_extra for a body read by hand: document it as `schema` (see service/bodies.py for why)."""
    name = schema if isinstance(schema, str) else schema.__name__
    content: dict[str, Any] = {"schema": {"$ref": f"#/components/schemas/{name}"}}
    if example is not None:
        content["example"] = example
    return {"requestBody": {"required": True, "description": description, "content": {"application/json": content}}}
