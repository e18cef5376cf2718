"""Independent, deliberately slow reference model of docs/spec/PROBLEM.md (test-only).

Written straight from the spec and importing nothing from the project packages
(`solver`, `constraints`, `service`, `scenarios`), so that it can pin their behaviour.
Every function takes the plain problem dict (decoded JSON) and applies the spec's
defaults itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np

Problem = dict[str, Any]
Pair = tuple[str, str]

EARTH_RADIUS_KM = 6371.0
RULES = ("skill", "onsite", "commute", "rate", "excluded", "hours", "budget")
DEFAULT_WEIGHTS = {
    "fill": 1.0,
    "skill": 1.0,
    "preference": 0.2,
    "commute": 0.5,
    "cost": 0.5,
    "incumbent": 0.5,
    "equity": 0.0,
}
HOURS_TOL = 1e-9
BUDGET_TOL = 1e-6


# --------------------------------------------------------------------------- defaults


def _period_weeks(problem: Problem) -> float:
    """Budget period in weeks (default 4)."""
    return float(problem.get("period_weeks", 4))


def _weights(problem: Problem) -> dict[str, float]:
    """Score weights with the spec defaults filled in."""
    given = problem.get("weights") or {}
    return {k: float(given.get(k, v)) for k, v in DEFAULT_WEIGHTS.items()}


def _required(position: dict[str, Any]) -> dict[str, float]:
    """Return the required skills of a position (default {})."""
    return position.get("required_skills") or {}


def _preferred(position: dict[str, Any]) -> dict[str, float]:
    """Preferred skills of a position (default {})."""
    return position.get("preferred_skills") or {}


def _onsite(position: dict[str, Any]) -> int:
    """On-site days per week of a position (default 0)."""
    return int(position.get("onsite_days_per_week", 0))


def _openings(position: dict[str, Any]) -> int:
    """Return the openings of a position (default 1)."""
    return int(position.get("openings", 1))


def _priority(position: dict[str, Any]) -> float:
    """Priority of a position (default 1.0)."""
    return float(position.get("priority", 1.0))


def _max_rate(position: dict[str, Any]) -> float | None:
    """Maximum hourly rate of a position (default null = no limit)."""
    value = position.get("max_hourly_rate_yen")
    return None if value is None else float(value)


def _max_onsite(partner: dict[str, Any]) -> int:
    """Maximum on-site days per week of a partner (default 5)."""
    return int(partner.get("max_onsite_days_per_week", 5))


def _max_commute(partner: dict[str, Any]) -> float:
    """Maximum one-way commute of a partner in minutes (default 90)."""
    return float(partner.get("max_commute_minutes", 90))


def _max_assignments(partner: dict[str, Any]) -> int:
    """Maximum number of positions a partner takes (default 3)."""
    return int(partner.get("max_assignments", 3))


def _budget(municipality: dict[str, Any]) -> float | None:
    """Budget of a municipality for the period (null / absent = no limit)."""
    value = municipality.get("budget_yen")
    return None if value is None else float(value)


def _level(partner: dict[str, Any], skill: str) -> float:
    """Return a partner's level in a skill (0 when not listed)."""
    return float((partner.get("skills") or {}).get(skill, 0))


# --------------------------------------------------------------------------- index


@dataclass
class _Index:
    """Lookups built once per problem so the per-pair loop stays plain and cheap."""

    problem: Problem
    partners: dict[str, dict[str, Any]]
    positions: dict[str, dict[str, Any]]
    municipalities: dict[str, dict[str, Any]]
    measured: dict[Pair, float]
    forbidden: set[Pair]
    incumbents: set[Pair]
    locks: list[Pair]
    period_weeks: float
    weights: dict[str, float]


