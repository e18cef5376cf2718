"""schemathesis hooks: generated requests made consistent in what JSON Schema cannot state, so that its
`positive_data_acceptance` check ("a request valid by the schema is accepted") tests the API and not the
generator.

JSON Schema states every field's type, range and one-of rule (the OpenAPI document does); it cannot state
that an id names an entity of the same request, that ids are unique, that a lock is an eligible pair, that a
cursor is one the service made, or that a binary body is a real zip or workbook. These hooks rewrite each
generated case so those hold — unknown references are pointed at existing entities (or dropped when there
are none), duplicate ids renamed, locks dropped, cursors made by the service's own encoder, file bodies
replaced by a real zipped CSV folder or workbook — and leave everything else as generated. Requests that
break those rules are refused with 422 by design; tests/service/api test those refusals one by one.

Used by tests/service/api/test_api_schemathesis.py, and by the CLI run in docs/testing.md
(`SCHEMATHESIS_HOOKS=tests.service.api.consistent_cases`).
"""

from __future__ import annotations

import copy
import io
import zipfile
from datetime import UTC, datetime
from functools import cache
from typing import Any

import schemathesis
from schemathesis.core.parameters import ParameterLocation

from enmusubi.service.jobs.store import encode_cursor

WEIGHTS = ("skill", "commute", "cost", "preference", "incumbent", "fill", "equity")
KINDS = {"municipality": "municipalities", "position": "positions", "partner": "partners"}
ZIP_TYPES = {"application/zip", "application/x-zip-compressed"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SAFE_SET = {"municipality": {"name": "renamed"}, "position": {"title": "renamed"}, "partner": {"name": "renamed"}}


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    """Only a request valid by the schema is made consistent: one that breaks it is left as it is, the API must
    refuse it (schemathesis's own validator decides, whatever mode the case was generated in)."""
    meta = case._meta
    method, path = case.operation.method.upper(), case.operation.path
    negative_query = meta is not None and meta.is_negative_at(ParameterLocation.QUERY)
    if method == "GET" and path == "/v1/runs" and case.query and "cursor" in case.query and not negative_query:
        case.query["cursor"] = encode_cursor(datetime(2026, 1, 1, tzinfo=UTC), "run")
    if case.media_type in ZIP_TYPES | {XLSX_TYPE}:  # any bytes are valid by the schema: send a real file
        if meta is None or not meta.is_negative_at(ParameterLocation.BODY):
            case.body = _sample_files()[0 if case.media_type in ZIP_TYPES else 1]
        return case
    body_schema = next((b for b in case.operation.body if b.media_type == case.media_type), None)
    if body_schema is None or not isinstance(case.body, dict) or not _valid(body_schema, case.body):
        return case
    consistent = copy.deepcopy(case.body)
    _consistent_request(path, consistent, yaml="yaml" in case.media_type)
    if _valid(body_schema, consistent):  # never a schema-valid request turned into an invalid one
        case.body = consistent
    return case


def _valid(body_schema: Any, body: Any) -> bool:
    try:
        return bool(body_schema.is_valid(body))
    except ValueError:  # a value JSON cannot hold (schemathesis's own validator refuses to judge it)
        return False


def _consistent_request(path: str, body: dict[str, Any], yaml: bool) -> None:
    if path == "/v1/solve" or (path == "/v1/runs" and yaml):
        consistent_problem(body)
    elif path == "/v1/scenarios" and isinstance(body.get("base"), dict):
        if "run" in body["base"]:  # a stored run's id: only an inline problem can be made consistent here
            body["base"] = _sample_problem()
        consistent_problem(body["base"])
        names: set[str] = set()
        for n, variant in enumerate(body.get("variants") or []):
            variant["changes"] = _consistent_changes(body["base"], variant.get("changes") or [])
            if variant.get("name") in names:  # variant names are unique within a scenario
                variant["name"] = f"{variant['name']}~{n}"
            names.add(variant.get("name"))
    elif isinstance(body.get("problem"), dict):
        problem = body["problem"]
        consistent_problem(problem)
        for kind in ("partner", "position"):
            if isinstance(body.get(kind), str):
                body[kind] = _existing(problem, kind, body[kind]) or _add_entity(problem, kind)


def consistent_problem(problem: dict[str, Any]) -> None:
    """In place: unique ids, every reference naming an entity of the problem, no locks."""
    for plural in KINDS.values():
        entities = [e for e in problem.get(plural) or [] if isinstance(e, dict)]
        seen: set[str] = set()
        for n, entity in enumerate(entities):
            if entity.get("id") in seen:
                entity["id"] = f"{entity['id']}~{n}"
            seen.add(entity["id"])
        if plural in problem:
            problem[plural] = entities
    for position in problem.get("positions") or []:
        position["municipality"] = _existing(problem, "municipality", position.get("municipality")) or _add_entity(
            problem, "municipality"
        )
    for partner in problem.get("partners") or []:
        for field in ("preferred_municipalities", "excluded_municipalities"):
            if field in partner:
                known = {_existing(problem, "municipality", m) for m in partner[field]} - {None}
                partner[field] = sorted(known)  # type: ignore[type-var]
        if "excluded_municipalities" in partner and "preferred_municipalities" in partner:
            partner["excluded_municipalities"] = [
                m for m in partner["excluded_municipalities"] if m not in partner["preferred_municipalities"]
            ]
    problem["locks"] = []
    for field in ("forbidden", "incumbents"):
        if field in problem:
            problem[field] = _pairs(problem, problem[field])
    if "commute_minutes" in problem:
        entries = []
        for entry in problem["commute_minutes"]:
            partner = _existing(problem, "partner", entry.get("partner"))
            municipality = _existing(problem, "municipality", entry.get("municipality"))
            if (
                partner
                and municipality
                and (partner, municipality) not in {(e["partner"], e["municipality"]) for e in entries}
            ):
                entries.append({**entry, "partner": partner, "municipality": municipality})
        problem["commute_minutes"] = entries


def _consistent_changes(base: dict[str, Any], changes: list[Any]) -> list[dict[str, Any]]:
    """Changes that apply to `base` in order: references resolved against the base, removals last (so no later
    change names what they removed), added entities with new ids and known municipalities, no locks."""
    kept: list[dict[str, Any]] = []
    removals: list[dict[str, Any]] = []
    for change in changes:
        if not isinstance(change, dict):
            continue
        selector = next((k for k in KINDS if k in change), None)
        if selector is not None:
            target = change[selector]
            if target != "*":
                target = _existing(base, selector, target)
            if target is not None:
                kept.append({selector: target, "set": SAFE_SET[selector]})
        elif "weights" in change:
            weights = {k: v for k, v in change["weights"].items() if k in WEIGHTS and _is_weight(v)}
            kept.append({"weights": weights or {"commute": 1.0}})
        elif "forbid" in change or "incumbents" in change:
            key = "forbid" if "forbid" in change else "incumbents"
            kept.append({key: _pairs(base, change[key])})
        elif "remove" in change:
            ids = {
                plural: [i for i in change["remove"].get(plural) or [] if _existing(base, k, i) == i]
                for k, plural in KINDS.items()
            }
            removals.append({"remove": ids})
        elif "add" in change:
            kept.append({"add": _additions(base, change["add"], len(kept))})
    return kept + removals


def _additions(base: dict[str, Any], add: dict[str, Any], n: int) -> dict[str, Any]:
    """New entities made consistent as a problem of their own, with ids no base entity has, referring to the
    base's municipalities (or their own)."""
    added = {plural: [dict(e) for e in add.get(plural) or [] if isinstance(e, dict)] for plural in KINDS.values()}
    for plural, entities in added.items():
        for m, entity in enumerate(entities):
            entity["id"] = f"added-{n}-{m}-{plural}"
    combined = {plural: [*(base.get(plural) or []), *added[plural]] for plural in KINDS.values()}
    consistent_problem(combined)  # may add a municipality for new positions to name: it is added too
    return {plural: combined[plural][len(base.get(plural) or []) :] for plural in KINDS.values()}


def _pairs(problem: dict[str, Any], pairs: Any) -> list[dict[str, str]]:
    kept: list[dict[str, str]] = []
    for pair in pairs or []:
        partner = _existing(problem, "partner", pair.get("partner"))
        position = _existing(problem, "position", pair.get("position"))
        if partner and position and {"partner": partner, "position": position} not in kept:
            kept.append({"partner": partner, "position": position})
    return kept


def _existing(problem: dict[str, Any], kind: str, ident: Any) -> str | None:
    """`ident` when the problem has that entity, else one it has (chosen by the id's hash), else None."""
    ids = [e["id"] for e in problem.get(KINDS[kind]) or []]
    if not ids:
        return None
    return ident if ident in ids else ids[sum(map(ord, str(ident))) % len(ids)]


def _add_entity(problem: dict[str, Any], kind: str) -> str:
    """A plain entity of `kind` added to a problem that has none, so a reference to one can hold."""
    plural = KINDS[kind]
    entity: dict[str, Any] = {"id": f"{kind}-added", "lat": 35.7, "lon": 139.7}
    if kind == "municipality":
        entity.update(name="Added", budget_yen=None)
    elif kind == "partner":
        entity.update(name="Added", hours_per_week=8, hourly_rate_yen=3000)
    else:
        entity.update(municipality=None, title="Added", hours_per_week=4)
        del entity["lat"], entity["lon"]
        entity["municipality"] = _existing(problem, "municipality", None) or _add_entity(problem, "municipality")
    problem.setdefault(plural, []).append(entity)
    return str(entity["id"])


def _is_weight(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1000


def _sample_problem() -> dict[str, Any]:
    from enmusubi.scenarios.generator import generate_problem

    return generate_problem(n_partners=20, n_positions=5, seed=1)


@cache
def _sample_files() -> tuple[bytes, bytes]:
    """A small generated problem as a zipped CSV folder and as an .xlsx workbook, written by enmusubi itself."""
    import tempfile
    from pathlib import Path

    from enmusubi.service.io.documents import write_problem

    problem = _sample_problem()
    with tempfile.TemporaryDirectory() as folder:
        write_problem(problem, Path(folder) / "csv")
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            for file in sorted((Path(folder) / "csv").iterdir()):
                zipped.write(file, file.name)
        write_problem(problem, Path(folder) / "problem.xlsx")
        return archive.getvalue(), (Path(folder) / "problem.xlsx").read_bytes()
