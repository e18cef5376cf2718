"""The result of a solve (PROBLEM.md §7), as JSON-ready pydantic models."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["optimal", "feasible", "infeasible"]
UnfilledReason = Literal["no_eligible_partner", "not_worth", "budget", "outscored"]
UnservedReason = Literal["no_eligible_partner", "budget", "not_worth", "placed_elsewhere"]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Assignment(_Out):
    partner: str
    partner_name: str
    position: str
    position_title: str
    municipality: str
    municipality_name: str
    score: float
    cost_yen: float = Field(description="hourly rate x weekly hours x period weeks")
    commute_minutes: float = Field(description="one way; measured where the problem gives it, else estimated")
    hours: float = Field(description="weekly hours of the position")
    onsite_days_per_week: int
    locked: bool
    incumbent: bool
    breakdown: dict[str, float] = Field(description="the weighted score terms; they add up to score")


class Unfilled(_Out):
    position: str
    title: str
    municipality: str
    openings: int
    filled: int
    reason: UnfilledReason
    detail: str
    eligible_partners: int


class MunicipalitySummary(_Out):
    id: str
    name: str
    budget_yen: int | None
    spent_yen: float
    remaining_yen: float | None
    openings: int
    filled: int


class Unserved(_Out):
    """A municipality with positions and no placement (PROBLEM.md §9), and why."""

    municipality: str
    name: str
    positions: int
    eligible_pairs: int
    reason: UnservedReason
    detail: str


class InputWarning(_Out):
    """Valid input that is almost surely a mistake (PROBLEM.md §12)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class PartnerSummary(_Out):
    id: str
    name: str
    placements: int
    hours_used: float
    hours_per_week: float
    eligible_positions: int
    note: str = Field(description="why the partner is not placed, or empty")


class Stats(_Out):
    pairs: int = Field(description="partners x positions")
    eligible_pairs: int
    variables: int = Field(description="pairs left for the solver after presolve")
    rows: int = Field(description="constraints left for the solver after presolve")
    components: int
    components_by_engine: int = Field(description="components that needed the MIP engine")
    scoring_seconds: float
    model_seconds: float
    solve_seconds: float
    total_seconds: float


class Reproducibility(_Out):
    input_digest: str = Field(description="SHA-256 of the canonical validated problem")
    seed: int
    engine: str
    solver_version: str
    enmusubi_version: str
    time_limit_seconds: float | None


class Result(_Out):
    status: Status
    objective: float = Field(
        description="sum of the chosen pairs' scores plus weights.equity x served municipalities (PROBLEM.md §9)"
    )
    best_bound: float
    gap: float = Field(description="(best_bound - objective) / max(|objective|, 1e-9); 0 when optimal")
    stopped: bool = Field(description="the search was stopped (time limit or interrupt) before a proof")
    message: str
    assignments: list[Assignment]
    unfilled: list[Unfilled]
    municipalities: list[MunicipalitySummary]
    partners: list[PartnerSummary]
    stats: Stats
    reproducibility: Reproducibility
    # Defaults keep results stored before equity and warnings readable.
    score_total: float | None = Field(default=None, description="sum of the chosen pairs' scores alone")
    served_municipalities: int | None = Field(
        default=None, description="municipalities with at least one placement, of those with positions"
    )
    municipalities_with_positions: int | None = None
    unserved: list[Unserved] = Field(
        default_factory=list, description="every municipality with positions and no placement, with why"
    )
    warnings: list[InputWarning] = Field(default_factory=list, description="likely mistakes in the input")

    def pair_set(self) -> set[tuple[str, str]]:
        return {(a.partner, a.position) for a in self.assignments}

    def to_json(self, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent)