def _index(problem: Problem) -> _Index:
    """Build the lookup tables of a problem."""

    def pairs(key: str) -> list[Pair]:
        return [(str(e["partner"]), str(e["position"])) for e in problem.get(key) or []]

    return _Index(
        problem=problem,
        partners={str(p["id"]): p for p in problem.get("partners") or []},
        positions={str(j["id"]): j for j in problem.get("positions") or []},
        municipalities={str(m["id"]): m for m in problem.get("municipalities") or []},
        measured={
            (str(e["partner"]), str(e["municipality"])): float(e["minutes"])
            for e in problem.get("commute_minutes") or []
        },
        forbidden=set(pairs("forbidden")),
        incumbents=set(pairs("incumbents")),
        locks=pairs("locks"),
        period_weeks=_period_weeks(problem),
        weights=_weights(problem),
    )


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km on a sphere of radius 6371.0 km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


def _commute(ix: _Index, partner: dict[str, Any], municipality: dict[str, Any]) -> float:
    """One-way commute in minutes: measured entry if present, else 15 + 2.6 * km."""
    key = (str(partner["id"]), str(municipality["id"]))
    if key in ix.measured:
        return ix.measured[key]
    d = _haversine_km(
        float(partner["lat"]), float(partner["lon"]), float(municipality["lat"]), float(municipality["lon"])
    )
    return 15.0 + 2.6 * d


def _cost(ix: _Index, partner: dict[str, Any], position: dict[str, Any]) -> float:
    """Cost of a pair for the period: hourly_rate * hours_per_week(position) * period_weeks."""
    return float(partner["hourly_rate_yen"]) * float(position["hours_per_week"]) * ix.period_weeks


def _first_failing(ix: _Index, partner_id: str, position_id: str) -> str | None:
    """First failing §4 rule of a pair, or None when eligible."""
    partner = ix.partners[partner_id]
    position = ix.positions[position_id]
    mun_id = str(position["municipality"])
    municipality = ix.municipalities[mun_id]
    for skill, level in _required(position).items():
        if _level(partner, skill) < float(level):
            return "skill"
    onsite = _onsite(position)
    if onsite > _max_onsite(partner):
        return "onsite"
    if onsite != 0 and _commute(ix, partner, municipality) > _max_commute(partner):
        return "commute"
    max_rate = _max_rate(position)
    if max_rate is not None and float(partner["hourly_rate_yen"]) > max_rate:
        return "rate"
    excluded = {str(m) for m in partner.get("excluded_municipalities") or []}
    if mun_id in excluded or (partner_id, position_id) in ix.forbidden:
        return "excluded"
    if float(position["hours_per_week"]) > float(partner["hours_per_week"]):
        return "hours"
    budget = _budget(municipality)
    if budget is not None and _cost(ix, partner, position) > budget:
        return "budget"
    return None


def _score(ix: _Index, partner_id: str, position_id: str) -> float:
    """§5 score of a pair (eligibility is not checked)."""
    partner = ix.partners[partner_id]
    position = ix.positions[position_id]
    mun_id = str(position["municipality"])
    municipality = ix.municipalities[mun_id]
    w = ix.weights

    num = 0.0
    den = 0.0
    for skill in _required(position):
        num += 2.0 * min(_level(partner, skill), 5.0) / 5.0
        den += 2.0
    for skill, weight in _preferred(position).items():
        num += float(weight) * min(_level(partner, skill), 5.0) / 5.0
        den += float(weight)
    fit = num / den if den > 0 else 1.0

    onsite = _onsite(position)
    commute_pen = (onsite / 5.0) * (_commute(ix, partner, municipality) / 60.0) if onsite > 0 else 0.0
    budget = _budget(municipality)
    cost_pen = _cost(ix, partner, position) / budget if budget is not None and budget > 0 else 0.0
    pref = 1.0 if mun_id in {str(m) for m in partner.get("preferred_municipalities") or []} else 0.0
    incumbent = 1.0 if (partner_id, position_id) in ix.incumbents else 0.0

    return (
        _priority(position) * (w["fill"] + w["skill"] * fit)
        + w["preference"] * pref
        - w["commute"] * commute_pen
        - w["cost"] * cost_pen
        + w["incumbent"] * incumbent
    )


