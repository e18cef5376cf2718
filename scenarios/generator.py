"""A seeded generator of realistic problem files (PROBLEM.md, version 1) for Tokyo.

Real data cannot be shared, so demos, tests and benchmarks use synthetic partners and
positions drawn around the 62 real municipality offices (`tokyo/tokyo_municipalities.csv`).
The distributions follow the real service (see `generate_problem`), and the same
arguments always give the same problem, byte for byte once dumped as JSON.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

DATA_PATH = Path(__file__).parent / "tokyo" / "tokyo_municipalities.csv"
PERIOD_WEEKS = 4
EARTH_RADIUS_KM = 6371.0
KM_PER_DEGREE_LAT = 111.32
# Hourly rate in yen ~ base + per_level * (best skill level), times an archetype factor and noise.
RATE_BASE, RATE_PER_LEVEL = 2_000, 1_300

# The sizes the distributions were tuned at; between them selectivity grows with log(partners)
# so that a position has tens of eligible partners at any size, not thousands.
SMALL_POOL, LARGE_POOL = 900, 20_000

SKILLS: tuple[str, ...] = (
    "project_management", "product_management", "frontend", "backend", "mobile", "infrastructure", "sre",
    "security", "data_analysis", "data_engineering", "ai_ml", "ux_research", "ui_design", "graphic_design",
    "web_direction", "pr_writing", "training", "procurement", "saas_admin", "gis", "community", "hr",
)  # fmt: skip
SKILL_INDEX = {s: k for k, s in enumerate(SKILLS)}

# Partner archetypes: main skill -> (share of the pool, related skills a second skill is usually drawn from,
# rate multiplier). Engineers are plentiful in the pool; PMs and designers are what municipalities ask for most.
ARCHETYPES: dict[str, tuple[float, tuple[str, ...], float]] = {
    "project_management": (0.13, ("product_management", "procurement", "saas_admin", "training", "web_direction"), 1.1),
    "product_management": (0.05, ("project_management", "ux_research", "data_analysis", "ui_design"), 1.15),
    "frontend": (0.07, ("backend", "ui_design", "mobile", "web_direction"), 1.0),
    "backend": (0.08, ("frontend", "infrastructure", "data_engineering", "sre", "ai_ml"), 1.05),
    "mobile": (0.03, ("frontend", "backend", "ui_design"), 1.05),
    "infrastructure": (0.05, ("sre", "security", "backend", "procurement"), 1.1),
    "sre": (0.04, ("infrastructure", "backend", "security"), 1.15),
    "security": (0.05, ("infrastructure", "sre", "procurement", "training"), 1.2),
    "data_analysis": (0.07, ("data_engineering", "ai_ml", "gis", "pr_writing"), 1.0),
    "data_engineering": (0.03, ("data_analysis", "backend", "ai_ml", "infrastructure"), 1.1),
    "ai_ml": (0.03, ("data_analysis", "data_engineering", "backend"), 1.2),
    "ux_research": (0.03, ("ui_design", "product_management", "community"), 1.0),
    "ui_design": (0.05, ("graphic_design", "ux_research", "frontend", "web_direction"), 0.95),
    "graphic_design": (0.07, ("ui_design", "pr_writing", "web_direction"), 0.85),
    "web_direction": (0.04, ("pr_writing", "graphic_design", "project_management", "ui_design"), 0.95),
    "pr_writing": (0.05, ("community", "web_direction", "graphic_design"), 0.85),
    "training": (0.03, ("saas_admin", "hr", "community", "project_management"), 0.9),
    "procurement": (0.02, ("project_management", "infrastructure", "security"), 1.05),
    "saas_admin": (0.04, ("training", "project_management", "data_analysis", "backend"), 0.95),
    "gis": (0.015, ("data_analysis", "data_engineering", "infrastructure"), 1.0),
    "community": (0.025, ("pr_writing", "training", "ux_research"), 0.8),
    "hr": (0.02, ("training", "community", "project_management"), 0.9),
}
UNRELATED_SKILL_WEIGHT = 0.04  # odds, relative to a related skill, that a second skill is unrelated


class Role(NamedTuple):
    """A kind of posting: its main required skill, optional second required skill, preferred pool."""

    slug: str
    title: str
    share: float
    main: str
    second: tuple[str, ...]
    preferred: tuple[str, ...]
    island: bool = False  # offered by island municipalities too


ROLES: tuple[Role, ...] = (
    Role("creator", "Digital creator", 0.12, "graphic_design", ("ui_design", "web_direction"),
         ("pr_writing", "ui_design", "web_direction", "ux_research"), island=True),
    Role("pm", "DX project manager", 0.12, "project_management", ("procurement", "product_management", "saas_admin"),
         ("procurement", "saas_admin", "product_management", "training")),
    Role("dx", "DX advisor", 0.09, "product_management", ("project_management", "ux_research"),
         ("data_analysis", "saas_admin", "ux_research"), island=True),
    Role("saas", "SaaS tool trainer", 0.10, "saas_admin", ("training",),
         ("training", "community", "project_management"), island=True),
    Role("security", "Security advisor", 0.08, "security", ("infrastructure", "procurement"),
         ("training", "sre", "procurement")),
    Role("data", "Data analyst", 0.08, "data_analysis", ("data_engineering", "gis"),
         ("ai_ml", "pr_writing", "data_engineering")),
    Role("webdir", "Web director", 0.07, "web_direction", ("ui_design", "pr_writing"),
         ("graphic_design", "pr_writing", "ux_research")),
    Role("pr", "PR writer", 0.07, "pr_writing", ("community", "web_direction"), ("graphic_design", "community"),
         island=True),
    Role("procurement", "Procurement advisor", 0.05, "procurement", ("project_management", "infrastructure"),
         ("security", "infrastructure")),
    Role("gis", "GIS specialist", 0.03, "gis", ("data_analysis",), ("data_engineering", "data_analysis")),
    Role("community", "Community manager", 0.04, "community", ("pr_writing", "ux_research"),
         ("training", "ux_research"), island=True),
    Role("infra", "Cloud infrastructure advisor", 0.04, "infrastructure", ("sre", "security"),
         ("security", "procurement")),
    Role("ux", "UX researcher", 0.03, "ux_research", ("ui_design", "product_management"), ("community", "ui_design")),
    Role("webeng", "Web engineer", 0.03, "backend", ("frontend",), ("infrastructure", "ui_design")),
    Role("ai", "AI adoption advisor", 0.03, "ai_ml", ("data_analysis",), ("training", "data_engineering")),
    Role("hr", "Digital talent advisor", 0.02, "hr", ("training",), ("community", "project_management")),
)  # fmt: skip

# Where partners live: share of the pool per area. Tokyo areas are split among the municipality offices
# by population; the neighbouring prefectures among a few big-city anchors (approximate city-centre points).
HOME_SHARES = {"ward": 0.50, "tama": 0.16, "west_tama": 0.01, "island": 0.01}
NEIGHBOUR_ANCHORS: dict[str, tuple[float, tuple[tuple[float, float, float, float], ...]]] = {
    # prefecture: (share, ((lat, lon, weight, jitter_km), ...))
    "kanagawa": (0.14, ((35.4437, 139.6380, 0.45, 6.0), (35.5308, 139.7029, 0.25, 4.0), (35.5714, 139.3733, 0.12, 4.0),
                        (35.3389, 139.4905, 0.10, 3.0), (35.4874, 139.4580, 0.08, 3.0))),
    "saitama": (0.09, ((35.8617, 139.6455, 0.45, 5.0), (35.8078, 139.7241, 0.25, 3.0),
                       (35.7994, 139.4689, 0.15, 3.0), (35.8911, 139.7909, 0.15, 3.0))),
    "chiba": (0.09, ((35.6074, 140.1065, 0.30, 5.0), (35.6947, 139.9825, 0.25, 3.0), (35.7219, 139.9311, 0.20, 2.5),
                     (35.7877, 139.9031, 0.15, 3.0), (35.8676, 139.9757, 0.10, 3.0))),
}  # fmt: skip
JITTER_KM = {"ward": 1.5, "tama": 2.0, "west_tama": 2.5, "island": 0.8}

# The CSV has no population for the 13 towns and villages; rough figures, used only as sampling weights.
FALLBACK_POPULATION = {
    "13303": 32_000, "13305": 16_000, "13307": 2_000, "13308": 5_000, "13361": 7_500, "13362": 300, "13363": 2_500,
    "13364": 1_800, "13381": 2_300, "13382": 300, "13401": 7_000, "13402": 170, "13421": 2_900,
}  # fmt: skip
SURNAMES = (
    "Sato", "Suzuki", "Takahashi", "Tanaka", "Ito", "Watanabe", "Yamamoto", "Nakamura", "Kobayashi", "Kato",
    "Yoshida", "Yamada", "Sasaki", "Yamaguchi", "Matsumoto", "Inoue", "Kimura", "Hayashi", "Shimizu", "Saito",
    "Yamazaki", "Mori", "Abe", "Ikeda", "Hashimoto", "Ishikawa", "Ogawa", "Fujita", "Okada", "Goto",
    "Hasegawa", "Murakami", "Kondo", "Ishii", "Sakamoto", "Endo", "Aoki", "Fujii", "Nishimura", "Fukuda",
)  # fmt: skip
INITIALS = "AEHIJKMNRSTY"


def load_tokyo_municipalities(path: str | Path | None = None) -> list[dict[str, Any]]:
    """Rows of the municipalities CSV; lat/lon as floats, population as int or None (towns and villages)."""
    with open(path or DATA_PATH, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["lat"] = float(row["lat"])
        row["lon"] = float(row["lon"])
        row["population"] = int(row["population"]) if row.get("population") else None
    return rows


def is_island(code: str) -> bool:
    """Tokyo's island towns and villages (Izu and Ogasawara), codes 13361-13421."""
    return code.isdigit() and 13361 <= int(code) <= 13421


