"""Scenario files (SCENARIO.md): a base problem and named variants, validated before anything is solved.

Validation applies every variant's changes to a copy of the base, so a scenario that
parses is one whose every variant is a valid, solvable problem; faults name the
variant, the change's index and the reason.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from enmusubi.scenarios.changes import Change, ChangeError, apply_change, parse_change
from enmusubi.solver import InputError, Issue, check_locks
from enmusubi.solver.problem import Problem, load_problem, parse_problem, read_document

BASE_SLUG = "base"


class VariantDocument(BaseModel):
    """A variant as written in a scenario file: a name and its changes (SCENARIO.md), applied in order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, pattern=r"\S")
    changes: list[Change] | None = Field(
        default_factory=list,
        description="SCENARIO.md changes, applied in order (null: none); each names one of municipality, position, "
        "partner (with `set`), add, remove, weights, lock, forbid, incumbents",
        examples=[[{"municipality": "13207", "set": {"budget_yen": "*1.3"}}]],
    )


BaseT = TypeVar("BaseT")


class ScenarioDocument(BaseModel, Generic[BaseT]):
    """A scenario file as written (SCENARIO.md), the one declaration of its shape.

    `parse_scenario` checks a document against it with messages for people (and builds every
    variant); the API's request body is this model with its own kind of `base` (BaseT).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    name: SkipJsonSchema[None] | str = Field(default=None, description="text; when left out, the file's name")
    base: BaseT = Field(description="the problem the variants change")
    time_limit_seconds: float | None = Field(default=None, gt=0, allow_inf_nan=False, description="seconds per solve")
    variants: list[VariantDocument] = Field(
        min_length=1, description="the API takes ENMUSUBI_MAX_SCENARIO_VARIANTS at most"
    )


SCENARIO_FIELDS = tuple(ScenarioDocument.model_fields)
VARIANT_FIELDS = tuple(VariantDocument.model_fields)


class Variant(BaseModel):
    """One "what if": a name and the changes applied, in order, to a copy of the base."""

    model_config = ConfigDict(frozen=True)

    name: str
    changes: list[Change] = Field(default_factory=list)


class Scenario(BaseModel):
    """A validated scenario: the base problem itself (not its path) and its variants."""

    model_config = ConfigDict(frozen=True)

    name: str
    base: Problem
    time_limit_seconds: float | None = None
    variants: list[Variant]


@dataclass(frozen=True)
class AppliedVariant:
    """A variant's problem and what its changes did beyond the obvious (cascades of `remove`, additions)."""

    problem: Problem
    notes: list[str]


def _valid_problem(data: dict[str, Any]) -> Problem:
    problem = parse_problem(data)
    check_locks(problem)
    return problem


def _variant_error(index: int, name: str, change: int, message: str) -> Issue:
    return Issue(f"variants[{index}].changes[{change}]", f"variant {name!r}, change {change}: {message}")


def build_variant(base: Problem, variant: Variant, index: int = 0) -> AppliedVariant:
    """The variant's problem: its changes applied in order to a copy of `base`, validated whole.

    Raises InputError naming the variant, the change's index and the reason. When the finished
    problem is invalid, the change blamed is the earliest one after which it stays invalid.
    """
    states = [base.to_json_dict()]
    notes: list[str] = []
    for k, change in enumerate(variant.changes):
        state = copy.deepcopy(states[-1])
        try:
            notes.extend(apply_change(state, change))
        except ChangeError as error:
            raise InputError(_variant_error(index, variant.name, k, str(error))) from None
        states.append(state)
    if not variant.changes:
        return AppliedVariant(base, notes)
    try:
        return AppliedVariant(_valid_problem(states[-1]), notes)
    except InputError as error:
        blamed = len(variant.changes) - 1
        for k in range(len(variant.changes) - 2, -1, -1):
            try:
                _valid_problem(states[k + 1])
                break
            except InputError:
                blamed = k
        raise InputError(
            [
                _variant_error(index, variant.name, blamed, f"leaves the problem invalid: {issue}")
                for issue in error.issues
            ]
        ) from None


def _resolve_base(value: Any, base_dir: Path | None, resolve_base: Callable[[Any], Problem] | None) -> Problem:
    if isinstance(value, Mapping) and "version" in value:
        try:
            return parse_problem(value)
        except InputError as error:
            raise InputError([Issue(f"base.{i.path}" if i.path else "base", i.message) for i in error.issues]) from None
    if resolve_base is not None:
        return resolve_base(value)
    if isinstance(value, str) and value.strip():
        path = Path(value) if base_dir is None else base_dir / value
        try:
            return load_problem(path)
        except InputError as error:
            raise InputError([Issue("base", f"{path}: {i}") for i in error.issues]) from None
    raise InputError(Issue("base", f"expected the path of a problem file or an inline problem, got {value!r}"))


