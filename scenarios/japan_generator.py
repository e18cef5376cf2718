"""A seeded generator of national problems over Japan's 1,741 municipalities (`japan/`, CC0).

Same partners and postings as the Tokyo generator (skills, archetypes, rates, roles, budgets,
incumbents: its functions are reused), spread over the whole country: homes and postings
follow a population proxy (the CSV has none: a weight per kind of municipality, designated
cities through their wards, raised where offices are dense, i.e. metropolitan areas), remote
municipalities (islands and isolated villages: no other office within REMOTE_KM) post short
on-site roles like Tokyo's islands, and partners carry Japanese names. Memory stays linear
in the partners: the partner-municipality distances are computed in blocks, never whole.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from enmusubi.scenarios import generator as tokyo

DATA_PATH = Path(__file__).parent / "japan" / "japan_municipalities.csv"
KIND_WEIGHT = {"designated_ward": 150_000.0, "ward": 300_000.0, "city": 60_000.0, "town": 12_000.0, "village": 3_000.0}
KIND_EN = {"ward": "区", "city": "市", "town": "町", "village": "村"}
REMOTE_KM = 20.0  # no other office this close: an island or an isolated village
DENSITY_KM = 30.0  # offices within this distance raise a municipality's weight (metropolitan areas)
BLOCK = 4_096  # partners per block of distances (4,096 x 1,741 float64 = 57 MB)
JITTER_KM = 3.0
SURNAMES_JA = (
    "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山田", "佐々木", "山口",
    "松本", "井上", "木村", "林", "斎藤", "清水", "山崎", "森", "池田", "橋本", "阿部", "石川", "山下", "中島", "石井",
    "小川", "前田", "岡田", "長谷川", "藤田", "後藤", "近藤", "村上", "遠藤", "青木", "坂本", "金城", "比嘉",
)  # fmt: skip
GIVEN_JA = (
    "陽翔", "蓮", "湊", "大翔", "悠真", "健太", "翔太", "拓也", "直樹", "誠", "陽菜", "結衣", "美咲", "葵", "さくら",
    "愛", "真由美", "由美", "恵", "彩", "花子", "太郎", "一郎", "和子", "裕子", "明美", "大輔", "亮", "剛", "舞",
)  # fmt: skip


def load_japan_municipalities(path: str | Path | None = None) -> list[dict[str, Any]]:
    """Every row of the CSV (municipalities and the wards of designated cities), lat/lon as floats."""
    with open(path or DATA_PATH, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["lat"], row["lon"] = float(row["lat"]), float(row["lon"])
    return rows


def _weights(rows: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """Per row, a population proxy (designated cities 0: their wards carry them) and whether it is remote."""
    lat = np.array([r["lat"] for r in rows])
    lon = np.array([r["lon"] for r in rows])
    weight = np.array([KIND_WEIGHT.get(r["kind"], 10_000.0) for r in rows])
    parents = {(r["prefecture_ja"], r["name_ja"].split(" ")[0]) for r in rows if r["kind"] == "designated_ward"}
    is_parent = np.array([r["kind"] == "city" and (r["prefecture_ja"], r["name_ja"]) in parents for r in rows])
    weight[is_parent] = 0.0
    near = np.zeros(len(rows))
    remote = np.zeros(len(rows), dtype=bool)
    for lo in range(0, len(rows), 512):
        dist = tokyo._haversine_km(lat[lo : lo + 512, None], lon[lo : lo + 512, None], lat[None, :], lon[None, :])
        near[lo : lo + 512] = (dist < DENSITY_KM).sum(axis=1) - 1
        dist[np.arange(dist.shape[0]), np.arange(lo, lo + dist.shape[0])] = np.inf
        remote[lo : lo + 512] = dist.min(axis=1) > REMOTE_KM
    return weight * (1.0 + near / 40.0), remote


def _municipalities(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The 1,741 municipalities (wards of designated cities are homes, not employers), in the Tokyo
    generator's shape: code, kind, lat, lon, population (the proxy), remote, and a Japanese display name."""
    weight, remote = _weights(rows)
    by_parent: dict[tuple[str, str], float] = {}
    for r, w in zip(rows, weight.tolist(), strict=True):
        if r["kind"] == "designated_ward":
            key = (r["prefecture_ja"], r["name_ja"].split(" ")[0])
            by_parent[key] = by_parent.get(key, 0.0) + w
    out = []
    for r, w, far in zip(rows, weight.tolist(), remote.tolist(), strict=True):
        if r["kind"] == "designated_ward":
            continue
        population = by_parent.get((r["prefecture_ja"], r["name_ja"]), w)
        out.append({**r, "population": population, "remote": far, "name": f"{r['prefecture_ja']}{r['name_ja']}"})
    return out


