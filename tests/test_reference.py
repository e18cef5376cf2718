"""Validate the independent reference (tests/reference.py) against the shared conformance cases and §8."""

from __future__ import annotations

import copy
import functools
import json
import math
from pathlib import Path
from typing import Any

import pytest

try:
    from tests import reference as ref
except ImportError:  # tests/ itself on sys.path (rootdir-less pytest run)
    import reference as ref  # type: ignore[no-redef]

DATA = Path(__file__).resolve().parent / "data"
CONFORMANCE = DATA / "conformance"
CASES = sorted(p.name.removesuffix(".problem.json") for p in CONFORMANCE.glob("case-*.problem.json"))
SMALL_CASES = [c for c in CASES if "scores" in json.loads((CONFORMANCE / f"{c}.expected.json").read_text())]

EXAMPLE_OPTIMUM = 7.369305
EXAMPLE_SCORES = {
    ("p-designer", "akishima-creator"): 1.684555,
    ("p-trainer", "tama-tool-training"): 1.895556,
    ("p-pm", "tama-tool-training"): 0.880000,
    ("p-pm", "taito-pm"): 2.660306,
    ("p-remote", "tama-tool-training"): 1.128889,
}
EXAMPLE_CHOICE = {
    ("p-designer", "akishima-creator"),
    ("p-pm", "taito-pm"),
    ("p-remote", "tama-tool-training"),
    ("p-trainer", "tama-tool-training"),
}