def _top_level_issues(data: Mapping[str, Any]) -> list[Issue]:
    issues = [Issue(str(key), "unknown field (check the spelling)") for key in data if key not in SCENARIO_FIELDS]
    if "version" not in data:
        issues.append(Issue("version", "required field is missing (write version: 1)"))
    elif data["version"] != 1 or isinstance(data["version"], bool):
        issues.append(Issue("version", f"unsupported version {data['version']!r}; this is version 1"))
    if "name" in data and not isinstance(data["name"], str):
        issues.append(Issue("name", f"expected text, got {data['name']!r}"))
    if "base" not in data:
        issues.append(Issue("base", "required field is missing (the problem file the variants change)"))
    limit = data.get("time_limit_seconds")
    is_number = isinstance(limit, int | float) and not isinstance(limit, bool)
    if limit is not None and not (is_number and 0 < limit < float("inf")):
        issues.append(Issue("time_limit_seconds", f"expected a number of seconds > 0 or null, got {limit!r}"))
    variants = data.get("variants")
    if not isinstance(variants, list) or not variants:
        issues.append(Issue("variants", f"expected a list of one or more variants, got {variants!r}"))
    return issues


def _parse_variant(raw: Any, index: int, seen: dict[str, int], issues: list[Issue]) -> Variant | None:
    where = f"variants[{index}]"
    if not isinstance(raw, Mapping):
        issues.append(Issue(where, f"a variant must be a mapping with name and changes, got {type(raw).__name__}"))
        return None
    issues.extend(
        Issue(f"{where}.{key}", "unknown field (check the spelling)") for key in raw if key not in VARIANT_FIELDS
    )
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        issues.append(Issue(f"{where}.name", f"every variant needs a name (text), got {name!r}"))
        return None
    if name in seen:
        issues.append(Issue(f"{where}.name", f"duplicate variant name {name!r} (also variants[{seen[name]}])"))
    seen.setdefault(name, index)
    raw_changes = raw.get("changes", [])
    if raw_changes is None:
        raw_changes = []
    if not isinstance(raw_changes, list):
        issues.append(Issue(f"{where}.changes", f"variant {name!r}: changes must be a list, got {raw_changes!r}"))
        return None
    changes: list[Change] = []
    for k, raw_change in enumerate(raw_changes):
        try:
            changes.append(parse_change(raw_change))
        except ChangeError as error:
            issues.append(_variant_error(index, name, k, str(error)))
            return None
    return Variant(name=name, changes=changes)


def parse_scenario(
    data: Mapping[str, Any],
    *,
    base_dir: Path | None = None,
    resolve_base: Callable[[Any], Problem] | None = None,
    default_name: str = "scenario",
) -> Scenario:
    """Validate a decoded scenario and every variant built from it, or raise InputError listing every fault.

    `base` is an inline problem (a mapping with `version`), else whatever `resolve_base` understands
    when given (the API resolves `{"run": id}` and should refuse paths), else a path relative to `base_dir`.
    """
    if not isinstance(data, Mapping):
        raise InputError(Issue("", f"a scenario must be a mapping (YAML or JSON object), got {type(data).__name__}"))
    issues = _top_level_issues(data)
    base: Problem | None = None
    if "base" in data:
        try:
            base = _resolve_base(data["base"], base_dir, resolve_base)
            check_locks(base)
        except InputError as error:
            issues.extend(i if i.path.startswith("base") else Issue(f"base.{i.path}", i.message) for i in error.issues)
    variants: list[Variant] = []
    seen: dict[str, int] = {}
    raw_variants = data.get("variants")
    for index, raw in enumerate(raw_variants if isinstance(raw_variants, list) else []):
        variant = _parse_variant(raw, index, seen, issues)
        if variant is None:
            continue
        variants.append(variant)
        if base is not None:
            try:
                build_variant(base, variant, index)
            except InputError as error:
                issues.extend(error.issues)
    if issues:
        raise InputError(issues)
    assert base is not None  # no issues means the base resolved
    return Scenario(
        name=data.get("name") or default_name,
        base=base,
        time_limit_seconds=data.get("time_limit_seconds"),
        variants=variants,
    )


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (YAML, or JSON); its `base` path is relative to the file."""
    path = Path(path)
    return parse_scenario(read_document(path), base_dir=path.parent, default_name=path.stem)


def slugify(name: str) -> str:
    """A directory name for a variant: lower case letters, digits and dashes."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:60].rstrip("-") or "variant"


def variant_slugs(scenario: Scenario) -> list[str]:
    """One unique slug per variant (never "base", which holds the base result)."""
    taken = {BASE_SLUG}
    slugs = []
    for variant in scenario.variants:
        slug = candidate = slugify(variant.name)
        n = 2
        while candidate in taken:
            candidate = f"{slug}-{n}"
            n += 1
        taken.add(candidate)
        slugs.append(candidate)
    return slugs
