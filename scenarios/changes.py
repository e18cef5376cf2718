"""The changes of a what-if variant (SCENARIO.md) and how they apply to a copy of a problem.

Changes work on a plain problem dict (`Problem.to_json_dict()`, every default spelled out)
that the caller owns; the base `Problem` is never touched. Each change is checked against
the state left by the changes before it, so a fault names the change that caused it.
Whole-problem rules (references, locks that cannot hold) are checked once the variant is
complete, by `scenarios.scenario`.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, GetJsonSchemaHandler, TypeAdapter, ValidationError
from pydantic.json_schema import JsonSchemaValue

from enmusubi.solver.errors import issues_from_errors
from enmusubi.solver.problem import MAX_ID_LENGTH, Municipality, PairRef, Partner, Position, Weights

Id = Annotated[str, Field(strict=True, min_length=1, max_length=MAX_ID_LENGTH)]
EntityKind = Literal["municipality", "position", "partner"]

# Entity kind -> (list key in the problem file, the pydantic model of one entity).
ENTITIES: dict[str, tuple[str, type[BaseModel]]] = {
    "municipality": ("municipalities", Municipality),
    "position": ("positions", Position),
    "partner": ("partners", Partner),
}
PAIR_LISTS = {"lock": "locks", "forbid": "forbidden", "incumbents": "incumbents"}
EVERY = "*"
_ARITHMETIC = re.compile(r"^\s*([*+-])\s*((?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*$")


class ChangeError(ValueError):
    """One change cannot apply; the message says why (the caller adds variant and index)."""


class _Change(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _one_selector(schema: dict[str, Any]) -> None:
    """The JSON schema says what parse_change enforces: exactly one selector, never null."""
    for name in ("municipality", "position", "partner"):
        field = schema["properties"][name]
        field.update(next(c for c in field.pop("anyOf") if c.get("type") != "null"))
        field.pop("default", None)
    schema["oneOf"] = [{"required": [name]} for name in ("municipality", "position", "partner")]


class SetChange(_Change):
    """`municipality|position|partner: ID or "*"` with `set: {field: value}`."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_one_selector)

    municipality: Id | None = None
    position: Id | None = None
    partner: Id | None = None
    set: dict[str, Any] = Field(min_length=1)

    @property
    def kind(self) -> EntityKind:
        if self.municipality is not None:
            return "municipality"
        return "position" if self.position is not None else "partner"

    @property
    def target(self) -> str:
        return self.municipality or self.position or self.partner or ""


class _DescribedAs:
    """A field kept as plain dicts (each entity is validated when its change applies, so the error names the
    variant and the change) whose JSON schema is nevertheless the entity's own."""

    def __init__(self, shape: Any) -> None:
        self.shape = shape

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return handler(TypeAdapter(self.shape).core_schema)


class EntityLists(_Change):
    municipalities: Annotated[list[dict[str, Any]], _DescribedAs(list[Municipality])] = Field(default_factory=list)
    positions: Annotated[list[dict[str, Any]], _DescribedAs(list[Position])] = Field(default_factory=list)
    partners: Annotated[list[dict[str, Any]], _DescribedAs(list[Partner])] = Field(default_factory=list)


class IdLists(_Change):
    municipalities: list[Id] = Field(default_factory=list)
    positions: list[Id] = Field(default_factory=list)
    partners: list[Id] = Field(default_factory=list)


class AddChange(_Change):
    add: EntityLists


class RemoveChange(_Change):
    remove: IdLists


class WeightsChange(_Change):
    weights: dict[str, Any] = Field(min_length=1)


class LockChange(_Change):
    lock: list[PairRef]


class ForbidChange(_Change):
    forbid: list[PairRef]


class IncumbentsChange(_Change):
    incumbents: list[PairRef]


Change = SetChange | AddChange | RemoveChange | WeightsChange | LockChange | ForbidChange | IncumbentsChange
_BY_KEY: dict[str, type[Change]] = {
    "add": AddChange,
    "remove": RemoveChange,
    "weights": WeightsChange,
    "lock": LockChange,
    "forbid": ForbidChange,
    "incumbents": IncumbentsChange,
}
CHANGE_KEYS = ("municipality", "position", "partner", *_BY_KEY)


def _pydantic_message(error: ValidationError, prefix: str = "") -> str:
    return "; ".join(str(issue) for issue in issues_from_errors(error.errors(), prefix=prefix))


