"""Service settings, all from `ENMUSUBI_` environment variables so a deployment needs no config file."""

from __future__ import annotations

import os
import socket
import uuid
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./enmusubi.sqlite3"


def _replica_id() -> str:
    """host-pid-random: tells an operator which machine and process holds a run, and never repeats."""
    return f"{socket.gethostname()[:60]}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def _comma_list(value: Any) -> Any:
    """`a, b,c` -> ["a", "b", "c"]; a list is kept; blanks are dropped."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Everything an operator can set; each field is read from `ENMUSUBI_<FIELD>` (case-insensitive)."""

    model_config = SettingsConfigDict(env_prefix="ENMUSUBI_", extra="ignore", frozen=True)

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL of the run store: SQLite file by default, or postgresql://user:pw@host/db.",
    )
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated Bearer keys; when empty, /v1 is open (meant for a loopback-only deployment).",
    )
    max_body_bytes: int = Field(16 * 1024 * 1024, ge=1024, description="Largest request body accepted (413 above).")
    max_partners: int = Field(50_000, ge=1, description="Most partners a problem may hold (422 above).")
    max_positions: int = Field(10_000, ge=1, description="Most positions a problem may hold (422 above).")
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, description="Solver threads.")
    queue_size: int = Field(64, ge=1, description="Solves and runs that may wait for a worker before 429.")
    retry_after_seconds: int = Field(5, ge=1, description="Retry-After sent with 429 when the queue is full.")
    default_time_limit_seconds: float = Field(60.0, gt=0, description="Time limit of a solve that names none.")
    max_time_limit_seconds: float = Field(3600.0, gt=0, description="Cap on any requested time limit.")
    insight_cache_bytes: int = Field(
        512 * 1024 * 1024,
        ge=0,
        description="Memory for problems kept compiled, solved and relaxed for recommend and explain (0 = none).",
    )
    insight_precompute: bool = Field(
        True,
        description="Settle in the background, for every problem kept for recommend and explain (a run once done), "
        "the top 5 of every position and partner, then every pair: those questions are then answered from memory. "
        "It yields to questions, one problem at a time.",
    )
    max_concurrent_decodes: int = Field(
        2,
        ge=1,
        description="Request bodies decoded and validated at once; a decoded problem takes several times its "
        "body's size in memory, so this bounds the memory bodies take (others wait their turn).",
    )
    max_scenario_variants: int = Field(50, ge=1, description="Most variants a scenario may hold (422 above).")
    max_scenario_seconds: float = Field(
        600.0,
        gt=0,
        description="Time limit of one whole scenario, base and every variant together: solves still running "
        "when it passes stop with their best allocation found (status feasible).",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated origins the portal is served from (CORS); empty = none."
    )
    replica_id: str = Field(
        default_factory=_replica_id,
        min_length=1,
        max_length=100,
        description="This process's name among the replicas sharing the database (default host-pid-random).",
    )
    heartbeat_seconds: float = Field(5.0, gt=0, description="How often a replica says it is alive and holds its runs.")
    takeover_seconds: float = Field(
        30.0, gt=0, description="A running run whose replica has not beaten for this long is taken over by another."
    )
    poll_seconds: float = Field(
        1.0, gt=0, description="How often an idle worker looks for queued runs, and a replica for cancelled ones."
    )
    max_attempts: int = Field(3, ge=1, description="Tries of a run whose replica keeps dying before it is failed.")
    sqlite_busy_timeout_seconds: float = Field(
        30.0, gt=0, description="How long a SQLite write waits for a lock held by another connection."
    )
    write_retry_seconds: float = Field(
        300.0, gt=0, description="How long a run's outcome that the database refuses is retried before another try."
    )
    retention_days: float | None = Field(
        None, gt=0, description="Finished runs older than this are deleted for good (checked hourly); unset = kept."
    )
    scenario_executor: Literal["local", "ray"] = Field(
        "local", description="Where /v1/scenarios solves variants: the worker thread, or Ray tasks (enmusubi[ray])."
    )
    ray_address: str | None = Field(
        None, description="Ray cluster for scenario_executor=ray (e.g. ray://head:10001); unset = a local Ray."
    )
    host: str = Field("127.0.0.1", description="Address `enmusubi serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `enmusubi serve` listens on.")

    _split_keys = field_validator("api_keys", "cors_origins", mode="before")(_comma_list)

    @model_validator(mode="after")
    def _heartbeat_within_takeover(self) -> Settings:
        if self.heartbeat_seconds * 2 > self.takeover_seconds:
            raise ValueError(
                f"takeover_seconds ({self.takeover_seconds}) must be at least twice heartbeat_seconds "
                f"({self.heartbeat_seconds}), or a live replica's runs would be taken from it"
            )
        return self

    @model_validator(mode="after")
    def _default_within_cap(self) -> Settings:
        if self.default_time_limit_seconds > self.max_time_limit_seconds:
            raise ValueError(
                f"default_time_limit_seconds ({self.default_time_limit_seconds}) is above "
                f"max_time_limit_seconds ({self.max_time_limit_seconds})"
            )
        return self

    def time_limit(self, requested: float | None) -> float:
        """The time limit a solve gets: the requested one (or the default), never above the cap."""
        chosen = self.default_time_limit_seconds if requested is None else requested
        return min(chosen, self.max_time_limit_seconds)
