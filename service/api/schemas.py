"""Request and response bodies of the HTTP API (API.md), one model per use, with examples for /openapi.json.

The problem (`solver.models.Problem`) and the result (`solver.result.Result`) are reused as
they are, so the OpenAPI document describes exactly what the engine accepts and returns.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from enmusubi.scenarios.scenario import ScenarioDocument
from enmusubi.service.jobs.progress import RunProgress
from enmusubi.service.jobs.store import RunRecord, RunStatus
from enmusubi.solver.problem import Problem
from enmusubi.solver.recommend import MAX_K
from enmusubi.solver.result import Result
from enmusubi.solver.shortlist import DEFAULT_MAX_PER_PARTNER, DEFAULT_SIZE, MAX_PER_PARTNER, MAX_SIZE

RunId = Annotated[str, Field(min_length=1, max_length=100, examples=["0b6f3c1e-7d1c-4a52-9a47-0f8e2c1d5b10"])]
TimeLimit = Annotated[
    float | None,
    Field(gt=0, allow_inf_nan=False, description="seconds; capped by ENMUSUBI_MAX_TIME_LIMIT_SECONDS"),
]

EXAMPLE_PROBLEM: dict[str, Any] = {
    "version": 1,
    "period_weeks": 4,
    "municipalities": [
        {"id": "13207", "name": "Akishima", "lat": 35.7057, "lon": 139.3535, "budget_yen": 600000},
        {"id": "13106", "name": "Taito", "lat": 35.7126, "lon": 139.78, "budget_yen": None},
    ],
    "positions": [
        {
            "id": "akishima-creator",
            "municipality": "13207",
            "title": "Digital creator",
            "required_skills": {"graphic_design": 3},
            "preferred_skills": {"pr_writing": 1.0},
            "hours_per_week": 12,
            "onsite_days_per_week": 1,
        },
        {
            "id": "taito-pm",
            "municipality": "13106",
            "title": "Cross-department system PM",
            "required_skills": {"project_management": 4},
            "hours_per_week": 16,
            "priority": 1.5,
        },
    ],
    "partners": [
        {
            "id": "p-designer",
            "name": "A. Designer",
            "skills": {"graphic_design": 4, "pr_writing": 3},
            "lat": 35.6984,
            "lon": 139.4136,
            "hours_per_week": 20,
            "hourly_rate_yen": 5000,
            "preferred_municipalities": ["13207"],
        },
        {
            "id": "p-pm",
            "name": "C. Manager",
            "skills": {"project_management": 5},
            "lat": 35.7295,
            "lon": 139.7109,
            "hours_per_week": 24,
            "hourly_rate_yen": 9000,
        },
    ],
}


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def one_of(*groups: tuple[str, ...], examples: list[dict[str, Any]] | None = None) -> Callable[[dict[str, Any]], None]:
    """json_schema_extra stating "exactly one of these fields" for each group, as the server enforces it:
    the fields are optional but never null, and `allOf: [{oneOf: [{required: [a]}, {required: [b]}]}, ...]`."""

    def extra(schema: dict[str, Any]) -> None:
        properties = schema.get("properties", {})
        for name in (name for group in groups for name in group):
            field = properties[name]
            choices = [choice for choice in field.pop("anyOf", []) if choice.get("type") != "null"]
            if choices:
                field.update(choices[0] if len(choices) == 1 else {"anyOf": choices})
            field.pop("default", None)
        schema["allOf"] = [{"oneOf": [{"required": [name]} for name in group]} for group in groups]
        if examples is not None:
            schema["examples"] = examples

    return extra


def _not_null(value: Any) -> Any:
    """An optional field left out means "not given"; an explicit null is refused, as the schema says."""
    if value is None:
        raise ValueError("null is not allowed here: leave the field out instead")
    return value


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


# --- errors ---------------------------------------------------------------------------------------------------------


class Message(_Out):
    """Every error other than 422: one readable sentence."""

    detail: str = Field(examples=["unknown run '0b6f3c1e-7d1c-4a52-9a47-0f8e2c1d5b10'"])


class FieldIssue(_Out):
    loc: list[str | int] = Field(description="where the fault is: body/query/path, then the path parts")
    path: str = Field(description="the same place as written in PROBLEM.md", examples=["positions[3].hours_per_week"])
    msg: str = Field(examples=["Input should be greater than 0 (got -4)"])
    type: str = Field(default="value_error")


class ValidationProblem(_Out):
    """422: every fault of the request, each by its path."""

    detail: list[FieldIssue]


# --- health ---------------------------------------------------------------------------------------------------------


class ReplicaView(_Out):
    id: str
    started_at: datetime
    heartbeat_at: datetime = Field(description="its latest heartbeat")
    runs: int = Field(description="runs it is solving now")


class Health(_Out):
    status: Literal["ok", "degraded", "unavailable"] = Field(
        description="ok; degraded when the database answers but refuses writes (retried); unavailable when it does"
        " not answer"
    )
    detail: str | None = Field(default=None, description="why the service is degraded or unavailable")
    workers: int = Field(description="solver threads")
    running: int = Field(description="jobs being solved now")
    queued: int = Field(description="jobs waiting for a worker (runs: across every replica)")
    replica: str | None = Field(default=None, description="this replica's id")
    runs_held: list[str] = Field(default_factory=list, description="ids of the runs this replica is solving")
    replicas: list[ReplicaView] = Field(
        default_factory=list, description="replicas sharing the database whose heartbeat is recent"
    )


# --- runs -----------------------------------------------------------------------------------------------------------


class RunCreate(_In):
    """A batch run: the problem, an optional name, and an optional time limit."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [{"name": "2027 Q1 allocation", "problem": EXAMPLE_PROBLEM, "time_limit_seconds": 60}]
        },
    )

    name: str | None = Field(default=None, max_length=200)
    problem: Problem
    time_limit_seconds: TimeLimit = None