def _eligible_scores(ix: _Index) -> dict[Pair, float]:
    """Scores of every eligible pair: the plain partners x positions double loop."""
    out: dict[Pair, float] = {}
    for partner_id in ix.partners:
        for position_id in ix.positions:
            if _first_failing(ix, partner_id, position_id) is None:
                out[(partner_id, position_id)] = _score(ix, partner_id, position_id)
    return out


# --------------------------------------------------------------------------- public API


def commute_minutes(problem: Problem, partner: dict[str, Any], municipality: dict[str, Any]) -> float:
    """One-way commute (minutes) from a partner's home to a municipality's office (§3)."""
    return _commute(_index(problem), partner, municipality)


def first_failing_rule(problem: Problem, partner_id: str, position_id: str) -> str | None:
    """Name of the first failing §4 rule (skill, onsite, commute, rate, excluded, hours, budget) or None."""
    return _first_failing(_index(problem), partner_id, position_id)


def score(problem: Problem, partner_id: str, position_id: str) -> float:
    """§5 score of the pair (partner_id, position_id)."""
    return _score(_index(problem), partner_id, position_id)


def reference_scores(problem: Problem) -> dict[Pair, float]:
    """Score of every eligible (partner, position) pair."""
    return _eligible_scores(_index(problem))


def check_allocation(problem: Problem, pairs: list[Pair]) -> list[str]:
    """Violations of §6 by an allocation (empty list = valid); each starts with its kind and a colon."""
    ix = _index(problem)
    violations: list[str] = []
    seen: set[Pair] = set()
    valid: list[Pair] = []
    for partner_id, position_id in pairs:
        pair = (str(partner_id), str(position_id))
        if pair in seen:
            violations.append(f"duplicate: {pair[0]} -> {pair[1]} chosen more than once")
            continue
        seen.add(pair)
        if pair[0] not in ix.partners or pair[1] not in ix.positions:
            violations.append(f"unknown: {pair[0]} -> {pair[1]} names an unknown partner or position")
            continue
        rule = _first_failing(ix, *pair)
        if rule is not None:
            violations.append(f"ineligible: {pair[0]} -> {pair[1]} fails {rule}")
        valid.append(pair)

    takers: dict[str, int] = {}
    hours: dict[str, float] = {}
    count: dict[str, int] = {}
    spent: dict[str, float] = {}
    for partner_id, position_id in valid:
        partner = ix.partners[partner_id]
        position = ix.positions[position_id]
        takers[position_id] = takers.get(position_id, 0) + 1
        hours[partner_id] = hours.get(partner_id, 0.0) + float(position["hours_per_week"])
        count[partner_id] = count.get(partner_id, 0) + 1
        mun_id = str(position["municipality"])
        spent[mun_id] = spent.get(mun_id, 0.0) + _cost(ix, partner, position)

    for position_id, n in takers.items():
        if n > _openings(ix.positions[position_id]):
            violations.append(f"openings: {position_id} has {n} > {_openings(ix.positions[position_id])}")
    for partner_id, h in hours.items():
        cap = float(ix.partners[partner_id]["hours_per_week"])
        if h > cap + HOURS_TOL:
            violations.append(f"hours: {partner_id} takes {h} h/week > {cap}")
    for partner_id, n in count.items():
        cap_n = _max_assignments(ix.partners[partner_id])
        if n > cap_n:
            violations.append(f"count: {partner_id} takes {n} positions > {cap_n}")
    for mun_id, total in spent.items():
        budget = _budget(ix.municipalities[mun_id])
        if budget is not None and total > budget + BUDGET_TOL:
            violations.append(f"budget: {mun_id} spends {total} yen > {budget}")
    for lock in ix.locks:
        if lock not in seen:
            violations.append(f"lock: {lock[0]} -> {lock[1]} is locked but not chosen")
    return violations


def served(problem: Problem, pairs: list[Pair]) -> set[str]:
    """Municipalities with at least one of the given pairs (§9)."""
    ix = _index(problem)
    return {str(ix.positions[str(j)]["municipality"]) for _, j in pairs}


