"""The project's own check of an allocation before it leaves: every rule, and the objective recomputed.

An engine's word is not enough (HiGHS once returned its start columns while reporting a
better objective and "optimal"). This module reads only the validated problem and the
chosen pairs, and shares no code with scoring, the model or the engines: it walks the
chosen pairs one by one in plain Python, straight from PROBLEM.md §3-§6 and §9, so a fault
in the vectorised path cannot hide itself here. It is O(chosen pairs), not O(all pairs).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from enmusubi.solver.problem import Municipality, Partner, Position, Problem
from enmusubi.solver.tolerances import optimality_tolerance

EARTH_RADIUS_KM = 6371.0
# Sums of hours and yen are compared with a little room for floating-point addition.
HOURS_SLACK = 1e-9
YEN_SLACK = 1e-6


@dataclass(frozen=True)
class Certificate:
    """What the check found: the recomputed objective and every broken rule (empty when feasible)."""

    objective: float
    pair_scores: dict[tuple[str, str], float]
    violations: tuple[str, ...] = field(default=())

    @property
    def feasible(self) -> bool:
        return not self.violations

    def proves_optimal(self, bound: float) -> bool:
        """Optimal only when feasible and the objective is within §6's tolerance of a valid bound."""
        return self.feasible and math.isfinite(bound) and bound - self.objective <= optimality_tolerance(bound)


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


class _Checker:
    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.partners = {p.id: p for p in problem.partners}
        self.positions = {j.id: j for j in problem.positions}
        self.municipalities = {m.id: m for m in problem.municipalities}
        self.measured = {(c.partner, c.municipality): float(c.minutes) for c in problem.commute_minutes}
        self.forbidden = {(f.partner, f.position) for f in problem.forbidden}
        self.incumbents = {(f.partner, f.position) for f in problem.incumbents}

    def commute(self, partner: Partner, municipality: Municipality) -> float:
        measured = self.measured.get((partner.id, municipality.id))
        if measured is not None:
            return measured
        return 15.0 + 2.6 * _haversine_km(partner.lat, partner.lon, municipality.lat, municipality.lon)

    def cost(self, partner: Partner, position: Position) -> float:
        return float(partner.hourly_rate_yen) * float(position.hours_per_week) * float(self.problem.period_weeks)

    def broken_rule(self, partner: Partner, position: Position) -> str | None:
        """The first §4 rule the pair breaks, with the values compared, or None."""
        municipality = self.municipalities[position.municipality]
        for skill, level in position.required_skills.items():
            if partner.skills.get(skill, 0) < level:
                return f"skill: {skill} {partner.skills.get(skill, 0)} < {level}"
        if position.onsite_days_per_week > partner.max_onsite_days_per_week:
            return f"onsite: {position.onsite_days_per_week} > {partner.max_onsite_days_per_week} days"
        if position.onsite_days_per_week > 0:
            minutes = self.commute(partner, municipality)
            if minutes > partner.max_commute_minutes:
                return f"commute: {minutes:.1f} > {partner.max_commute_minutes} minutes"
        if position.max_hourly_rate_yen is not None and partner.hourly_rate_yen > position.max_hourly_rate_yen:
            return f"rate: {partner.hourly_rate_yen} > {position.max_hourly_rate_yen} yen"
        if municipality.id in partner.excluded_municipalities:
            return f"excluded: municipality {municipality.id}"
        if (partner.id, position.id) in self.forbidden:
            return "excluded: a forbidden pair"
        if position.hours_per_week > partner.hours_per_week:
            return f"hours: {position.hours_per_week} > {partner.hours_per_week}"
        if municipality.budget_yen is not None and self.cost(partner, position) > municipality.budget_yen:
            return f"budget: {self.cost(partner, position)} > {municipality.budget_yen} yen"
        return None

    def score(self, partner: Partner, position: Position) -> float:
        """§5, term by term."""
        w = self.problem.weights
        municipality = self.municipalities[position.municipality]
        weighted = [(2.0, s) for s in position.required_skills] + list(
            (float(weight), s) for s, weight in position.preferred_skills.items()
        )
        total = sum(weight for weight, _ in weighted)
        fit = (
            sum(weight * min(partner.skills.get(s, 0), 5) / 5.0 for weight, s in weighted) / total if total > 0 else 1.0
        )
        onsite = position.onsite_days_per_week
        commute_pen = (onsite / 5.0) * (self.commute(partner, municipality) / 60.0) if onsite > 0 else 0.0
        budget = municipality.budget_yen
        cost_pen = self.cost(partner, position) / budget if budget else 0.0
        pref = 1.0 if municipality.id in partner.preferred_municipalities else 0.0
        incumbent = 1.0 if (partner.id, position.id) in self.incumbents else 0.0
        return (
            float(position.priority) * (w.fill + w.skill * fit)
            + w.preference * pref
            - w.commute * commute_pen
            - w.cost * cost_pen
            + w.incumbent * incumbent
        )


def certify(problem: Problem, pairs: Iterable[tuple[str, str]]) -> Certificate:
    """Check `pairs` (partner id, position id) against PROBLEM.md §4 and §6 and recompute the objective."""
    checker = _Checker(problem)
    chosen = list(pairs)
    violations: list[str] = []
    for pair, times in Counter(chosen).items():
        if times > 1:
            violations.append(f"pair {pair[0]} -> {pair[1]} is chosen {times} times")
    scores: dict[tuple[str, str], float] = {}
    hours: defaultdict[str, float] = defaultdict(float)
    count: Counter[str] = Counter()
    filled: Counter[str] = Counter()
    spent: defaultdict[str, float] = defaultdict(float)
    for partner_id, position_id in dict.fromkeys(chosen):
        partner, position = checker.partners.get(partner_id), checker.positions.get(position_id)
        if partner is None or position is None:
            violations.append(f"pair {partner_id} -> {position_id} names an unknown id")
            continue
        broken = checker.broken_rule(partner, position)
        if broken is not None:
            violations.append(f"pair {partner_id} -> {position_id} is not eligible ({broken})")
        scores[(partner_id, position_id)] = checker.score(partner, position)
        hours[partner_id] += float(position.hours_per_week)
        count[partner_id] += 1
        filled[position_id] += 1
        spent[position.municipality] += checker.cost(partner, position)
    for position_id, n in filled.items():
        if n > checker.positions[position_id].openings:
            violations.append(f"openings: position {position_id} has {n} > {checker.positions[position_id].openings}")
    for partner_id, used in hours.items():
        partner = checker.partners[partner_id]
        if used > partner.hours_per_week + HOURS_SLACK:
            violations.append(f"hours: partner {partner_id} works {used} > {partner.hours_per_week} hours")
        if count[partner_id] > partner.max_assignments:
            violations.append(f"count: partner {partner_id} holds {count[partner_id]} > {partner.max_assignments}")
    for muni_id, yen in spent.items():
        budget = checker.municipalities[muni_id].budget_yen
        if budget is not None and yen > budget + YEN_SLACK * max(1.0, budget):
            violations.append(f"budget: municipality {muni_id} spends {yen} > {budget} yen")
    for lock in problem.locks:
        if (lock.partner, lock.position) not in scores:
            violations.append(f"lock: {lock.partner} -> {lock.position} is not in the allocation")
    objective = math.fsum(scores.values())
    equity = float(getattr(problem.weights, "equity", 0.0))
    if equity:
        served = {checker.positions[j].municipality for _, j in scores}
        objective += equity * len(served)
    return Certificate(objective, scores, tuple(violations))