def _homes(rng: np.random.Generator, n: int, rows: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    weight, remote = _weights(rows)
    pick = rng.choice(len(rows), size=n, p=weight / weight.sum())
    lat0 = np.array([r["lat"] for r in rows])[pick]
    lon0 = np.array([r["lon"] for r in rows])[pick]
    noise = rng.standard_normal((n, 2)) * np.where(remote[pick], 0.8, JITTER_KM)[:, None]
    lat = lat0 + noise[:, 0] / tokyo.KM_PER_DEGREE_LAT
    lon = lon0 + noise[:, 1] / (tokyo.KM_PER_DEGREE_LAT * np.cos(np.radians(lat0)))
    return np.round(lat, 6), np.round(lon, 6), remote[pick]


def _partners(
    rng: np.random.Generator, n: int, rows: list[dict[str, Any]], munis: list[dict[str, Any]]
) -> dict[str, Any]:
    """The Tokyo generator's partner draws, with national homes and block-wise preferences."""
    lat, lon, islander = _homes(rng, n, rows)
    levels, archetype = tokyo._partner_skills(rng, islander)
    rate_mult = np.array([tokyo.ARCHETYPES[a][2] for a in tokyo.ARCHETYPES])[archetype]
    rate = (tokyo.RATE_BASE + tokyo.RATE_PER_LEVEL * levels.max(axis=1)) * rate_mult * rng.lognormal(0.0, 0.18, n)
    m_lat = np.array([m["lat"] for m in munis])
    m_lon = np.array([m["lon"] for m in munis])
    preferred: list[list[str]] = []
    excluded: list[list[str]] = []
    nearest = np.zeros(n, dtype=np.int64)
    for lo in range(0, n, BLOCK):
        dist = tokyo._haversine_km(
            lat[lo : lo + BLOCK, None], lon[lo : lo + BLOCK, None], m_lat[None, :], m_lon[None, :]
        )
        pref, excl = tokyo._partner_preferences(rng, dist, munis)
        preferred += pref
        excluded += excl
        nearest[lo : lo + BLOCK] = np.argmin(dist, axis=1)
    onsite = tokyo._choice(rng, range(6), [0.35, 0.25, 0.20, 0.10, 0.04, 0.06], n)
    return {
        "lat": lat,
        "lon": lon,
        "levels": levels,
        "hours": tokyo._choice(rng, [4, 8, 12, 16, 20, 24], [0.10, 0.30, 0.22, 0.20, 0.10, 0.08], n),
        "rate": (np.round(np.clip(rate, 3_000, 12_000) / 100) * 100).astype(np.int64),
        "onsite": np.where(islander, np.maximum(onsite, 1), onsite),
        "commute": tokyo._choice(rng, [45, 60, 75, 90, 105, 120, 150], [0.06, 0.20, 0.16, 0.26, 0.10, 0.18, 0.04], n),
        "max_assignments": tokyo._choice(rng, [1, 2, 3], [0.45, 0.40, 0.15], n),
        "surname": rng.integers(len(SURNAMES_JA), size=n),
        "given": rng.integers(len(GIVEN_JA), size=n),
        "preferred": preferred,
        "excluded": excluded,
    }


def _positions(
    rng: np.random.Generator, n_positions: int, munis: list[dict[str, Any]], spec: float
) -> list[dict[str, Any]]:
    """Postings from recruiting municipalities (more in bigger ones); remote ones post short on-site roles."""
    n_recruiting = min(len(munis), n_positions, max(20, n_positions // 6))
    weights = np.sqrt(np.array([m["population"] for m in munis]))
    recruiting = np.sort(rng.choice(len(munis), size=n_recruiting, replace=False, p=weights / weights.sum()))
    counts = tokyo._spread(rng, n_positions, weights[recruiting])
    owner = np.repeat(recruiting, counts)
    on_remote = np.array([bool(munis[k]["remote"]) for k in owner.tolist()], dtype=bool)
    d = {key: value.tolist() for key, value in tokyo._position_draws(rng, on_remote, spec).items()}
    return tokyo.postings(owner.tolist(), munis, d)


def generate_japan_problem(n_partners: int = 20_000, n_positions: int = 2_000, seed: int = 0) -> dict[str, Any]:
    """A national problem file (a JSON-ready dict); the same arguments give the same dict.

    Every municipality is listed; budgets and a handful of incumbents as in the Tokyo generator
    (incumbents only among remote-only postings here: their check needs no distance matrix).
    """
    if n_partners < 0 or n_positions < 0:
        raise ValueError("n_partners and n_positions must be >= 0")
    rows = load_japan_municipalities()
    munis = _municipalities(rows)
    rng_partners, rng_positions, rng_extra = np.random.default_rng(seed).spawn(3)
    p = _partners(rng_partners, n_partners, rows, munis)
    positions = _positions(rng_positions, n_positions, munis, tokyo._selectivity(n_partners))
    median_rate = float(np.median(p["rate"])) if n_partners else 6_000.0
    budgets = tokyo._budgets(rng_extra, positions, munis, median_rate)
    remote_only = [pos for pos in positions if pos["onsite_days_per_week"] == 0]
    p["dist_km"] = np.zeros((n_partners, 0))  # unused: only remote postings get incumbents
    incumbents = tokyo._incumbents(rng_extra, remote_only, p, munis) if remote_only else []
    partner_ids = [f"P{i + 1:06d}" for i in range(n_partners)]
    levels = p["levels"]
    nz_rows, nz_cols = np.nonzero(levels)
    skills: list[dict[str, int]] = [{} for _ in range(n_partners)]
    for i, s, level in zip(nz_rows.tolist(), nz_cols.tolist(), levels[nz_rows, nz_cols].tolist(), strict=True):
        skills[i][tokyo.SKILLS[s]] = level
    partners = [
        {
            "id": partner_ids[i],
            "name": f"{SURNAMES_JA[p['surname'][i]]} {GIVEN_JA[p['given'][i]]}",
            "skills": skills[i],
            "lat": float(p["lat"][i]),
            "lon": float(p["lon"][i]),
            "hours_per_week": int(p["hours"][i]),
            "hourly_rate_yen": int(p["rate"][i]),
            "max_onsite_days_per_week": int(p["onsite"][i]),
            "max_commute_minutes": int(p["commute"][i]),
            "max_assignments": int(p["max_assignments"][i]),
            "preferred_municipalities": p["preferred"][i],
            "excluded_municipalities": p["excluded"][i],
        }
        for i in range(n_partners)
    ]
    return {
        "version": 1,
        "period_weeks": tokyo.PERIOD_WEEKS,
        "municipalities": [
            {
                "id": str(m["code"]),
                "name": m["name"],
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
        "incumbents": [{"partner": partner_ids[i], "position": remote_only[j]["id"]} for i, j in incumbents],
    }