class RunAccepted(_Out):
    id: RunId
    status: Literal["queued"] = "queued"


class RunSummary(_Out):
    """A run without its result, as listed."""

    id: RunId
    name: str | None
    status: RunStatus
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    time_limit_seconds: float | None = Field(description="the time limit the solve gets")
    error: str | None = Field(description="why the run failed (or that it was cancelled); null otherwise")
    owner: str | None = Field(default=None, description="the replica that claimed the run last (null while queued)")
    attempts: int = Field(default=0, description="how many times a replica started it (more after a takeover)")

    @classmethod
    def from_record(cls, record: RunRecord) -> RunSummary:
        return cls(**_summary_fields(record))


class RunProgressView(_Out):
    """Where a running solve is: its phase, seconds since it started, best objective and bound so far."""

    phase: str = Field(description="e.g. scoring, solving")
    elapsed_seconds: float
    objective: float | None = Field(description="the best allocation's score so far; null before the first")
    bound: float | None = Field(description="no allocation scores more than this; null before the search")
    gap: float | None = Field(description="(bound - objective) / |objective|; null until both are known")

    @classmethod
    def from_progress(cls, progress: RunProgress | None) -> RunProgressView | None:
        if progress is None:
            return None
        return cls(
            phase=progress.phase,
            elapsed_seconds=progress.elapsed_seconds,
            objective=progress.objective,
            bound=progress.bound,
            gap=progress.gap,
        )


class RunView(RunSummary):
    """A run with its result: present when done, and when a cancelled run had found an allocation before the stop."""

    result: Result | None
    progress: RunProgressView | None = Field(
        default=None, description="while the run is running (as seen by the service process solving it)"
    )

    @classmethod
    def from_record(cls, record: RunRecord, progress: RunProgress | None = None) -> RunView:
        result = None if record.result is None else Result.model_validate(record.result)
        live = RunProgressView.from_progress(progress) if record.status == "running" else None
        return cls(**_summary_fields(record), result=result, progress=live)


