"""The scenario generator: deterministic, valid, realistic enough to exercise every rule, fast at benchmark size."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from typing import Any

import numpy as np
import pytest

from enmusubi.scenarios.generator import SKILLS, generate_problem, is_island, load_tokyo_municipalities

Problem = dict[str, Any]


@pytest.fixture(scope="module")
def default() -> Problem:
    return generate_problem()


@pytest.fixture(scope="module")
def medium() -> Problem:
    return generate_problem(2_000, 300, seed=7)


def _eligible(problem: Problem) -> list[np.ndarray]:
    """Per position, the mask of partners that pass PROBLEM.md section 4 (independent of the solver's code)."""
    partners, munis = problem["partners"], {m["id"]: m for m in problem["municipalities"]}
    skill_col = {s: k for k, s in enumerate(SKILLS)}
    levels = np.zeros((len(partners), len(SKILLS)), dtype=np.int64)
    for i, p in enumerate(partners):
        for s, level in p["skills"].items():
            levels[i, skill_col[s]] = level

    def col(field: str) -> np.ndarray:
        return np.array([p[field] for p in partners], dtype=np.float64)

    lat, lon, hours, rate = col("lat"), col("lon"), col("hours_per_week"), col("hourly_rate_yen")
    max_onsite, max_commute = col("max_onsite_days_per_week"), col("max_commute_minutes")
    masks = []
    for pos in problem["positions"]:
        m = munis[pos["municipality"]]
        ok = hours >= pos["hours_per_week"]
        for s, level in pos["required_skills"].items():
            ok &= levels[:, skill_col[s]] >= level
        if pos["onsite_days_per_week"] > 0:
            p1, p2 = np.radians(lat), np.radians(m["lat"])
            a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(m["lon"] - lon) / 2) ** 2
            commute = 15 + 2.6 * 2 * 6371.0 * np.arcsin(np.sqrt(a))
            ok &= (max_onsite >= pos["onsite_days_per_week"]) & (commute <= max_commute)
        if pos["max_hourly_rate_yen"] is not None:
            ok &= rate <= pos["max_hourly_rate_yen"]
        if m["budget_yen"] is not None:
            ok &= rate * pos["hours_per_week"] * problem["period_weeks"] <= m["budget_yen"]
        ok &= np.array([pos["municipality"] not in p["excluded_municipalities"] for p in partners])
        masks.append(ok)
    return masks


def test_same_arguments_give_identical_json() -> None:
    first = json.dumps(generate_problem(300, 60, seed=3), ensure_ascii=False)
    assert first == json.dumps(generate_problem(300, 60, seed=3), ensure_ascii=False)
    assert first != json.dumps(generate_problem(300, 60, seed=4), ensure_ascii=False)


def test_partners_do_not_depend_on_the_number_of_positions() -> None:
    assert generate_problem(200, 30, seed=5)["partners"] == generate_problem(200, 90, seed=5)["partners"]


@pytest.mark.parametrize(("n_partners", "n_positions"), [(900, 150), (2_000, 300), (37, 5), (0, 0), (10, 1)])
def test_sizes(n_partners: int, n_positions: int) -> None:
    problem = generate_problem(n_partners, n_positions, seed=1)
    assert problem["version"] == 1
    assert len(problem["partners"]) == n_partners
    assert len(problem["positions"]) == n_positions
    assert len(problem["municipalities"]) == 62
    assert problem["locks"] == [] and problem["forbidden"] == []


@pytest.mark.parametrize(
    ("n_positions", "n_recruiting", "expected"),
    [(150, None, 21), (300, None, 42), (2_000, None, 62), (150, 30, 30), (10, 62, 10), (40, 1, 1)],
)
def test_number_of_recruiting_municipalities(n_positions: int, n_recruiting: int | None, expected: int) -> None:
    problem = generate_problem(100, n_positions, seed=2, n_recruiting=n_recruiting)
    assert len({p["municipality"] for p in problem["positions"]}) == expected


