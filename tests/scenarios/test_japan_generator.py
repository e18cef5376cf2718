"""The national generator: seeded, valid, every municipality, cities busier than villages, remote offices on site."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from enmusubi.scenarios import japan_generator
from enmusubi.scenarios.japan_generator import generate_japan_problem, load_japan_municipalities
from enmusubi.solver import parse_problem


@pytest.fixture(scope="module")
def national() -> dict:
    return generate_japan_problem(3_000, 400, seed=2)


def test_same_seed_same_problem_and_valid(national: dict) -> None:
    assert json.dumps(generate_japan_problem(3_000, 400, seed=2)) == json.dumps(national)
    assert json.dumps(generate_japan_problem(3_000, 400, seed=3)) != json.dumps(national)
    problem = parse_problem(national)
    assert len(problem.partners) == 3_000 and len(problem.positions) == 400


def test_every_municipality_with_its_japanese_name(national: dict) -> None:
    rows = load_japan_municipalities()
    assert len(national["municipalities"]) == 1_741 == sum(r["kind"] != "designated_ward" for r in rows)
    names = {m["id"]: m["name"] for m in national["municipalities"]}
    assert names["13101"] == "東京都千代田区" and names["01100"] == "北海道札幌市"
    assert all(" " in p["name"] and not p["name"].isascii() for p in national["partners"])


def test_cities_post_more_than_villages_and_remote_offices_post_on_site(national: dict) -> None:
    kind = {r["code"]: r["kind"] for r in load_japan_municipalities()}
    by_kind = Counter(kind[p["municipality"]] for p in national["positions"])
    assert by_kind["city"] + by_kind["ward"] > 3 * by_kind["village"]
    remote = [p for p in national["positions"] if p["onsite_days_per_week"] == 0]
    assert 0.2 < len(remote) / len(national["positions"]) < 0.5
    prefectures = {p["municipality"][:2] for p in national["positions"]}
    assert len(prefectures) > 20
    far = {m["code"] for m in japan_generator._municipalities(load_japan_municipalities()) if m["remote"]}
    at_remote = [p for p in national["positions"] if p["municipality"] in far]
    assert at_remote and all(p["onsite_days_per_week"] >= 1 for p in at_remote)