@functools.cache
def _load(case: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(problem, expected) of a conformance case."""
    problem = json.loads((CONFORMANCE / f"{case}.problem.json").read_text())
    expected = json.loads((CONFORMANCE / f"{case}.expected.json").read_text())
    return problem, expected


@functools.cache
def _scores(case: str) -> dict[tuple[str, str], float]:
    """Return the (cached) reference scores of a conformance case."""
    return ref.reference_scores(_load(case)[0])


@functools.cache
def _mip(case: str) -> tuple[float, list[tuple[str, str]]]:
    """Return the (cached) reference MIP optimum of a conformance case."""
    return ref.mip_optimum(_load(case)[0])


def _example() -> dict[str, Any]:
    """Return a fresh copy of the §8 worked example."""
    return json.loads((DATA / "example-small.json").read_text())


def _key(pair: str) -> tuple[str, str]:
    """Split a "partner|position" key."""
    partner, position = pair.split("|")
    return partner, position


def _opt_tol(opt: float) -> float:
    """Optimality tolerance of §6."""
    return max(1e-3, 1e-6 * abs(opt))


# --------------------------------------------------------------------------- conformance


def test_cases_present() -> None:
    """All 14 shared cases (12 small, 2 Tokyo-sized) were copied."""
    assert len(CASES) == 14
    assert len(SMALL_CASES) == 12
    assert (CONFORMANCE / "README.md").is_file()


@pytest.mark.parametrize("case", CASES)
def test_eligible_pair_count(case: str) -> None:
    """The reference finds exactly the expected number of eligible pairs."""
    assert len(_scores(case)) == _load(case)[1]["eligible_pairs"]


@pytest.mark.parametrize("case", SMALL_CASES)
def test_scores(case: str) -> None:
    """Reference scores match the expected scores pair for pair."""
    expected = {_key(k): v for k, v in _load(case)[1]["scores"].items()}
    got = _scores(case)
    assert set(got) == set(expected)
    for pair, value in expected.items():
        assert got[pair] == pytest.approx(value, abs=1e-6), pair


@pytest.mark.parametrize("case", SMALL_CASES)
def test_ineligible_reasons(case: str) -> None:
    """first_failing_rule names the expected first failing rule; eligible pairs give None."""
    problem, expected = _load(case)
    reasons = {_key(k): v for k, v in expected["ineligible_reasons"].items()}
    n_pairs = len(problem["partners"]) * len(problem["positions"])
    assert len(reasons) + expected["eligible_pairs"] == n_pairs
    got = {p: ref.first_failing_rule(problem, *p) for p in reasons}
    assert got == reasons
    for pair in expected["scores"]:
        assert ref.first_failing_rule(problem, *_key(pair)) is None


@pytest.mark.parametrize("case", CASES)
def test_mip_optimum(case: str) -> None:
    """The reference MIP reaches the expected optimum with a valid allocation."""
    problem, expected = _load(case)
    opt, pairs = _mip(case)
    assert abs(opt - expected["optimum"]) <= _opt_tol(expected["optimum"])
    assert ref.check_allocation(problem, pairs) == []
    assert ref.objective(problem, pairs) == pytest.approx(opt, abs=1e-9)


# --------------------------------------------------------------------------- worked example


def test_example_scores() -> None:
    """§8: the 5 eligible pairs and their scores."""
    got = ref.reference_scores(_example())
    assert set(got) == set(EXAMPLE_SCORES)
    for pair, value in EXAMPLE_SCORES.items():
        assert got[pair] == pytest.approx(value, abs=1e-6)
        assert ref.score(_example(), *pair) == pytest.approx(value, abs=1e-6)


def test_example_optimum() -> None:
    """§8: optimum 7.369305 with exactly the documented choice."""
    problem = _example()
    opt, pairs = ref.mip_optimum(problem)
    assert opt == pytest.approx(EXAMPLE_OPTIMUM, abs=1e-6)
    assert set(pairs) == EXAMPLE_CHOICE
    assert ref.objective(problem, sorted(EXAMPLE_CHOICE)) == pytest.approx(EXAMPLE_OPTIMUM, abs=1e-6)
    assert ref.check_allocation(problem, sorted(EXAMPLE_CHOICE)) == []


def test_example_rules() -> None:
    """§8: the named ineligible pairs fail skills."""
    problem = _example()
    assert ref.first_failing_rule(problem, "p-remote", "akishima-creator") == "skill"
    assert ref.first_failing_rule(problem, "p-designer", "taito-pm") == "skill"
    assert ref.first_failing_rule(problem, "p-pm", "taito-pm") is None


# --------------------------------------------------------------------------- unit checks


def test_commute_estimate_and_measured() -> None:
    """15 + 2.6 * haversine km, replaced by a measured entry when present."""
    problem = _example()
    partner = {"id": "x", "lat": 35.0, "lon": 139.0}
    same = {"id": "m", "lat": 35.0, "lon": 139.0}
    assert ref.commute_minutes(problem, partner, same) == pytest.approx(15.0)
    one_degree = {"id": "m", "lat": 36.0, "lon": 139.0}
    assert ref.commute_minutes(problem, partner, one_degree) == pytest.approx(15.0 + 2.6 * 6371.0 * math.pi / 180)
    problem["commute_minutes"] = [{"partner": "x", "municipality": "m", "minutes": 42}]
    assert ref.commute_minutes(problem, partner, one_degree) == 42.0


def test_no_skill_fit_and_weights() -> None:
    """A position naming no skill has fit 1.0; custom weights replace the defaults field by field."""
    problem = _mini()
    base = ref.score(problem, "a", "j1")  # priority 1, fit 1, no onsite, no budget
    assert base == pytest.approx(2.0)
    problem["weights"] = {"fill": 0.5}
    assert ref.score(problem, "a", "j1") == pytest.approx(1.5)


def test_mip_empty() -> None:
    """No eligible pair: optimum 0 and nothing chosen."""
    problem = _mini()
    problem["partners"][0]["hours_per_week"] = 0
    problem["partners"][1]["hours_per_week"] = 0
    assert ref.mip_optimum(problem) == (0.0, [])


# --------------------------------------------------------------------------- broken allocations


def _mini() -> dict[str, Any]:
    """Return a tiny problem where every pair is eligible: 2 partners, 2 remote positions, 1 municipality."""
    return {
        "version": 1,
        "municipalities": [{"id": "m", "name": "M", "lat": 35.0, "lon": 139.0, "budget_yen": None}],
        "positions": [
            {"id": "j1", "municipality": "m", "title": "T1", "hours_per_week": 5},
            {"id": "j2", "municipality": "m", "title": "T2", "hours_per_week": 5},
        ],
        "partners": [
            {
                "id": "a",
                "name": "A",
                "skills": {},
                "lat": 35.0,
                "lon": 139.0,
                "hours_per_week": 10,
                "hourly_rate_yen": 1000,
            },
            {
                "id": "b",
                "name": "B",
                "skills": {},
                "lat": 35.0,
                "lon": 139.0,
                "hours_per_week": 10,
                "hourly_rate_yen": 1000,
            },
        ],
    }


def _kinds(violations: list[str]) -> set[str]:
    """Violation kinds (the text before the first colon)."""
    return {v.split(":", 1)[0] for v in violations}


def test_check_valid_mini() -> None:
    """Both partners on both positions is valid in the unconstrained mini problem."""
    problem = _mini()
    assert ref.check_allocation(problem, [("a", "j1"), ("b", "j2")]) == []
    assert ref.check_allocation(problem, []) == []


def test_check_ineligible() -> None:
    """A pair failing a §4 rule is flagged (example: p-remote -> akishima-creator fails skill)."""
    pairs = [*sorted(EXAMPLE_CHOICE), ("p-remote", "akishima-creator")]
    violations = ref.check_allocation(_example(), pairs)
    assert "ineligible" in _kinds(violations)
    assert any("skill" in v for v in violations)


def test_check_forbidden_is_ineligible() -> None:
    """A forbidden pair is flagged as ineligible (rule excluded)."""
    problem = _mini()
    problem["forbidden"] = [{"partner": "a", "position": "j1"}]
    violations = ref.check_allocation(problem, [("a", "j1")])
    assert _kinds(violations) == {"ineligible"}
    assert "excluded" in violations[0]


def test_check_duplicate() -> None:
    """The same pair twice is flagged."""
    assert _kinds(ref.check_allocation(_mini(), [("a", "j1"), ("a", "j1")])) == {"duplicate"}


def test_check_openings() -> None:
    """Two partners on a one-opening position; also the example's 2-opening position given a third taker."""
    assert _kinds(ref.check_allocation(_mini(), [("a", "j1"), ("b", "j1")])) == {"openings"}
    pairs = [*sorted(EXAMPLE_CHOICE), ("p-pm", "tama-tool-training")]
    assert _kinds(ref.check_allocation(_example(), pairs)) == {"openings"}


def test_check_hours() -> None:
    """Two positions whose hours sum above the partner's hours."""
    problem = _mini()
    problem["partners"][0]["hours_per_week"] = 9.5
    assert _kinds(ref.check_allocation(problem, [("a", "j1"), ("a", "j2")])) == {"hours"}
    problem["partners"][0]["hours_per_week"] = 10
    assert ref.check_allocation(problem, [("a", "j1"), ("a", "j2")]) == []


def test_check_count() -> None:
    """More positions than max_assignments."""
    problem = _mini()
    problem["partners"][0]["max_assignments"] = 1
    assert _kinds(ref.check_allocation(problem, [("a", "j1"), ("a", "j2")])) == {"count"}


def test_check_budget() -> None:
    """Summed cost above the municipality's budget (each pair alone fits)."""
    problem = _mini()
    problem["municipalities"][0]["budget_yen"] = 30000  # one pair costs 1000 * 5 * 4 = 20000
    assert ref.check_allocation(problem, [("a", "j1")]) == []
    assert _kinds(ref.check_allocation(problem, [("a", "j1"), ("b", "j2")])) == {"budget"}
    problem["municipalities"][0]["budget_yen"] = 40000
    assert ref.check_allocation(problem, [("a", "j1"), ("b", "j2")]) == []


def test_check_lock() -> None:
    """A locked pair missing from the allocation is flagged; the MIP honours locks even at a loss."""
    problem = _mini()
    problem["locks"] = [{"partner": "b", "position": "j2"}]
    assert _kinds(ref.check_allocation(problem, [("a", "j1")])) == {"lock"}
    broken = copy.deepcopy(problem)
    broken["weights"] = {"fill": 0.0, "skill": 0.0}
    broken["municipalities"][0]["budget_yen"] = 20000  # cost_pen 1.0 * 0.5 makes every score -0.5
    opt, pairs = ref.mip_optimum(broken)
    assert pairs == [("b", "j2")]
    assert opt == pytest.approx(-0.5)


def test_check_drops_lock_from_conformance() -> None:
    """Dropping the conformance case's lock from its optimal allocation is flagged."""
    case = SMALL_CASES[0]
    problem, _ = _load(case)
    _, pairs = _mip(case)
    locks = {(e["partner"], e["position"]) for e in problem["locks"]}
    assert locks and locks <= set(pairs)
    kept = [p for p in pairs if p not in locks]
    assert _kinds(ref.check_allocation(problem, kept)) == {"lock"}


def test_check_unknown() -> None:
    """A pair naming an unknown id is flagged."""
    assert _kinds(ref.check_allocation(_mini(), [("zz", "j1")])) == {"unknown"}
