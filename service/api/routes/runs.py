"""/v1/runs: batch runs, queued, stored and cancelled; their live progress and their output files."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from enmusubi.service.api.bodies import check_problem_size, decode_json, read_body, validate_body
from enmusubi.service.api.dependencies import YAML_TYPES, ServiceDep, query_error
from enmusubi.service.api.responses import documented_errors, json_body, json_response
from enmusubi.service.api.schemas import (
    Message,
    RunAccepted,
    RunCreate,
    RunEvent,
    RunPage,
    RunProgressView,
    RunSummary,
    RunView,
)
from enmusubi.service.io.csv_folder import SourceMap
from enmusubi.service.io.documents import problem_document_from_bytes
from enmusubi.service.io.html_report import coordinates
from enmusubi.service.io.outputs import MOVES_FILE, OUTPUT_FILES, output_files
from enmusubi.service.jobs.store import ACTIVE
from enmusubi.solver import InputError, Issue, Result, parse_problem

log = logging.getLogger(__name__)
router = APIRouter()

JSON_TYPES = ("application/json", "")
# Content types of a problem sent as a file, and how it is read (service/io/documents.py).
FILE_TYPES = {
    **dict.fromkeys(YAML_TYPES, "yaml"),
    "application/zip": "zip",
    "application/x-zip-compressed": "zip",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}
MAP_FILE = "map.svg"
DOWNLOADS = tuple(name for name in (*OUTPUT_FILES, MAP_FILE) if name != MOVES_FILE)
MEDIA_TYPES = {
    ".json": "application/json",
    ".csv": "text/csv; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EVENT_POLL_SECONDS = 0.5


def _run_body_docs() -> dict[str, Any]:
    extra = json_body(RunCreate, "The problem of the batch run, an optional name and time limit")
    content = extra["requestBody"]["content"]
    described = {"zip": "a zipped CSV folder", "xlsx": "an Excel workbook"}
    for media, kind in FILE_TYPES.items():
        if kind == "yaml":  # the problem file itself, in YAML: the same document as JSON's `problem`
            content[media] = {"schema": {"$ref": "#/components/schemas/Problem"}}
        else:
            content[media] = {"schema": {"type": "string", "format": "binary", "description": described[kind]}}
    extra["requestBody"]["description"] += (
        "; or the problem itself as YAML, a zipped CSV folder or an .xlsx workbook (name and time limit as query "
        "parameters); any other content type: 415"
    )
    return extra


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _read_run(data: bytes, media: str, name: str | None, time_limit: float | None) -> tuple[Any, SourceMap | None]:
    """The run a body asks for: a RunCreate envelope (JSON; YAML with `problem`) or a problem sent as a file,
    whose name and time limit come from the query."""
    kind = FILE_TYPES.get(media)
    if kind is None:
        return decode_json(data), None
    document, where = problem_document_from_bytes(data, kind, f"problem.{kind}")
    if kind == "yaml" and isinstance(document, dict) and "problem" in document:
        return document, None
    envelope: dict[str, Any] = {"problem": document}
    if name is not None:
        envelope["name"] = name
    if time_limit is not None:
        envelope["time_limit_seconds"] = time_limit
    return envelope, where


@router.post(
    "/runs",
    status_code=202,
    response_model=RunAccepted,
    responses={
        **documented_errors(413, 422, 429, 503),
        415: {"model": Message, "description": "The body is not JSON, YAML, a zip or an .xlsx workbook"},
    },
    openapi_extra=_run_body_docs(),
    tags=["runs"],
)
async def create_run(
    request: Request,
    service: ServiceDep,
    name: Annotated[
        str | None, Query(max_length=200, description="the run's name, for a problem sent as a file")
    ] = None,
    time_limit_seconds: Annotated[
        float | None, Query(gt=0, allow_inf_nan=False, description="seconds, for a problem sent as a file")
    ] = None,
) -> Response:
    """Queue a batch run; it is stored before this answers, and solved by the next free worker."""
    media = _media_type(request)
    if media not in JSON_TYPES and media not in FILE_TYPES:
        accepted = ", ".join(("application/json", *FILE_TYPES))
        return json_response(Message(detail=f"unsupported content type {media!r}; send one of {accepted}"), 415)
    data = await read_body(request, service.settings.max_body_bytes)

    def validate() -> RunCreate:
        envelope, where = _read_run(data, media, name, time_limit_seconds)
        check_problem_size(
            envelope.get("problem") if isinstance(envelope, dict) else None, service.settings, "problem."
        )
        try:
            return validate_body(RunCreate, envelope)
        except InputError as error:
            if where is None:
                raise
            raise where.translate_error(_without_prefix(error)) from None

    body = await service.decoded(validate)
    with service.pool.reserve() as place:
        record = await run_in_threadpool(
            service.store.create_run,
            problem=body.problem.to_json_dict(),
            name=body.name,
            time_limit=service.settings.time_limit(body.time_limit_seconds),
        )
        place.put_run(record.id)
    return json_response(RunAccepted(id=record.id), 202, headers={"Location": f"/v1/runs/{record.id}"})


def _without_prefix(error: InputError) -> InputError:
    """`problem.partners[3].x` -> `partners[3].x`, so a table's SourceMap can name file:row:column."""
    return InputError([Issue(i.path.removeprefix("problem."), i.message) for i in error.issues])