def parse_change(raw: Any) -> Change:
    """Decode one change of a scenario file, or raise ChangeError saying what is wrong with it."""
    if not isinstance(raw, Mapping):
        raise ChangeError(f"a change must be a mapping such as {{weights: {{commute: 1.0}}}}, got {type(raw).__name__}")
    selectors = [k for k in ("municipality", "position", "partner") if k in raw]
    kinds = [k for k in _BY_KEY if k in raw]
    if len(selectors) + len(kinds) != 1:
        found = ", ".join(selectors + kinds) or ", ".join(map(str, raw)) or "nothing"
        raise ChangeError(f"a change names exactly one of {', '.join(CHANGE_KEYS)}; found {found}")
    model: type[Change] = SetChange if selectors else _BY_KEY[kinds[0]]
    if selectors and not isinstance(raw[selectors[0]], str):
        ident = raw[selectors[0]]
        raise ChangeError(f'{selectors[0]}: {ident!r} is not a string; ids are strings, so quote it: "{ident}"')
    if selectors and "set" not in raw:
        raise ChangeError(f"{selectors[0]} {raw[selectors[0]]!r}: 'set' is missing (what should change?)")
    try:
        return model.model_validate(dict(raw))
    except ValidationError as error:
        raise ChangeError(_pydantic_message(error)) from None


def apply_value(current: Any, value: Any, what: str) -> Any:
    """`"*1.3"`, `"+4"`, `"-4"` operate on a current number (integers stay integers, half to even); else replace."""
    match = _ARITHMETIC.match(value) if isinstance(value, str) else None
    if match is None or isinstance(current, str):
        return copy.deepcopy(value)
    if current is None:
        raise ChangeError(f"{what} is null (no value to operate on), so {value!r} cannot apply; set a number instead")
    if isinstance(current, bool) or not isinstance(current, int | float):
        raise ChangeError(f"{what} is not a number ({type(current).__name__}), so {value!r} cannot apply")
    op, operand = match.group(1), float(match.group(2))
    number = current * operand if op == "*" else current + operand if op == "+" else current - operand
    if not math.isfinite(number):
        raise ChangeError(f"{what}: {value!r} gives {number}, not a finite number")
    return round(number) if isinstance(current, int) else number


def _validated(model: type[BaseModel], entity: dict[str, Any], what: str = "", path: str = "") -> dict[str, Any]:
    """The entity with its defaults spelled out, or ChangeError naming it (`what`) or its place (`path`)."""
    try:
        return model.model_validate(entity).model_dump(mode="json")
    except ValidationError as error:
        message = _pydantic_message(error, path)
        raise ChangeError(f"{what}: {message}" if what else message) from None


def _apply_set(problem: dict[str, Any], change: SetChange) -> list[str]:
    list_key, model = ENTITIES[change.kind]
    entities: list[dict[str, Any]] = problem[list_key]
    if change.target == EVERY:
        targets = list(range(len(entities)))
    else:
        targets = [k for k, e in enumerate(entities) if e["id"] == change.target]
        if not targets:
            raise ChangeError(f"unknown {change.kind} {change.target!r}")
    for field in change.set:
        if field == "id":
            raise ChangeError(f"the id of a {change.kind} cannot change (remove it and add a new one)")
        if field not in model.model_fields:
            known = ", ".join(f for f in model.model_fields if f != "id")
            raise ChangeError(f"unknown {change.kind} field {field!r} (fields: {known})")
    kept_null: dict[str, int] = {}
    for k in targets:
        entity = dict(entities[k])
        what = f"{change.kind} {entity['id']!r}"
        for field, value in change.set.items():
            if change.target == EVERY and entity.get(field) is None and is_arithmetic(value):
                kept_null[field] = kept_null.get(field, 0) + 1  # "every budget +10%": no limit stays no limit
                continue
            entity[field] = apply_value(entity.get(field), value, f"{what}: {field}")
        entities[k] = _validated(model, entity, what)
    plural = {"municipality": "municipalities", "position": "positions", "partner": "partners"}[change.kind]
    return [f"{field} stays null for {n} of {len(targets)} {plural}" for field, n in kept_null.items()]


def is_arithmetic(value: Any) -> bool:
    """`"*1.3"`, `"+4"`, `"-4"`: an operation on the current number rather than a new value."""
    return isinstance(value, str) and _ARITHMETIC.match(value) is not None


def _apply_add(problem: dict[str, Any], change: AddChange) -> list[str]:
    for kind in ("municipality", "position", "partner"):  # municipalities first: new positions may name them
        list_key, model = ENTITIES[kind]
        existing = {e["id"] for e in problem[list_key]}
        for n, raw in enumerate(getattr(change.add, list_key)):
            entity = _validated(model, raw, path=f"add.{list_key}[{n}]")
            if entity["id"] in existing:
                raise ChangeError(f"add.{list_key}[{n}]: {kind} {entity['id']!r} already exists")
            existing.add(entity["id"])
            problem[list_key].append(entity)
    return []