def objective(problem: Problem, pairs: list[Pair]) -> float:
    """Sum of the reference scores of the given pairs plus w.equity x served municipalities (§9)
    (raises KeyError on an ineligible pair)."""
    scores = reference_scores(problem)
    total = float(sum(scores[(str(i), str(j))] for i, j in pairs))
    return total + _weights(problem)["equity"] * len(served(problem, pairs))


def mip_optimum(problem: Problem) -> tuple[float, list[Pair]]:
    """Exact optimum of the §6 model (with the §9 equity term) solved with HiGHS directly:
    (objective, chosen pairs). With equity every eligible pair is a column, and each
    municipality with one gets a served binary y_m <= sum of its pairs' x."""
    ix = _index(problem)
    scores = _eligible_scores(ix)
    locks = set(ix.locks)
    equity = ix.weights["equity"]
    pairs = [p for p, s in scores.items() if s > 0 or p in locks or equity > 0]
    if not pairs:
        return 0.0, []

    h = highspy.Highs()
    h.silent()
    h.setOptionValue("mip_rel_gap", 1e-9)
    h.setOptionValue("mip_abs_gap", 1e-7)
    n = len(pairs)
    lower = [1.0 if p in locks else 0.0 for p in pairs]  # locked pairs fixed to 1
    h.addBinaries(n, obj=[scores[p] for p in pairs], lb=lower, ub=[1.0] * n)
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)

    rows: list[tuple[float, list[int], list[float]]] = []  # (upper, columns, coefficients)
    by_position: dict[str, list[int]] = {}
    by_partner: dict[str, list[int]] = {}
    by_municipality: dict[str, list[int]] = {}
    for k, (partner_id, position_id) in enumerate(pairs):
        by_position.setdefault(position_id, []).append(k)
        by_partner.setdefault(partner_id, []).append(k)
        by_municipality.setdefault(str(ix.positions[position_id]["municipality"]), []).append(k)
    for position_id, cols in by_position.items():
        rows.append((float(_openings(ix.positions[position_id])), cols, [1.0] * len(cols)))
    for partner_id, cols in by_partner.items():
        partner = ix.partners[partner_id]
        rows.append(
            (float(partner["hours_per_week"]), cols, [float(ix.positions[pairs[k][1]]["hours_per_week"]) for k in cols])
        )
        rows.append((float(_max_assignments(partner)), cols, [1.0] * len(cols)))
    for mun_id, cols in by_municipality.items():
        budget = _budget(ix.municipalities[mun_id])
        if budget is not None:
            coefs = [_cost(ix, ix.partners[pairs[k][0]], ix.positions[pairs[k][1]]) for k in cols]
            rows.append((budget, cols, coefs))

    municipalities = sorted(by_municipality) if equity > 0 else []
    if municipalities:
        # Served binaries are columns n.. n+len-1: y_m - sum of its pairs' x <= 0.
        h.addBinaries(len(municipalities), obj=[equity] * len(municipalities))
        for g, mun_id in enumerate(municipalities):
            cols = by_municipality[mun_id]
            rows.append((0.0, [n + g, *cols], [1.0] + [-1.0] * len(cols)))
    starts = np.cumsum([0] + [len(r[1]) for r in rows[:-1]]).astype(np.int32)
    indices = np.array([c for r in rows for c in r[1]], dtype=np.int32)
    values = np.array([v for r in rows for v in r[2]], dtype=np.float64)
    h.addRows(
        len(rows),
        np.full(len(rows), -highspy.kHighsInf),
        np.array([r[0] for r in rows], dtype=np.float64),
        len(indices),
        starts,
        indices,
        values,
    )
    h.run()
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"reference MIP not optimal: {h.modelStatusToString(status)}")
    x = h.getSolution().col_value
    chosen = [p for k, p in enumerate(pairs) if x[k] > 0.5]
    n_served = len({str(ix.positions[j]["municipality"]) for _, j in chosen})
    return float(sum(scores[p] for p in chosen)) + equity * n_served, chosen
