"""Request bodies: read within the size limit, decode strict JSON, validate off the event loop.

Bodies are read here rather than by FastAPI so that (1) a body over the limit is refused
(413) before it is all in memory, (2) NaN and Infinity, which Python's json accepts, are
refused naming the field they sit in, and (3) decoding and validating a problem of thousands
of partners runs on a thread, not on the event loop that answers GETs. A decoded body takes
several times its size in memory, so the service decodes only a few at once (dependencies.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from enmusubi.service.settings import Settings
from enmusubi.solver import check_locks
from enmusubi.solver.errors import InputError, Issue, format_loc, issues_from_errors
from enmusubi.solver.problem import Problem, check_references

M = TypeVar("M", bound=BaseModel)


class BodyTooLargeError(Exception):
    """The body is over ENMUSUBI_MAX_BODY_BYTES: 413."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"request body is larger than {limit} bytes (ENMUSUBI_MAX_BODY_BYTES)")


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refused as soon as Content-Length or the bytes streamed so far pass `limit`."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLargeError(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError(limit)
        chunks.append(chunk)
    return b"".join(chunks)


class _NonFinite:
    """Where NaN or Infinity stood in the JSON text, kept until its path is known."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token


def _non_finite_issues(data: Any) -> list[Issue]:
    """Every NaN/Infinity of the decoded body by its path (iteratively: bodies may nest deep)."""
    issues = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        value, loc = stack.pop()
        if isinstance(value, _NonFinite):
            issues.append(Issue(format_loc(loc), f"{value.token} is not allowed: JSON numbers must be finite"))
        elif isinstance(value, dict):
            stack.extend((item, (*loc, key)) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((item, (*loc, k)) for k, item in enumerate(value))
    return sorted(issues, key=lambda issue: issue.path)


def decode_json(body: bytes) -> Any:
    """Strict JSON: no NaN or Infinity (refused by their path), no trailing garbage; a fault is an InputError."""
    if not body.strip():
        raise InputError(Issue("", "the request body is empty; expected a JSON object"))
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(Issue("", "the request body is not UTF-8 text")) from None
    non_finite: list[_NonFinite] = []

    def constant(token: str) -> _NonFinite:
        non_finite.append(_NonFinite(token))
        return non_finite[-1]

    try:
        data = json.loads(text, parse_constant=constant)
    except RecursionError:
        raise InputError(Issue("", "the JSON is nested too deeply")) from None
    except ValueError as error:
        raise InputError(Issue("", f"invalid JSON: {error}")) from None
    if non_finite:
        raise InputError(_non_finite_issues(data))
    return data


def check_problem_size(data: Any, settings: Settings, prefix: str = "") -> None:
    """Refuse problems bigger than this service is set up for, before the costly validation."""
    if not isinstance(data, Mapping):
        return
    issues = []
    for field, cap, variable in (
        ("partners", settings.max_partners, "ENMUSUBI_MAX_PARTNERS"),
        ("positions", settings.max_positions, "ENMUSUBI_MAX_POSITIONS"),
    ):
        value = data.get(field)
        if isinstance(value, list) and len(value) > cap:
            message = f"{len(value)} {field} is more than this service accepts ({cap}, {variable})"
            issues.append(Issue(f"{prefix}{field}", message))
    if issues:
        raise InputError(issues)


def problem_issues(problem: Problem) -> list[Issue]:
    """What pydantic cannot see in a problem: its cross-references, then its locks (eligible, and fitting
    together), exactly as `solve` would judge them, so no front door accepts what a solve refuses."""
    issues = check_references(problem)
    if issues:
        return issues
    try:
        check_locks(problem)
    except InputError as error:
        return error.issues
    return []


def validate_body(model: type[M], data: Any, *, problem_field: str | None = "problem") -> M:
    """Validate `data` as `model`, then the cross-references and locks of its problem; every fault by its path."""
    if not isinstance(data, Mapping):
        raise InputError(Issue("", f"expected a JSON object, got {type(data).__name__}"))
    try:
        value = model.model_validate(dict(data))
    except ValidationError as error:
        raise InputError(issues_from_errors(error.errors())) from None
    problem = getattr(value, problem_field, None) if problem_field else None
    if problem_field and isinstance(problem, Problem):
        issues = problem_issues(problem)
        if issues:
            raise InputError(
                [Issue(f"{problem_field}.{i.path}" if i.path else problem_field, i.message) for i in issues]
            )
    return value


_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def loc_from_path(path: str) -> list[str | int]:
    """`positions[3].required_skills.security` -> ["positions", 3, "required_skills", "security"]."""
    return [int(index) if index else name for name, index in _PART.findall(path)]