class RunEvent(_Out):
    """One server-sent event of GET /v1/runs/{id}/events: the run's status and, while running, its progress."""

    id: RunId
    status: RunStatus
    progress: RunProgressView | None


def _summary_fields(record: RunRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": record.name,
        "status": record.status,
        "created_at": record.created_at,
        "started_at": record.started_at,
        "finished_at": record.finished_at,
        "time_limit_seconds": record.time_limit,
        "error": record.error,
        "owner": record.owner,
        "attempts": record.attempts,
    }


class RunPage(_Out):
    runs: list[RunSummary] = Field(description="newest first")
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last page")


# --- scenarios ------------------------------------------------------------------------------------------------------


class RunRef(_In):
    """A stored run, standing for its problem."""

    run: RunId


class ScenarioRequest(ScenarioDocument[Problem | RunRef]):
    """A scenario (SCENARIO.md) whose base is an inline problem or a stored run's problem."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "version": 1,
                    "name": "Akishima budget options",
                    "base": EXAMPLE_PROBLEM,
                    "variants": [
                        {"name": "budget +30%", "changes": [{"municipality": "13207", "set": {"budget_yen": "*1.3"}}]},
                        {
                            "name": "creator remote",
                            "changes": [{"position": "akishima-creator", "set": {"onsite_days_per_week": 0}}],
                        },
                    ],
                }
            ]
        },
    )

    time_limit_seconds: TimeLimit = None


# --- recommend and explain ------------------------------------------------------------------------------------------


class _ProblemSource(_In):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=one_of(("problem", "run")))

    problem: Problem | None = Field(default=None, description="the problem inline; or give `run`")
    run: RunId | None = Field(
        default=None, description="a stored run instead of `problem`: its problem, and its result when done"
    )

    _no_null_source = field_validator("problem", "run", mode="before")(_not_null)

    @model_validator(mode="after")
    def _one_source(self) -> _ProblemSource:
        if (self.problem is None) == (self.run is None):
            raise ValueError("give exactly one of `problem` and `run`")
        return self


class _ProblemOrRun(_ProblemSource):
    time_limit_seconds: TimeLimit = None


class RecommendRequest(_ProblemOrRun):
    """The k best partners for a position, or the k best positions for a partner."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra=one_of(
            ("problem", "run"),
            ("position", "partner"),
            examples=[{"problem": EXAMPLE_PROBLEM, "position": "taito-pm", "k": 3}],
        ),
    )

    position: str | None = Field(default=None, min_length=1, description="rank partners for this position")
    partner: str | None = Field(default=None, min_length=1, description="or rank positions for this partner")
    k: int = Field(default=5, ge=1, le=MAX_K, description="how many candidates, best first")

    _no_null_subject = field_validator("position", "partner", mode="before")(_not_null)

    @model_validator(mode="after")
    def _one_subject(self) -> RecommendRequest:
        if (self.position is None) == (self.partner is None):
            raise ValueError("give exactly one of `position` and `partner`")
        return self


class ExplainRequest(_ProblemOrRun):
    """Why a pair is (or is not) in the optimal allocation."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra=one_of(
            ("problem", "run"), examples=[{"problem": EXAMPLE_PROBLEM, "partner": "p-pm", "position": "taito-pm"}]
        ),
    )

    partner: str = Field(min_length=1)
    position: str = Field(min_length=1)


# --- shortlists -----------------------------------------------------------------------------------------------------


class ShortlistRequest(_ProblemSource):
    """Interview shortlists (PROBLEM.md §10) for a problem or a stored run's problem."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra=one_of(
            ("problem", "run"), examples=[{"problem": EXAMPLE_PROBLEM, "size": 3, "max_per_partner": 2}]
        ),
    )

    size: int = Field(default=DEFAULT_SIZE, ge=1, le=MAX_SIZE, description="candidates per position")
    max_per_partner: int = Field(
        default=DEFAULT_MAX_PER_PARTNER, ge=1, le=MAX_PER_PARTNER, description="shortlists a partner may be on"
    )
