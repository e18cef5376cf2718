"""The compiled problem: immutable numpy arrays indexed by position in the file.

Everything downstream (masks, scores, models) works on these arrays; ids only
come back at the edges (results, explanations).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from enmusubi.solver.problem import Problem

EARTH_RADIUS_KM = 6371.0
COMMUTE_BASE_MINUTES = 15.0
COMMUTE_MINUTES_PER_KM = 2.6
REQUIRED_SKILL_WEIGHT = 2.0
COMMUTE_BLOCK = 8_192  # partners per block of the commute matrix


def _frozen(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


def haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance on a sphere of radius 6371 km; broadcasts."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    km: np.ndarray = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return km


def problem_digest(problem: Problem) -> str:
    """SHA-256 of the canonical JSON of the validated problem: the same input, the same digest."""
    canonical = json.dumps(problem.to_json_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True, eq=False)
class ProblemData:
    """Arrays of a validated Problem. Built once by `compile_problem`; never mutated."""

    problem: Problem
    skills: tuple[str, ...]
    # municipalities
    muni_ids: tuple[str, ...]
    muni_budget: np.ndarray  # float64, inf where no limit
    # positions
    position_ids: tuple[str, ...]
    position_muni: np.ndarray  # int32
    required: np.ndarray  # (n_positions, n_skills) int8, 0 = not required
    preferred: np.ndarray  # (n_positions, n_skills) float64 weights, 0 = not preferred
    position_hours: np.ndarray
    onsite_days: np.ndarray  # int8
    openings: np.ndarray  # int32
    max_rate: np.ndarray  # float64, inf where no cap
    priority: np.ndarray
    # partners
    partner_ids: tuple[str, ...]
    levels: np.ndarray  # (n_partners, n_skills) int8
    partner_hours: np.ndarray
    hourly_rate: np.ndarray
    max_onsite_days: np.ndarray  # int8
    max_commute: np.ndarray
    max_assignments: np.ndarray  # int32
    preferred_muni: np.ndarray  # (n_partners, n_munis) bool
    excluded_muni: np.ndarray  # (n_partners, n_munis) bool
    commute: np.ndarray  # (n_partners, n_munis) float64 one-way minutes, measured where given
    commute_measured: np.ndarray  # (n_partners, n_munis) bool
    # pair lists as (partner index, position index)
    locks: np.ndarray  # (k, 2) int32
    forbidden: np.ndarray
    incumbents: np.ndarray
    digest: str = field(default="")

    @property
    def n_partners(self) -> int:
        return len(self.partner_ids)

    @property
    def n_positions(self) -> int:
        return len(self.position_ids)

    @property
    def n_munis(self) -> int:
        return len(self.muni_ids)

    @cached_property
    def partner_index(self) -> dict[str, int]:
        return {p: i for i, p in enumerate(self.partner_ids)}

    @cached_property
    def position_index(self) -> dict[str, int]:
        return {p: j for j, p in enumerate(self.position_ids)}

    @cached_property
    def muni_index(self) -> dict[str, int]:
        return {m: k for k, m in enumerate(self.muni_ids)}

    @cached_property
    def skill_index(self) -> dict[str, int]:
        return {s: k for k, s in enumerate(self.skills)}

    @cached_property
    def forbidden_keys(self) -> np.ndarray:
        """Sorted pair keys (partner * n_positions + position) of forbidden pairs, for np.isin."""
        return np.unique(self.pair_keys(self.forbidden[:, 0], self.forbidden[:, 1]))

    @cached_property
    def incumbent_keys(self) -> np.ndarray:
        return np.unique(self.pair_keys(self.incumbents[:, 0], self.incumbents[:, 1]))

    def is_forbidden(self, partner: np.ndarray, position: np.ndarray) -> np.ndarray:
        return _member(self.pair_keys(partner, position), self.forbidden_keys)

    def is_incumbent(self, partner: np.ndarray, position: np.ndarray) -> np.ndarray:
        return _member(self.pair_keys(partner, position), self.incumbent_keys)

    def pair_keys(self, partner: np.ndarray, position: np.ndarray) -> np.ndarray:
        return partner.astype(np.int64) * max(self.n_positions, 1) + position.astype(np.int64)

    def cost(self, partner: np.ndarray, position: np.ndarray) -> np.ndarray:
        """Yen for the period: hourly rate x weekly hours x weeks."""
        yen: np.ndarray = self.hourly_rate[partner] * self.position_hours[position] * self.problem.period_weeks
        return yen


def _member(keys: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """keys in sorted_keys, by binary search: the sorted side is a short list of pairs."""
    if len(sorted_keys) == 0:
        return np.zeros(len(keys), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    found: np.ndarray = sorted_keys[at] == keys
    return found


def _pairs(problem: Problem, kind: str, partner_index: dict[str, int], position_index: dict[str, int]) -> np.ndarray:
    refs = getattr(problem, kind)
    out = np.array([(partner_index[r.partner], position_index[r.position]) for r in refs], dtype=np.int32)
    return _frozen(out.reshape(-1, 2))


def compile_problem(problem: Problem) -> ProblemData:
    """Turn a validated Problem into arrays (ids become indices, nulls become inf)."""
    skills = sorted(
        {s for p in problem.partners for s in p.skills}
        | {s for j in problem.positions for s in j.required_skills}
        | {s for j in problem.positions for s in j.preferred_skills}
    )
    skill_index = {s: k for k, s in enumerate(skills)}
    muni_index = {m.id: k for k, m in enumerate(problem.municipalities)}
    position_index = {j.id: k for k, j in enumerate(problem.positions)}
    partner_index = {p.id: k for k, p in enumerate(problem.partners)}
    n_p, n_j, n_m, n_s = len(problem.partners), len(problem.positions), len(problem.municipalities), len(skills)

    muni_lat = np.array([m.lat for m in problem.municipalities], dtype=np.float64)
    muni_lon = np.array([m.lon for m in problem.municipalities], dtype=np.float64)
    muni_budget = np.array(
        [np.inf if m.budget_yen is None else float(m.budget_yen) for m in problem.municipalities], dtype=np.float64
    )

    required = np.zeros((n_j, n_s), dtype=np.int8)
    preferred = np.zeros((n_j, n_s), dtype=np.float64)
    for j, pos in enumerate(problem.positions):
        for s, level in pos.required_skills.items():
            required[j, skill_index[s]] = level
        for s, weight in pos.preferred_skills.items():
            preferred[j, skill_index[s]] = weight

    levels = np.zeros((n_p, n_s), dtype=np.int8)
    preferred_muni = np.zeros((n_p, n_m), dtype=bool)
    excluded_muni = np.zeros((n_p, n_m), dtype=bool)
    for i, partner in enumerate(problem.partners):
        for s, level in partner.skills.items():
            levels[i, skill_index[s]] = level
        for mid in partner.preferred_municipalities:
            preferred_muni[i, muni_index[mid]] = True
        for mid in partner.excluded_municipalities:
            excluded_muni[i, muni_index[mid]] = True

    partner_lat = np.array([p.lat for p in problem.partners], dtype=np.float64)
    partner_lon = np.array([p.lon for p in problem.partners], dtype=np.float64)
    # By blocks of partners: the haversine's temporaries would otherwise be several times the matrix
    # (100,000 partners x 1,741 municipalities is 1.4 GB per float64 temporary).
    commute = np.empty((n_p, n_m), dtype=np.float64)
    for lo in range(0, n_p, COMMUTE_BLOCK):
        block = slice(lo, lo + COMMUTE_BLOCK)
        distance = haversine_km(
            partner_lat[block, None], partner_lon[block, None], muni_lat[None, :], muni_lon[None, :]
        )
        commute[block] = COMMUTE_BASE_MINUTES + COMMUTE_MINUTES_PER_KM * distance
    commute_measured = np.zeros((n_p, n_m), dtype=bool)
    for entry in problem.commute_minutes:
        i, m = partner_index[entry.partner], muni_index[entry.municipality]
        commute[i, m] = entry.minutes
        commute_measured[i, m] = True

    def arr(values: list[float], dtype: type = np.float64) -> np.ndarray:
        return _frozen(np.array(values, dtype=dtype))

    return ProblemData(
        problem=problem,
        skills=tuple(skills),
        muni_ids=tuple(muni_index),
        muni_budget=_frozen(muni_budget),
        position_ids=tuple(position_index),
        position_muni=arr([muni_index[j.municipality] for j in problem.positions], np.int32),
        required=_frozen(required),
        preferred=_frozen(preferred),
        position_hours=arr([j.hours_per_week for j in problem.positions]),
        onsite_days=arr([j.onsite_days_per_week for j in problem.positions], np.int8),
        openings=arr([j.openings for j in problem.positions], np.int32),
        max_rate=arr([np.inf if j.max_hourly_rate_yen is None else j.max_hourly_rate_yen for j in problem.positions]),
        priority=arr([j.priority for j in problem.positions]),
        partner_ids=tuple(partner_index),
        levels=_frozen(levels),
        partner_hours=arr([p.hours_per_week for p in problem.partners]),
        hourly_rate=arr([p.hourly_rate_yen for p in problem.partners]),
        max_onsite_days=arr([p.max_onsite_days_per_week for p in problem.partners], np.int8),
        max_commute=arr([p.max_commute_minutes for p in problem.partners]),
        max_assignments=arr([p.max_assignments for p in problem.partners], np.int32),
        preferred_muni=_frozen(preferred_muni),
        excluded_muni=_frozen(excluded_muni),
        commute=_frozen(commute),
        commute_measured=_frozen(commute_measured),
        locks=_pairs(problem, "locks", partner_index, position_index),
        forbidden=_pairs(problem, "forbidden", partner_index, position_index),
        incumbents=_pairs(problem, "incumbents", partner_index, position_index),
        digest=problem_digest(problem),
    )
