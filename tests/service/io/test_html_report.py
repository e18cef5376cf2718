"""report.html: one self-contained page (inline SVG, nothing fetched) with the map, fill, budget use and scores;
a scenario's variants against the base; changes written in words."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from enmusubi.scenarios.words import changes_in_words
from enmusubi.service.io.html_report import html_report
from enmusubi.service.io.pictures import INSET_KM, places
from enmusubi.solver import Problem, Result, parse_problem, solve

ROOT = Path(__file__).resolve().parents[3]
TOKYO = ROOT / "scenarios" / "tokyo" / "problem.json"
EXAMPLE = ROOT / "tests" / "data" / "example-small.json"


@pytest.fixture(scope="module")
def tokyo() -> tuple[Problem, Result]:
    problem = parse_problem(json.loads(TOKYO.read_text()))
    return problem, solve(problem)


def fetches(html: str) -> list[str]:
    """Everything the page would load from elsewhere: src and href attributes, CSS url(), @import; inline
    `data:` images (the colour bars) and an SVG's xmlns load nothing."""
    found = re.findall(r"""(?:src|href)\s*=\s*["']([^"'#][^"']*)["']""", html)
    found += re.findall(r"url\(\s*['\"]?([^)'\"#][^)'\"]*)", html) + re.findall(r"@import", html)
    return [link for link in found if not link.startswith("data:")]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_page_is_self_contained_with_every_picture(tokyo: tuple[Problem, Result], lang: str) -> None:
    problem, result = tokyo
    html = html_report(result, "problem.json", problem, lang)
    assert fetches(html) == []
    assert "<script" not in html
    assert html.count("<svg") == 4  # map, fill, budget use, scores
    assert f'<html lang="{lang}">' in html
    groups = re.findall(r'<g id="muni-(\d+)" class="muni" data-id="\d+"><title>([^<]*)</title>', html)
    assert {g for g, _ in groups} == {m.id for m in problem.municipalities}  # every municipality on the map
    titles = dict(groups)
    nakano = next(m for m in result.municipalities if m.id == "13114")
    assert titles["13114"].startswith(f"中野区 (Nakano) (13114): {nakano.filled}/{nakano.openings}, ¥")
    assert ("島しょ部" if lang == "ja" else "Islands") in html  # Izu and Ogasawara in the inset
    assert ("配置レポート" if lang == "ja" else "Allocation report") in html


def test_a_problem_without_far_places_has_no_inset_and_no_map_without_coordinates() -> None:
    problem = parse_problem(json.loads(EXAMPLE.read_text()))
    result = solve(problem)
    points = places(result, {m.id: (m.lat, m.lon) for m in problem.municipalities})
    lat = sorted(p.lat for p in points)[len(points) // 2]
    assert all(abs(p.lat - lat) * 111 < INSET_KM for p in points)
    html = html_report(result, "example.json", problem, "en")
    assert "Islands" not in html and html.count("<svg") == 4
    assert html_report(result, "example.json", None, "en").count("<svg") == 3  # no coordinates: no map


def test_changes_in_words_show_the_value_the_variant_solved_with(tokyo: tuple[Problem, Result]) -> None:
    base = tokyo[0].to_json_dict()
    nakano = next(m for m in base["municipalities"] if m["id"] == "13114")
    assert nakano["budget_yen"] == 600_000
    raise_budget = [{"municipality": "13114", "set": {"budget_yen": "*1.3"}}]
    assert changes_in_words(base, raise_budget, "en") == ["中野区 (Nakano) budget ×1.3 → ¥780,000"]
    assert changes_in_words(base, raise_budget, "ja") == ["中野区 (Nakano) の予算 ×1.3 → ¥780,000"]
    twice = [*raise_budget, {"municipality": "13114", "set": {"budget_yen": "+20000"}}]
    assert changes_in_words(base, twice, "en")[1] == "中野区 (Nakano) budget +20000 → ¥800,000"
    remote = [{"position": "13119-security-01", "set": {"onsite_days_per_week": 0}}]
    assert changes_in_words(base, remote, "en") == ["Security advisor (13119-security-01) on-site days per week → 0"]
    assert changes_in_words(base, [{"remove": {"partners": ["P000001", "P000002"]}}], "en") == [
        "remove partners (2): P000001, P000002"
    ]
    assert changes_in_words(base, [], "ja") == ["なし（基準のまま）"]
