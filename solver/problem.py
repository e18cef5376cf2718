"""The problem file of PROBLEM.md as validated, immutable pydantic models.

Validation happens in two layers: field-level (types, ranges, unknown fields) by
pydantic, then cross-references (unknown ids, duplicates, conflicting lists) here.
Both report paths like `positions[3].required_skills.security`. The ranges, the limits
of PROBLEM.md §11 included, are pydantic Field constraints so that the OpenAPI document
states them as standard `minimum`/`maximum`/`maxLength`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from enmusubi.solver.errors import InputError, Issue, issues_from_errors


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is a boolean, expected a number")
    return value


def _whole_number(value: Any) -> Any:
    """JSON has one kind of number: 4.0 is the integer 4 (as JSON Schema's `integer` says); 4.5, "4" and
    booleans are still refused by the strict integer validation that follows."""
    value = _no_bool(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _required_level(value: int) -> int:
    if value > 5:
        raise ValueError(f"level {value} is above 5")
    if value < 1:
        raise ValueError(f"level {value} is below 1 (a required skill needs level 1..5)")
    return value


def _partner_level(value: int) -> int:
    if value > 5:
        raise ValueError(f"level {value} is above 5")
    if value < 0:
        raise ValueError(f"level {value} is below 0")
    return value


# PROBLEM.md §11: the limits. Beyond them numbers stop meaning anything (a week has 168 hours)
# and integer arrays would overflow, so they are input errors like any other range.
MAX_OPENINGS = 10_000
MAX_ASSIGNMENTS = 100
MAX_HOURS_PER_WEEK = 168
MAX_PERIOD_WEEKS = 520
MAX_BUDGET_YEN = 10**15
MAX_RATE_YEN = 10**7
MAX_WEIGHT = 1_000
MAX_MINUTES = 10_000
MAX_ID_LENGTH = 100


# Every range is a Field constraint placed before the validators: pydantic then enforces it on the
# number itself and the JSON schema states it as standard `minimum`/`maximum` (after a validator it
# would come out as non-standard `ge`/`le` keys). allow_inf_nan=False refuses NaN and Infinity.
_NoBool = BeforeValidator(_no_bool)
_WholeNumber = BeforeValidator(_whole_number)
Latitude = Annotated[float, Field(allow_inf_nan=False, ge=-90, le=90), _NoBool]
Longitude = Annotated[float, Field(allow_inf_nan=False, ge=-180, le=180), _NoBool]
NonNegative = Annotated[float, Field(allow_inf_nan=False, ge=0), _NoBool]  # a weight: Weights adds the upper limit
Id = Annotated[str, Field(strict=True, min_length=1, max_length=MAX_ID_LENGTH)]
# The levels keep their own messages (`level 7 is above 5`, as PROBLEM.md words it) and state their range in the schema.
RequiredLevel = Annotated[
    int,
    Field(strict=True, json_schema_extra={"minimum": 1, "maximum": 5}),
    _WholeNumber,
    AfterValidator(_required_level),
]
PartnerLevel = Annotated[
    int,
    Field(strict=True, json_schema_extra={"minimum": 0, "maximum": 5}),
    _WholeNumber,
    AfterValidator(_partner_level),
]
SkillName = Annotated[str, Field(min_length=1, max_length=100)]
OnsiteDays = Annotated[int, Field(strict=True, ge=0, le=5), _WholeNumber]
BudgetYen = Annotated[int, Field(strict=True, ge=0, le=MAX_BUDGET_YEN), _WholeNumber]
SkillWeight = Annotated[float, Field(allow_inf_nan=False, ge=0, le=MAX_WEIGHT), _NoBool]
PositionHours = Annotated[float, Field(allow_inf_nan=False, gt=0, le=MAX_HOURS_PER_WEEK), _NoBool]
PartnerHours = Annotated[float, Field(allow_inf_nan=False, ge=0, le=MAX_HOURS_PER_WEEK), _NoBool]
Openings = Annotated[int, Field(strict=True, ge=1, le=MAX_OPENINGS), _WholeNumber]
RateYen = Annotated[float, Field(allow_inf_nan=False, ge=0, le=MAX_RATE_YEN), _NoBool]
MaxRateYen = Annotated[int, Field(strict=True, ge=0, le=MAX_RATE_YEN), _WholeNumber]
Priority = Annotated[float, Field(allow_inf_nan=False, gt=0, le=MAX_WEIGHT), _NoBool]
Minutes = Annotated[float, Field(allow_inf_nan=False, ge=0, le=MAX_MINUTES), _NoBool]
Assignments = Annotated[int, Field(strict=True, ge=0, le=MAX_ASSIGNMENTS), _WholeNumber]
PeriodWeeks = Annotated[float, Field(allow_inf_nan=False, gt=0, le=MAX_PERIOD_WEEKS), _NoBool]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _weights_maximum(schema: dict[str, Any]) -> None:
    """Every weight's schema states the upper limit that Weights checks for every field."""
    for prop in schema.get("properties", {}).values():
        prop["maximum"] = MAX_WEIGHT


class Weights(_Frozen):
    """Every weight is a number from 0 to MAX_WEIGHT; the rule is checked and documented for every field,
    so a weight added later gets it without saying so."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_weights_maximum)

    fill: NonNegative = 1.0
    skill: NonNegative = 1.0
    preference: NonNegative = 0.2
    commute: NonNegative = 0.5
    cost: NonNegative = 0.5
    incumbent: NonNegative = 0.5
    equity: NonNegative = Field(
        default=0.0, description="reward per municipality with at least one placement (PROBLEM.md §9); 0 = none"
    )

    @field_validator("*")
    @classmethod
    def _at_most_max_weight(cls, value: float) -> float:
        if value > MAX_WEIGHT:
            raise ValueError(f"Input should be less than or equal to {MAX_WEIGHT} (got {value!r})")
        return value


class Municipality(_Frozen):
    id: Id
    name: str
    lat: Latitude
    lon: Longitude
    budget_yen: BudgetYen | None = Field(description="Budget for the period in yen; null means no limit.")


class Position(_Frozen):
    id: Id
    municipality: Id
    title: str
    required_skills: dict[SkillName, RequiredLevel] = Field(default_factory=dict)
    # PROBLEM.md says weight > 0; the conformance cases use 0.0, which is accepted and counts for nothing.
    preferred_skills: dict[SkillName, SkillWeight] = Field(default_factory=dict)
    hours_per_week: PositionHours
    onsite_days_per_week: OnsiteDays = 0
    openings: Openings = 1
    max_hourly_rate_yen: MaxRateYen | None = None
    priority: Priority = 1.0


class Partner(_Frozen):
    id: Id
    name: str
    skills: dict[SkillName, PartnerLevel] = Field(default_factory=dict)
    lat: Latitude
    lon: Longitude
    hours_per_week: PartnerHours
    hourly_rate_yen: RateYen
    max_onsite_days_per_week: OnsiteDays = 5
    max_commute_minutes: Minutes = 90.0
    max_assignments: Assignments = 3
    preferred_municipalities: list[Id] = Field(default_factory=list)
    excluded_municipalities: list[Id] = Field(default_factory=list)


class CommuteEntry(_Frozen):
    partner: Id
    municipality: Id
    minutes: Minutes


class PairRef(_Frozen):
    partner: Id
    position: Id


class Problem(_Frozen):
    """A whole problem file, version 1."""

    version: Literal[1]
    period_weeks: PeriodWeeks = 4.0
    weights: Weights = Field(default_factory=Weights)
    municipalities: list[Municipality] = Field(default_factory=list)
    positions: list[Position] = Field(default_factory=list)
    partners: list[Partner] = Field(default_factory=list)
    commute_minutes: list[CommuteEntry] = Field(default_factory=list)
    locks: list[PairRef] = Field(default_factory=list)
    forbidden: list[PairRef] = Field(default_factory=list)
    incumbents: list[PairRef] = Field(default_factory=list)

    def to_json_dict(self) -> dict[str, Any]:
        """The problem as a plain JSON-ready dict, every default spelled out."""
        return self.model_dump(mode="json")


def _check_unique(kind: str, ids: list[str], issues: list[Issue]) -> dict[str, int]:
    seen: dict[str, int] = {}
    for k, ident in enumerate(ids):
        if ident in seen:
            issues.append(Issue(f"{kind}[{k}].id", f"duplicate id {ident!r} (also {kind}[{seen[ident]}])"))
        else:
            seen[ident] = k
    return seen


def _check_pair_list(
    kind: str, pairs: list[PairRef], partners: Mapping[str, int], positions: Mapping[str, int], issues: list[Issue]
) -> None:
    for k, pair in enumerate(pairs):
        if pair.partner not in partners:
            issues.append(Issue(f"{kind}[{k}].partner", f"unknown partner {pair.partner!r}"))
        if pair.position not in positions:
            issues.append(Issue(f"{kind}[{k}].position", f"unknown position {pair.position!r}"))


def check_references(problem: Problem) -> list[Issue]:
    """Cross-field rules pydantic cannot see: ids, references, conflicting lists."""
    issues: list[Issue] = []
    munis = _check_unique("municipalities", [m.id for m in problem.municipalities], issues)
    positions = _check_unique("positions", [p.id for p in problem.positions], issues)
    partners = _check_unique("partners", [p.id for p in problem.partners], issues)
    for k, pos in enumerate(problem.positions):
        if pos.municipality not in munis:
            issues.append(Issue(f"positions[{k}].municipality", f"unknown municipality {pos.municipality!r}"))
        for skill in sorted(set(pos.required_skills) & set(pos.preferred_skills)):
            issues.append(
                Issue(f"positions[{k}].preferred_skills.{skill}", f"skill {skill!r} is also in required_skills")
            )
    for k, partner in enumerate(problem.partners):
        for field in ("preferred_municipalities", "excluded_municipalities"):
            for n, mid in enumerate(getattr(partner, field)):
                if mid not in munis:
                    issues.append(Issue(f"partners[{k}].{field}[{n}]", f"unknown municipality {mid!r}"))
    seen_commute: dict[tuple[str, str], int] = {}
    for k, entry in enumerate(problem.commute_minutes):
        if entry.partner not in partners:
            issues.append(Issue(f"commute_minutes[{k}].partner", f"unknown partner {entry.partner!r}"))
        if entry.municipality not in munis:
            issues.append(Issue(f"commute_minutes[{k}].municipality", f"unknown municipality {entry.municipality!r}"))
        key = (entry.partner, entry.municipality)
        if key in seen_commute:
            issues.append(
                Issue(f"commute_minutes[{k}]", f"duplicate entry for {key} (also commute_minutes[{seen_commute[key]}])")
            )
        seen_commute.setdefault(key, k)
    for kind in ("locks", "forbidden", "incumbents"):
        _check_pair_list(kind, getattr(problem, kind), partners, positions, issues)
    forbidden = {(p.partner, p.position) for p in problem.forbidden}
    for k, lock in enumerate(problem.locks):
        if (lock.partner, lock.position) in forbidden:
            issues.append(Issue(f"locks[{k}]", f"lock {lock.partner} -> {lock.position} is also forbidden"))
    return issues


def parse_problem(data: Any) -> Problem:
    """Validate a decoded problem (dict) completely, or raise InputError listing every fault."""
    if not isinstance(data, Mapping):
        raise InputError(Issue("", f"a problem must be a JSON object, got {type(data).__name__}"))
    try:
        problem = Problem.model_validate(dict(data))
    except ValidationError as error:
        raise InputError(issues_from_errors(error.errors())) from None
    issues = check_references(problem)
    if issues:
        raise InputError(issues)
    return problem


def _non_finite_constant(token: str) -> float:
    """NaN / Infinity decode to floats, so that validation rejects them naming the field they sit in."""
    return float(token)


def read_document(path: str | Path) -> Any:
    """Decode a JSON or YAML file; syntax errors become InputError naming the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(Issue(str(path), "no such file")) from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(Issue(str(path), f"cannot read: {error}")) from None
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise InputError(Issue(str(path), f"invalid YAML: {error}")) from None
    try:
        return json.loads(text, parse_constant=_non_finite_constant)
    except ValueError as error:
        raise InputError(Issue(str(path), f"invalid JSON: {error}")) from None


def load_problem(path: str | Path) -> Problem:
    """Read and validate a problem file (JSON or YAML)."""
    return parse_problem(read_document(path))