def test_ids_are_unique_and_readable(default: Problem) -> None:
    for kind in ("municipalities", "positions", "partners"):
        ids = [e["id"] for e in default[kind]]
        assert len(ids) == len(set(ids)), kind
    assert all(re.fullmatch(r"13\d{3}", m["id"]) for m in default["municipalities"])
    assert [p["id"] for p in default["partners"][:2]] == ["P000001", "P000002"]
    assert all(re.fullmatch(r"13\d{3}-[a-z]+-\d{2}", p["id"]) for p in default["positions"])
    assert all(p["id"].startswith(p["municipality"] + "-") for p in default["positions"])


@pytest.mark.parametrize("fixture", ["default", "medium"])
def test_references_are_valid(fixture: str, request: pytest.FixtureRequest) -> None:
    problem = request.getfixturevalue(fixture)
    munis = {m["id"] for m in problem["municipalities"]}
    positions = {p["id"]: p for p in problem["positions"]}
    partners = {p["id"]: p for p in problem["partners"]}
    assert all(p["municipality"] in munis for p in positions.values())
    for partner in partners.values():
        assert set(partner["preferred_municipalities"]) <= munis
        assert set(partner["excluded_municipalities"]) <= munis
        assert not set(partner["preferred_municipalities"]) & set(partner["excluded_municipalities"])
    for pos in positions.values():
        assert not set(pos["required_skills"]) & set(pos["preferred_skills"])
    assert 0 < len(problem["incumbents"]) <= len(positions)
    for pair in problem["incumbents"]:
        partner, pos = partners[pair["partner"]], positions[pair["position"]]
        # plausible: the partner has what the position requires
        assert all(partner["skills"].get(s, 0) >= level for s, level in pos["required_skills"].items())
        assert pos["municipality"] not in partner["excluded_municipalities"]


@pytest.mark.parametrize("fixture", ["default", "medium"])
def test_the_problem_model_accepts_it(fixture: str, request: pytest.FixtureRequest) -> None:
    models = pytest.importorskip("enmusubi.solver.problem")
    problem = request.getfixturevalue(fixture)
    parsed = models.parse_problem(problem)
    assert len(parsed.partners) == len(problem["partners"])


def test_island_positions_exist_and_are_on_site(default: Problem) -> None:
    island = [p for p in default["positions"] if is_island(p["municipality"])]
    assert len(island) >= 2
    assert {"13361", "13401"} <= {p["municipality"] for p in island}  # 大島町, 八丈町
    assert all(p["onsite_days_per_week"] >= 1 for p in island)
    islanders = [p for p in default["partners"] if p["lat"] < 35.0]
    assert 1 <= len(islanders) <= 0.03 * len(default["partners"])


def test_island_positions_only_reach_islanders() -> None:
    problem = generate_problem(5_000, 300, seed=11)
    islander = np.array([p["lat"] < 35.0 for p in problem["partners"]])  # the Izu and Ogasawara islands
    reached = 0
    for pos, mask in zip(problem["positions"], _eligible(problem), strict=True):
        if is_island(pos["municipality"]):
            assert not (mask & ~islander).any(), pos["id"]
            reached += int(mask.sum())
    assert reached > 0  # and islanders do get some


def test_partner_distributions(default: Problem) -> None:
    partners = default["partners"]
    assert all(1 <= len(p["skills"]) <= 4 for p in partners)
    assert set(s for p in partners for s in p["skills"]) <= set(SKILLS)
    levels = Counter(level for p in partners for level in p["skills"].values())
    assert set(levels) <= {1, 2, 3, 4, 5}
    assert levels[2] + levels[3] + levels[4] > 0.7 * sum(levels.values())
    assert all(4 <= p["hours_per_week"] <= 24 for p in partners)
    assert all(3_000 <= p["hourly_rate_yen"] <= 12_000 and p["hourly_rate_yen"] % 100 == 0 for p in partners)
    remote_only = sum(p["max_onsite_days_per_week"] == 0 for p in partners) / len(partners)
    assert 0.28 <= remote_only <= 0.42
    assert all(1 <= p["max_assignments"] <= 3 for p in partners)
    assert 0 < sum(bool(p["excluded_municipalities"]) for p in partners) < 0.05 * len(partners)
    # skill level and rate go together
    by_top = {k: [p["hourly_rate_yen"] for p in partners if max(p["skills"].values()) == k] for k in (2, 5)}
    assert np.median(by_top[5]) > np.median(by_top[2])