def _area(muni: dict[str, Any]) -> str:
    """ward / tama (cities) / west_tama (towns and villages on the mainland) / island: where people live differs."""
    code = str(muni["code"])
    if is_island(code):
        return "island"
    if muni.get("kind") == "ward":
        return "ward"
    return "tama" if muni.get("kind") == "city" else "west_tama"


def _population(muni: dict[str, Any]) -> float:
    """Sampling weight for homes and postings; towns and villages have no population in the CSV."""
    pop = muni.get("population")
    return float(pop) if pop else float(FALLBACK_POPULATION.get(str(muni["code"]), 10_000))


def _haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle km as in PROBLEM.md section 3 (kept here so the generator does not depend on the solver)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((np.radians(lon2) - np.radians(lon1)) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _top_k(keys: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of the k[i] largest keys of each row i (Gumbel top-k sampling without replacement)."""
    order = np.argsort(-keys, axis=1, kind="stable")
    take = np.arange(keys.shape[1])[None, :] < k[:, None]
    rows = np.nonzero(take)[0]
    return rows, order[take]


def _choice(
    rng: np.random.Generator, values: Sequence[int], probs: Sequence[float] | np.ndarray, size: int
) -> np.ndarray:
    """`size` draws of `values` with the given (unnormalised) probabilities."""
    p = np.asarray(probs, dtype=np.float64)
    return np.asarray(values)[rng.choice(len(p), size=size, p=p / p.sum())]


def _selectivity(n_partners: int) -> float:
    """0 at the real pool size (900), 1 at 20,000: bigger pools get more specific postings."""
    if n_partners <= SMALL_POOL:
        return 0.0
    return min(1.0, math.log(n_partners / SMALL_POOL) / math.log(LARGE_POOL / SMALL_POOL))


# ---------------------------------------------------------------------------------------------------------- partners


def _partner_homes(
    rng: np.random.Generator, n: int, munis: list[dict[str, Any]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Home lat, lon and is-islander: mostly near the 23 wards, some in Tama and the neighbouring prefectures."""
    anchors: list[tuple[float, float, float, float, bool]] = []  # lat, lon, weight, jitter km, island
    for area, share in HOME_SHARES.items():
        members = [m for m in munis if _area(m) == area]
        total = sum(_population(m) for m in members)
        anchors += [
            (m["lat"], m["lon"], share * _population(m) / total, JITTER_KM[area], area == "island") for m in members
        ]
    for share, points in NEIGHBOUR_ANCHORS.values():
        total = sum(p[2] for p in points)
        anchors += [(lat, lon, share * w / total, km, False) for lat, lon, w, km in points]
    table = np.array(anchors, dtype=np.float64)
    pick = rng.choice(len(table), size=n, p=table[:, 2] / table[:, 2].sum())
    lat0, lon0, km = table[pick, 0], table[pick, 1], table[pick, 3]
    noise = rng.standard_normal((n, 2)) * km[:, None]
    lat = lat0 + noise[:, 0] / KM_PER_DEGREE_LAT
    lon = lon0 + noise[:, 1] / (KM_PER_DEGREE_LAT * np.cos(np.radians(lat0)))
    return np.round(lat, 6), np.round(lon, 6), table[pick, 4] > 0


def _partner_skills(rng: np.random.Generator, islander: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, n_skills) levels: a main skill from the archetype mix plus 0-3 mostly related ones; and the archetype.

    Islanders have the skills island offices ask for, so their on-site postings are sometimes filled locally.
    """
    n = len(islander)
    names = list(ARCHETYPES)
    shares = np.array([ARCHETYPES[a][0] for a in names])
    archetype = rng.choice(len(names), size=n, p=shares / shares.sum())
    island_mains = np.array([names.index(r.main) for r in ROLES if r.island])
    archetype[islander] = rng.choice(island_mains, size=int(islander.sum()))
    main = np.array([SKILL_INDEX[a] for a in names])[archetype]
    affinity = np.full((len(names), len(SKILLS)), UNRELATED_SKILL_WEIGHT)
    for a, name in enumerate(names):
        affinity[a, [SKILL_INDEX[s] for s in ARCHETYPES[name][1]]] = 1.0
        affinity[a, SKILL_INDEX[name]] = 0.0
    with np.errstate(divide="ignore"):
        keys = np.log(affinity[archetype]) + rng.gumbel(size=(n, len(SKILLS)))
    n_extra = rng.choice(4, size=n, p=[0.25, 0.35, 0.28, 0.12])
    rows, cols = _top_k(keys, n_extra)
    levels = np.zeros((n, len(SKILLS)), dtype=np.int64)
    levels[np.arange(n), main] = rng.choice(np.arange(1, 6), size=n, p=[0.03, 0.17, 0.38, 0.30, 0.12])
    levels[rows, cols] = rng.choice(np.arange(1, 6), size=len(rows), p=[0.12, 0.33, 0.33, 0.17, 0.05])
    return levels, archetype


def _partner_preferences(
    rng: np.random.Generator, dist: np.ndarray, munis: list[dict[str, Any]]
) -> tuple[list[list[str]], list[list[str]]]:
    """Preferred municipalities near home (0-3 of them); rarely one excluded (their own employer, say)."""
    n = len(dist)
    n_pref = rng.choice(4, size=n, p=[0.45, 0.30, 0.17, 0.08])
    keys = -dist / 4.0 + rng.gumbel(size=dist.shape)  # mostly the nearest few
    rows, cols = _top_k(keys, n_pref)
    codes = np.array([str(m["code"]) for m in munis], dtype=object)
    preferred: list[list[str]] = [[] for _ in range(n)]
    for i, code in zip(rows.tolist(), codes[cols].tolist(), strict=True):
        preferred[i].append(code)
    excluded: list[list[str]] = [[] for _ in range(n)]
    nearest = np.argmin(dist, axis=1)
    for i in np.nonzero(rng.random(n) < 0.02)[0].tolist():
        code = str(codes[nearest[i]])
        excluded[i].append(code)
        if code in preferred[i]:
            preferred[i].remove(code)
    return preferred, excluded


def _generate_partners(rng: np.random.Generator, n: int, munis: list[dict[str, Any]]) -> dict[str, Any]:
    """Every partner attribute as numpy arrays (vectorised; 20,000 partners take a few tens of ms)."""
    lat, lon, islander = _partner_homes(rng, n, munis)
    levels, archetype = _partner_skills(rng, islander)
    rate_mult = np.array([ARCHETYPES[a][2] for a in ARCHETYPES])[archetype]
    top_level = levels.max(axis=1)
    rate = (RATE_BASE + RATE_PER_LEVEL * top_level) * rate_mult * rng.lognormal(0.0, 0.18, size=n)
    m_lat = np.array([m["lat"] for m in munis], dtype=np.float64)
    m_lon = np.array([m["lon"] for m in munis], dtype=np.float64)
    dist = _haversine_km(lat[:, None], lon[:, None], m_lat[None, :], m_lon[None, :])  # (partners, municipalities)
    preferred, excluded = _partner_preferences(rng, dist, munis)
    onsite = _choice(rng, range(6), [0.35, 0.25, 0.20, 0.10, 0.04, 0.06], n)
    return {
        "lat": lat,
        "lon": lon,
        "dist_km": dist,
        "levels": levels,
        # Side-job hours come in half-day blocks of 4 hours.
        "hours": _choice(rng, [4, 8, 12, 16, 20, 24], [0.10, 0.30, 0.22, 0.20, 0.10, 0.08], n),
        "rate": (np.round(np.clip(rate, 3_000, 12_000) / 100) * 100).astype(np.int64),
        "onsite": np.where(islander, np.maximum(onsite, 1), onsite),  # islanders can reach their own office
        "commute": _choice(rng, [45, 60, 75, 90, 105, 120, 150], [0.06, 0.20, 0.16, 0.26, 0.10, 0.18, 0.04], n),
        "max_assignments": _choice(rng, [1, 2, 3], [0.45, 0.40, 0.15], n),
        "name_initial": rng.integers(len(INITIALS), size=n),
        "name_surname": rng.integers(len(SURNAMES), size=n),
        "preferred": preferred,
        "excluded": excluded,
    }


# --------------------------------------------------------------------------------------------------------- positions


def _recruiting(
    rng: np.random.Generator, munis: list[dict[str, Any]], n_recruiting: int
) -> tuple[list[int], list[int]]:
    """Indices of recruiting mainland and island municipalities; island ones start with 大島町 and 八丈町."""
    islands = [k for k, m in enumerate(munis) if _area(m) == "island"]
    mainland = [k for k, m in enumerate(munis) if _area(m) != "island"]
    n_island = min(len(islands), max(2, n_recruiting * 9 // 62), n_recruiting // 2)
    n_island = min(len(islands), max(n_island, n_recruiting - len(mainland)))  # a list with few mainland ones
    first = [k for k in islands if str(munis[k]["code"]) in ("13361", "13401")]
    rest = [k for k in islands if k not in first]
    extra = rng.permutation(np.array(rest, dtype=np.int64)).tolist()
    island_pick = (first + extra)[:n_island]
    n_main = min(len(mainland), n_recruiting - len(island_pick))
    weights = np.sqrt([_population(munis[k]) for k in mainland])
    main_pick = (
        rng.choice(np.array(mainland), size=n_main, replace=False, p=weights / weights.sum()).tolist() if n_main else []
    )
    return sorted(main_pick), sorted(island_pick)


def _spread(rng: np.random.Generator, n_items: int, weights: np.ndarray) -> np.ndarray:
    """Counts per bucket summing to n_items: one each first (if enough), the rest in proportion to weights."""
    if len(weights) == 0 or n_items == 0:
        return np.zeros(len(weights), dtype=np.int64)
    base = np.ones(len(weights), dtype=np.int64) if n_items >= len(weights) else np.zeros(len(weights), dtype=np.int64)
    return base + rng.multinomial(n_items - int(base.sum()), weights / weights.sum())


def _position_draws(rng: np.random.Generator, on_island: np.ndarray, spec: float) -> dict[str, np.ndarray]:
    """Every random attribute of the postings at once (one numpy call each, not one per posting).

    `spec` (0 for the real pool, 1 at 20,000 partners) raises the required levels and the odds of a second
    required skill, which keeps the number of eligible partners per posting in the tens as the pool grows.
    """
    n = len(on_island)
    lo, hi = np.array([0.35, 0.45, 0.20]), np.array([0.05, 0.40, 0.55])
    lo2, hi2 = np.array([0.60, 0.40, 0.0]), np.array([0.25, 0.50, 0.25])
    island_roles = [k for k, r in enumerate(ROLES) if r.island]
    role = np.where(
        on_island,
        _choice(rng, island_roles, [ROLES[k].share for k in island_roles], n),
        _choice(rng, range(len(ROLES)), [r.share for r in ROLES], n),
    )
    hours = _choice(rng, [4, 8, 12, 16], [0.30, 0.38, 0.20, 0.12], n)
    onsite = _choice(rng, range(4), [0.34, 0.34, 0.22, 0.10], n)
    return {
        "role": role,
        "main_level": np.where(on_island, 2, _choice(rng, [2, 3, 4], lo + spec * (hi - lo), n)),
        "has_second": ~on_island & (rng.random(n) < 0.30 + 0.65 * spec),
        "second_pick": rng.random(n),
        "second_level": _choice(rng, [2, 3, 4], lo2 + spec * (hi2 - lo2), n),
        "n_preferred": _choice(rng, range(3), [0.30, 0.45, 0.25], n),
        "preferred_order": rng.random((n, max(len(r.preferred) for r in ROLES))),
        "preferred_weight": np.round(rng.uniform(0.3, 2.0, size=(n, 2)), 1),
        # Island postings are short and on site: the office wants someone on the island.
        "hours": np.where(on_island, _choice(rng, [4, 8], [1, 1], n), hours),
        "onsite": np.where(on_island, _choice(rng, [1, 2, 3], [0.5, 0.35, 0.15], n), onsite),
        "openings": _choice(rng, [1, 2, 3], [0.80, 0.15, 0.05], n),
        "has_cap": rng.random(n) < 0.25,
        "cap_factor": rng.uniform(0.95, 1.25, size=n),
        "priority": rng.integers(8, 16, size=n) / 10,
    }


def _generate_positions(
    rng: np.random.Generator, n_positions: int, n_recruiting: int, munis: list[dict[str, Any]], spec: float
) -> list[dict[str, Any]]:
    """Positions spread over the recruiting municipalities (more in bigger ones), a few on-site on the islands."""
    main, islands = _recruiting(rng, munis, n_recruiting)
    if not islands or not main:
        n_island_pos = n_positions if islands else 0
    else:  # a few: one per island office, ~1.7% at larger sizes
        n_island_pos = min(n_positions // 2, max(len(islands), n_positions // 60))
    counts: dict[int, int] = {}
    for group, n_items in ((main, n_positions - n_island_pos), (islands, n_island_pos)):
        weights = np.sqrt(np.array([_population(munis[k]) for k in group], dtype=np.float64))
        counts.update(zip(group, _spread(rng, n_items, weights).tolist(), strict=True))
    owner = [k for k in sorted(counts) for _ in range(counts[k])]
    on_island = np.array([k in islands for k in owner], dtype=bool)
    d = {key: value.tolist() for key, value in _position_draws(rng, on_island, spec).items()}
    return postings(owner, munis, d)


def postings(owner: list[int], munis: list[dict[str, Any]], d: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """One posting per entry of `owner` (a municipality index), from the draws `d` of _position_draws."""
    positions: list[dict[str, Any]] = []
    serial: dict[tuple[int, str], int] = {}
    for j, k in enumerate(owner):
        role = ROLES[d["role"][j]]
        required = {role.main: d["main_level"][j]}
        if d["has_second"][j]:
            required[role.second[int(d["second_pick"][j] * len(role.second))]] = d["second_level"][j]
        rank = d["preferred_order"][j]  # random order of the role's preferred pool
        pool = sorted((s for s in role.preferred if s not in required), key=lambda s: rank[role.preferred.index(s)])
        chosen = sorted(pool[: d["n_preferred"][j]], key=SKILL_INDEX.__getitem__)
        cap = RATE_BASE + RATE_PER_LEVEL * (d["main_level"][j] + 0.5)  # what that level usually costs
        code = str(munis[k]["code"])
        serial[k, role.slug] = serial.get((k, role.slug), 0) + 1
        positions.append(
            {
                "id": f"{code}-{role.slug}-{serial[k, role.slug]:02d}",
                "municipality": code,
                "title": role.title,
                "required_skills": required,
                "preferred_skills": dict(zip(chosen, d["preferred_weight"][j], strict=False)),
                "hours_per_week": d["hours"][j],
                "onsite_days_per_week": d["onsite"][j],
                "openings": d["openings"][j],
                "max_hourly_rate_yen": 1_000 * round(cap * d["cap_factor"][j] / 1_000) if d["has_cap"][j] else None,
                "priority": d["priority"][j],
            }
        )
    return positions


def _budgets(
    rng: np.random.Generator, positions: list[dict[str, Any]], munis: list[dict[str, Any]], median_rate: float
) -> dict[str, int | None]:
    """Per recruiting municipality, a budget around what filling every opening at the median rate costs.

    The spread follows the spec's Tokyo-sized conformance cases: about a third of the
    municipalities cannot afford all their openings (down to a quarter of the need),
    so choices matter there, while others have room to spare; a few have no limit.
    """
    need: dict[str, float] = {}
    for pos in positions:
        cost = median_rate * pos["hours_per_week"] * PERIOD_WEEKS * pos["openings"]
        need[pos["municipality"]] = need.get(pos["municipality"], 0.0) + cost
    codes = [str(m["code"]) for m in munis if str(m["code"]) in need]
    factor = np.clip(rng.lognormal(mean=np.log(1.4), sigma=0.8, size=len(codes)), 0.25, 8.0)
    n_unlimited = max(1, round(0.1 * len(codes))) if len(codes) >= 5 else 0
    unlimited = set(rng.choice(np.array(codes, dtype=object), size=n_unlimited, replace=False).tolist())
    budgets: dict[str, int | None] = {}
    for code, f in zip(codes, factor.tolist(), strict=True):
        budgets[code] = None if code in unlimited else max(100_000, round(need[code] * f / 100_000) * 100_000)
    return budgets


def _incumbents(
    rng: np.random.Generator, positions: list[dict[str, Any]], partners: dict[str, Any], munis: list[dict[str, Any]]
) -> list[tuple[int, int]]:
    """A handful of current placements that are plausible: skills, hours, on-site days and commute all fit."""
    n_positions = len(positions)
    if n_positions == 0 or len(partners["hours"]) == 0:
        return []
    n_wanted = min(n_positions, max(3, n_positions // 30))
    column = {str(m["code"]): k for k, m in enumerate(munis)}
    excluded = np.array([codes[0] if codes else "" for codes in partners["excluded"]], dtype=object)
    pairs: list[tuple[int, int]] = []
    for j in sorted(rng.choice(n_positions, size=n_wanted, replace=False).tolist()):
        pos = positions[j]
        ok = (partners["hours"] >= pos["hours_per_week"]) & (excluded != pos["municipality"])
        for skill, level in pos["required_skills"].items():
            ok &= partners["levels"][:, SKILL_INDEX[skill]] >= level
        if pos["onsite_days_per_week"] > 0:
            commute = 15 + 2.6 * partners["dist_km"][:, column[pos["municipality"]]]  # PROBLEM.md section 3
            ok &= (partners["onsite"] >= pos["onsite_days_per_week"]) & (commute <= partners["commute"])
        candidates = np.nonzero(ok)[0]
        if len(candidates):
            pairs.append((int(rng.choice(candidates)), j))
    return pairs


# -------------------------------------------------------------------------------------------------------- the problem


def municipality_name(m: dict[str, Any]) -> str:
    """The Japanese name coordinators use, with the romanised one beside it for everyone else: `港区 (Minato)`.

    One `name` field keeps the problem format (PROBLEM.md) unchanged: every report, CSV and the console show
    both, in either language, and sorting or searching by either works."""
    return f"{m['name_ja']} ({m['name_en']})"


def generate_problem(
    n_partners: int = 900,
    n_positions: int = 150,
    seed: int = 0,
    n_recruiting: int | None = None,
    municipalities: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A realistic problem file (a JSON-ready dict); the same arguments give the same dict.

    Partners (ids P000001...) have 1-4 skills from the skills.md vocabulary (a main one from an archetype mix
    plus related ones), levels mostly 2-4, homes around the 23 wards, Tama, Kanagawa, Saitama and Chiba with
    ~1% on the islands, ~35% remote-only, rates 3,000-12,000 yen rising with skill level. Positions (ids like
    "13207-creator-01") come from `n_recruiting` municipalities (default min(62, max(20, n_positions // 7)));
    a few are on-site on the islands. Budgets are 50-80% of filling every opening at the median rate.
    Every municipality is listed; locks and forbidden pairs are empty, incumbents a handful.

    Partners, positions and the extras draw from independent streams of `seed`, so changing
    `n_positions` leaves the partners as they were.
    """
    if n_partners < 0 or n_positions < 0:
        raise ValueError("n_partners and n_positions must be >= 0")
    munis = municipalities if municipalities is not None else load_tokyo_municipalities()
    if n_recruiting is None:
        n_recruiting = min(62, max(20, n_positions // 7))
    n_recruiting = max(0, min(n_recruiting, len(munis), n_positions))
    rng_partners, rng_positions, rng_extra = np.random.default_rng(seed).spawn(3)

    p = _generate_partners(rng_partners, n_partners, munis)
    positions = _generate_positions(rng_positions, n_positions, n_recruiting, munis, _selectivity(n_partners))
    median_rate = float(np.median(p["rate"])) if n_partners else 6_000.0
    budgets = _budgets(rng_extra, positions, munis, median_rate)
    incumbents = _incumbents(rng_extra, positions, p, munis)

    partner_ids = [f"P{i + 1:06d}" for i in range(n_partners)]
    levels = p["levels"]
    nz_rows, nz_cols = np.nonzero(levels)
    skills: list[dict[str, int]] = [{} for _ in range(n_partners)]
    for i, s, level in zip(nz_rows.tolist(), nz_cols.tolist(), levels[nz_rows, nz_cols].tolist(), strict=True):
        skills[i][SKILLS[s]] = level
    columns = zip(
        partner_ids,
        p["name_initial"].tolist(),
        p["name_surname"].tolist(),
        skills,
        p["lat"].tolist(),
        p["lon"].tolist(),
        p["hours"].tolist(),
        p["rate"].tolist(),
        p["onsite"].tolist(),
        p["commute"].tolist(),
        p["max_assignments"].tolist(),
        p["preferred"],
        p["excluded"],
        strict=True,
    )
    partners = [
        {
            "id": pid,
            "name": f"{INITIALS[ini]}. {SURNAMES[sur]}",
            "skills": sk,
            "lat": lat,
            "lon": lon,
            "hours_per_week": hours,
            "hourly_rate_yen": rate,
            "max_onsite_days_per_week": onsite,
            "max_commute_minutes": commute,
            "max_assignments": count,
            "preferred_municipalities": pref,
            "excluded_municipalities": excl,
        }
        for pid, ini, sur, sk, lat, lon, hours, rate, onsite, commute, count, pref, excl in columns
    ]
    return {
        "version": 1,
        "period_weeks": PERIOD_WEEKS,
        "municipalities": [
            {
                "id": str(m["code"]),
                "name": municipality_name(m),
                "lat": float(m["lat"]),
                "lon": float(m["lon"]),
                "budget_yen": budgets.get(str(m["code"])),
            }
            for m in munis
        ],
        "positions": positions,
        "partners": partners,
        "commute_minutes": [],
        "locks": [],
        "forbidden": [],
        "incumbents": [{"partner": partner_ids[i], "position": positions[j]["id"]} for i, j in incumbents],
    }