def _apply_remove(problem: dict[str, Any], change: RemoveChange) -> list[str]:
    removed: dict[str, set[str]] = {}
    for kind in ("municipality", "position", "partner"):
        list_key, _ = ENTITIES[kind]
        existing = {e["id"] for e in problem[list_key]}
        for n, ident in enumerate(getattr(change.remove, list_key)):
            if ident not in existing:
                raise ChangeError(f"remove.{list_key}[{n}]: unknown {kind} {ident!r}")
        removed[kind] = set(getattr(change.remove, list_key))
    gone_munis = removed["municipality"]
    cascaded = {p["id"] for p in problem["positions"] if p["municipality"] in gone_munis} - removed["position"]
    gone_positions = removed["position"] | cascaded
    gone_partners = removed["partner"]
    notes = []
    if cascaded:
        notes.append(f"removing municipalities also removed their positions {', '.join(sorted(cascaded))}")
    problem["municipalities"] = [m for m in problem["municipalities"] if m["id"] not in gone_munis]
    problem["positions"] = [p for p in problem["positions"] if p["id"] not in gone_positions]
    problem["partners"] = [p for p in problem["partners"] if p["id"] not in gone_partners]
    for list_key in ("locks", "forbidden", "incumbents"):
        kept = [
            e for e in problem[list_key] if e["partner"] not in gone_partners and e["position"] not in gone_positions
        ]
        if dropped := len(problem[list_key]) - len(kept):
            notes.append(f"dropped {dropped} entr{'y' if dropped == 1 else 'ies'} of {list_key} naming removed ids")
        problem[list_key] = kept
    kept_commute = [
        e
        for e in problem["commute_minutes"]
        if e["partner"] not in gone_partners and e["municipality"] not in gone_munis
    ]
    if dropped := len(problem["commute_minutes"]) - len(kept_commute):
        notes.append(f"dropped {dropped} commute_minutes entr{'y' if dropped == 1 else 'ies'} naming removed ids")
    problem["commute_minutes"] = kept_commute
    if gone_munis:
        for partner in problem["partners"]:
            for field in ("preferred_municipalities", "excluded_municipalities"):
                partner[field] = [m for m in partner[field] if m not in gone_munis]
    return notes


def _apply_weights(problem: dict[str, Any], change: WeightsChange) -> list[str]:
    weights = dict(problem["weights"])
    for name, value in change.weights.items():
        if name not in Weights.model_fields:
            raise ChangeError(f"unknown weight {name!r} (weights: {', '.join(Weights.model_fields)})")
        weights[name] = apply_value(weights[name], value, f"weights.{name}")
    problem["weights"] = _validated(Weights, weights, path="weights")
    return []


def _apply_pairs(problem: dict[str, Any], key: str, pairs: list[PairRef]) -> list[str]:
    list_key = PAIR_LISTS[key]
    partners = {p["id"] for p in problem["partners"]}
    positions = {p["id"] for p in problem["positions"]}
    present = {(e["partner"], e["position"]) for e in problem[list_key]}
    for n, pair in enumerate(pairs):
        if pair.partner not in partners:
            raise ChangeError(f"{key}[{n}]: unknown partner {pair.partner!r}")
        if pair.position not in positions:
            raise ChangeError(f"{key}[{n}]: unknown position {pair.position!r}")
        if (pair.partner, pair.position) not in present:  # appending a pair twice would say nothing new
            present.add((pair.partner, pair.position))
            problem[list_key].append({"partner": pair.partner, "position": pair.position})
    return []


def apply_change(problem: dict[str, Any], change: Change) -> list[str]:
    """Apply one change to `problem` in place (a copy the caller owns); returns notes on what cascaded."""
    if isinstance(change, SetChange):
        return _apply_set(problem, change)
    if isinstance(change, AddChange):
        return _apply_add(problem, change)
    if isinstance(change, RemoveChange):
        return _apply_remove(problem, change)
    if isinstance(change, WeightsChange):
        return _apply_weights(problem, change)
    if isinstance(change, LockChange):
        return _apply_pairs(problem, "lock", change.lock)
    if isinstance(change, ForbidChange):
        return _apply_pairs(problem, "forbid", change.forbid)
    return _apply_pairs(problem, "incumbents", change.incumbents)


def change_to_dict(change: Change) -> dict[str, Any]:
    """The change as it reads in a scenario file."""
    return change.model_dump(mode="json", exclude_defaults=True)