def test_position_distributions(default: Problem) -> None:
    positions = default["positions"]
    assert all(1 <= len(p["required_skills"]) <= 2 for p in positions)
    assert all(2 <= level <= 4 for p in positions for level in p["required_skills"].values())
    assert all(len(p["preferred_skills"]) <= 2 for p in positions)
    assert all(0.3 <= w <= 2.0 for p in positions for w in p["preferred_skills"].values())
    assert all(4 <= p["hours_per_week"] <= 16 for p in positions)
    assert all(0 <= p["onsite_days_per_week"] <= 3 for p in positions)
    assert 0.2 <= sum(p["onsite_days_per_week"] == 0 for p in positions) / len(positions) <= 0.5
    assert all(0.8 <= p["priority"] <= 1.5 for p in positions)
    assert Counter(p["openings"] for p in positions).most_common(1)[0][0] == 1
    assert any(p["max_hourly_rate_yen"] is not None for p in positions)


def test_budgets_bind_in_some_and_some_unlimited(default: Problem) -> None:
    recruiting = {p["municipality"] for p in default["positions"]}
    budgets = {m["id"]: m["budget_yen"] for m in default["municipalities"] if m["id"] in recruiting}
    assert 1 <= sum(b is None for b in budgets.values()) <= 4
    assert all(b % 100_000 == 0 and b > 0 for b in budgets.values() if b is not None)
    rates = sorted(p["hourly_rate_yen"] for p in default["partners"])
    median = rates[len(rates) // 2]
    ratios = []
    for muni, budget in budgets.items():
        if budget is None:
            continue
        full = sum(
            median * p["hours_per_week"] * 4 * p["openings"] for p in default["positions"] if p["municipality"] == muni
        )
        assert 0.25 * full - 100_000 <= budget <= 8.0 * full + 100_000
        ratios.append(budget / full)
    # Choices matter: a good share of municipalities cannot afford every opening at the median rate.
    assert sum(r < 1.0 for r in ratios) >= len(ratios) // 4


@pytest.mark.parametrize(("fixture", "low", "high"), [("default", 5, 60), ("medium", 10, 80)])
def test_tens_of_eligible_partners_per_position(
    fixture: str, low: float, high: float, request: pytest.FixtureRequest
) -> None:
    counts = np.array([mask.sum() for mask in _eligible(request.getfixturevalue(fixture))])
    assert low <= counts.mean() <= high
    assert (counts > 0).mean() > 0.75  # most positions can be filled; a few cannot


def test_bundled_municipalities() -> None:
    rows = load_tokyo_municipalities()
    assert len(rows) == 62
    assert sum(is_island(r["code"]) for r in rows) == 9
    chiyoda = rows[0]
    assert chiyoda["code"] == "13101" and chiyoda["name_ja"] == "千代田区"
    assert isinstance(chiyoda["lat"], float) and chiyoda["population"] == 66687
    assert next(r for r in rows if r["code"] == "13401")["population"] is None


def test_custom_municipality_list() -> None:
    wards = [r for r in load_tokyo_municipalities() if r["kind"] == "ward"]
    problem = generate_problem(100, 30, seed=0, municipalities=wards)
    assert len(problem["municipalities"]) == 23
    assert len(problem["positions"]) == 30
    assert not any(is_island(p["municipality"]) for p in problem["positions"])


def test_benchmark_size_is_fast() -> None:
    start = time.perf_counter()
    problem = generate_problem(20_000, 2_000, seed=0)
    elapsed = time.perf_counter() - start
    assert len(problem["partners"]) == 20_000 and len(problem["positions"]) == 2_000
    assert len({p["municipality"] for p in problem["positions"]}) == 62
    assert len({p["id"] for p in problem["positions"]}) == 2_000
    assert elapsed < 10.0  # ~0.5 s on an idle machine; generous for loaded CI