@router.get("/runs", response_model=RunPage, responses=documented_errors(422), tags=["runs"])
def list_runs(
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=100, description="runs per page")] = 20,
    cursor: Annotated[str | None, Query(max_length=500, description="next_cursor of the previous page")] = None,
) -> RunPage:
    """Runs, newest first, without their results."""
    try:
        records, next_cursor = service.store.list_runs(limit=limit, cursor=cursor)
    except InputError as error:
        raise query_error("cursor", error.issues[0].message) from None
    return RunPage(runs=[RunSummary.from_record(r) for r in records], next_cursor=next_cursor)


@router.get("/runs/{run_id}", response_model=RunView, responses=documented_errors(404, 422), tags=["runs"])
def get_run(service: ServiceDep, run_id: Annotated[str, Path(max_length=100)]) -> Response:
    """The run, with its result when done or its error when failed, and its `progress` while running."""
    return json_response(RunView.from_record(service.store.get(run_id), service.pool.progress.get(run_id)))


@router.get(
    "/runs/{run_id}/events",
    responses={
        **documented_errors(404, 422),
        200: {"content": {"text/event-stream": {}}, "description": "`progress` events, then one `end` event"},
    },
    tags=["runs"],
)
async def run_events(service: ServiceDep, run_id: Annotated[str, Path(max_length=100)]) -> EventSourceResponse:
    """Server-sent events: a `progress` event (the run's status and progress, as in GET /v1/runs/{id}) whenever
    they change, and an `end` event with the final status when the run is no longer queued or running."""
    first = await run_in_threadpool(service.store.get, run_id, with_result=False)  # 404 before the stream opens

    async def events() -> Any:
        record, sent = first, None
        while True:
            view = RunEvent(
                id=run_id,
                status=record.status,
                progress=RunProgressView.from_progress(service.pool.progress.get(run_id))
                if record.status == "running"
                else None,
            )
            if record.status not in ACTIVE:
                yield {"event": "end", "data": view.model_dump_json()}
                return
            if view != sent:
                yield {"event": "progress", "data": view.model_dump_json()}
                sent = view
            await asyncio.sleep(EVENT_POLL_SECONDS)
            record = await run_in_threadpool(service.store.get, run_id, with_result=False)

    return EventSourceResponse(events(), ping=15)


@router.get(
    "/runs/{run_id}/files/{name}",
    responses={
        **documented_errors(404, 422),
        200: {"content": {t: {} for t in MEDIA_TYPES.values()}, "description": "the file"},
        409: {"model": Message, "description": "The run has no result (yet)"},
    },
    tags=["runs"],
)
async def run_file(
    request: Request,
    service: ServiceDep,
    run_id: Annotated[str, Path(max_length=100)],
    name: Annotated[str, Path(description=f"one of: {', '.join(DOWNLOADS)}")],
    lang: Annotated[str, Query(pattern="^(en|ja)$", description="language of the reports and pictures")] = "en",
) -> Response:
    """A batch output of a finished run, made from its stored result and problem: the CSVs (UTF-8 with a BOM),
    result.xlsx, report.md, report.html, result.json, and map.svg (the map of report.html alone)."""
    if name not in DOWNLOADS:
        return json_response(Message(detail=f"no file {name!r}; the files are: {', '.join(DOWNLOADS)}"), 404)
    record = await run_in_threadpool(service.store.get, run_id)
    if record.result is None:
        return json_response(Message(detail=f"run {run_id} has no result ({record.status})"), 409)

    def make() -> bytes:
        from enmusubi.service.io.pictures import map_svg, places  # matplotlib, imported on first use

        result = Result.model_validate(record.result)
        problem = parse_problem(service.store.problem_of(run_id))
        if name == MAP_FILE:
            return map_svg(places(result, coordinates(problem)), lang).encode()
        content = output_files(result, record.name or f"run {run_id}", lang=lang, problem=problem)[name]
        return content.encode() if isinstance(content, str) else content

    content = await service.on_worker(lambda _stop: make(), request)
    suffix = name[name.rindex(".") :]
    disposition = "inline" if suffix in (".svg", ".html") else "attachment"
    headers = {"Content-Disposition": f'{disposition}; filename="{name}"'}
    return Response(content, media_type=MEDIA_TYPES[suffix], headers=headers)


@router.delete(
    "/runs/{run_id}",
    response_model=RunSummary,
    responses={
        **documented_errors(404, 422),
        409: {"model": Message, "description": "The run already finished (or, with purge, is still active)"},
    },
    tags=["runs"],
)
def cancel_run(
    service: ServiceDep,
    run_id: Annotated[str, Path(max_length=100)],
    purge: Annotated[bool, Query(description="delete a finished run for good (409 while active)")] = False,
) -> Response:
    """Cancel a queued or running run. A running solve stops within moments (on whichever replica solves it);
    the best allocation it had found is then kept as the run's `result` (status stays `cancelled`). 409 when
    the run already finished. With `?purge=true`, a finished run is deleted with its result instead."""
    if purge:
        record = service.store.purge(run_id)
        if record.status in ("queued", "running"):
            return json_response(Message(detail=f"run {run_id} is {record.status}: cancel it before purging"), 409)
        return json_response(RunSummary.from_record(record))
    record, changed = service.store.cancel(run_id)
    if not changed:
        return json_response(Message(detail=f"run {run_id} already finished ({record.status})"), 409)
    service.pool.cancel_run(run_id)
    return json_response(RunSummary.from_record(record))
