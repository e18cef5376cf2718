"""`solve()` beyond the optimum: time limits, stopping, hints, why positions stay open, reproducibility."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
from importlib.metadata import version
from typing import Any

import pytest

from enmusubi.scenarios.generator import generate_problem
from enmusubi.solver import Problem, Progress, StopFlag, parse_problem, solve
from enmusubi.solver.result import Result
from tests import reference as ref
from tests.core_builders import (
    TOKYO_LAT,
    busy_partners,
    chosen,
    example,
    municipality,
    pair_refs,
    partner,
    position,
    problem,
    unfilled_reasons,
)

EXAMPLE_OPTIMUM = 7.369305


@pytest.fixture(scope="module")
def hard_dict() -> dict[str, Any]:
    """A generated Tokyo problem whose MIP is not proven at once (one large component)."""
    return generate_problem(900, 150, seed=1)


@pytest.fixture(scope="module")
def hard(hard_dict: dict[str, Any]) -> Problem:
    return parse_problem(hard_dict)


@pytest.fixture(scope="module")
def best_known(hard_dict: dict[str, Any], hard: Problem) -> float:
    """The objective of a valid allocation of `hard` (its optimum, unless the guard limit stops the search).

    No optimum is above a valid bound, so every bound reported for `hard` must be at least this.
    """
    result = solve(hard, engine="highs", time_limit_seconds=120)
    assert_valid(hard_dict, result)
    return result.objective


def assert_valid(problem_dict: dict[str, Any], result: Result) -> None:
    assert ref.check_allocation(problem_dict, sorted(chosen(result))) == []


def assert_honest_status(result: Result, best_known: float | None = None) -> None:
    """Optimal means proven; anything else is feasible, stopped, with a valid bound and its gap.

    A valid bound is above the objective and above every other valid allocation's objective too.
    """
    if best_known is not None:
        assert result.best_bound >= best_known - 1e-6, "the bound is below a known allocation: not a bound"
    if result.status == "optimal":
        assert not result.stopped
        assert result.gap == 0
        assert result.best_bound == pytest.approx(result.objective, abs=1e-3)
    else:
        assert result.status == "feasible"
        assert result.stopped
        assert result.best_bound >= result.objective - 1e-9
        assert result.gap >= 0
        assert result.gap == pytest.approx(
            (result.best_bound - result.objective) / max(abs(result.objective), 1e-9), rel=1e-9, abs=1e-12
        )
        assert "not proven optimal" in result.message


# ------------------------------------------------------------------------------------------- time and stopping


@pytest.mark.parametrize("limit", [0.0, 0.02, 0.05, 0.1, 0.2, 0.3])
def test_time_limit_gives_a_valid_allocation_and_an_honest_status(
    hard_dict: dict[str, Any], hard: Problem, best_known: float, limit: float
) -> None:
    """Short limits end the CP-SAT search before, around and after its first solution."""
    result = solve(hard, engine="cpsat", time_limit_seconds=limit)
    assert_honest_status(result, best_known)
    assert_valid(hard_dict, result)
    assert result.objective > 0
    assert result.reproducibility.time_limit_seconds == limit


def test_stop_flag_set_before_solving(hard_dict: dict[str, Any], hard: Problem, best_known: float) -> None:
    stop = StopFlag()
    stop.stop()
    result = solve(hard, stop=stop)
    assert_honest_status(result, best_known)
    assert_valid(hard_dict, result)
    assert result.stats.components_by_engine == 0
    if result.status == "feasible":
        assert result.best_bound > result.objective  # not trivially optimal: the proof was skipped


def test_stop_flag_from_another_thread_ends_the_search(
    hard_dict: dict[str, Any], hard: Problem, best_known: float
) -> None:
    """The stop arrives while HiGHS searches; a generous time limit only guards against a hang."""
    stop = StopFlag()
    timer = threading.Timer(0.3, stop.stop)
    timer.start()
    try:
        result = solve(hard, engine="highs", stop=stop, time_limit_seconds=120)
    finally:
        timer.cancel()
    assert_honest_status(result, best_known)
    assert_valid(hard_dict, result)


def test_stop_flag_on_a_trivial_problem_still_proves_it() -> None:
    """Components needing no search (here: single opening rows) are solved even when stopped."""
    stop = StopFlag()
    stop.stop()
    result = solve(problem([position("j")], [partner("a"), partner("b", skills={"x": 1})]), stop=stop)
    assert result.status == "optimal"
    assert not result.stopped
    assert len(result.assignments) == 1


def test_progress_reports_every_phase() -> None:
    seen: list[Progress] = []
    result = solve(example(), progress=seen.append)
    phases = [p.phase for p in seen]
    assert phases[0] == "scoring"
    assert phases[-1] == "done"
    assert {"scoring", "solving", "done"} <= set(phases)
    assert seen[-1].objective == pytest.approx(result.objective)
    assert all(a.elapsed <= b.elapsed for a, b in itertools.pairwise(seen))


# ------------------------------------------------------------------------------------------------------ hints


def test_hint_with_pairs_no_longer_valid_is_repaired() -> None:
    hint = [
        ("p-remote", "akishima-creator"),  # fails the skill rule
        ("ghost", "taito-pm"),  # unknown partner
        ("p-pm", "nowhere"),  # unknown position
        ("p-pm", "tama-tool-training"),  # three hinted takers for two openings
        ("p-trainer", "tama-tool-training"),
        ("p-remote", "tama-tool-training"),
    ]
    result = solve(example(), hint=hint)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(EXAMPLE_OPTIMUM, abs=1e-6)
    assert_valid(example(), result)


def test_stale_hint_on_a_changed_problem_is_repaired(hard_dict: dict[str, Any], hard: Problem) -> None:
    """Yesterday's allocation after some pairs were forbidden and a partner cut hours: still a valid start."""
    stop = StopFlag()
    stop.stop()
    before = solve(hard, stop=stop)
    yesterday = sorted(chosen(before))
    assert len(yesterday) > 10
    changed = json.loads(json.dumps(hard_dict))
    changed["forbidden"] = pair_refs(*yesterday[::3])
    busy = yesterday[1][0]
    for who in changed["partners"]:
        if who["id"] == busy:
            who["hours_per_week"] = 1
    result = solve(changed, hint=yesterday, stop=stop)
    assert_honest_status(result)
    assert_valid(changed, result)
    assert not chosen(result) & set(yesterday[::3])


def test_hint_does_not_change_the_optimum() -> None:
    plain = solve(example())
    hinted = solve(example(), hint=sorted(plain.pair_set()))
    assert hinted.objective == pytest.approx(plain.objective, abs=1e-9)
    assert hinted.pair_set() == plain.pair_set()


# ------------------------------------------------------------------------------------------ why positions stay open


def test_nobody_with_the_skill() -> None:
    case = problem(
        [position("j", required_skills={"gis": 3})],
        [partner("a", skills={"gis": 2}), partner("b", skills={"pm": 5})],
    )
    result = solve(case)
    (left,) = result.unfilled
    assert (left.reason, left.eligible_partners, left.filled) == ("no_eligible_partner", 0, 0)
    assert "gis >= 3" in left.detail
    assert "1 partner(s) are one level short" in left.detail


def test_nearest_partners_stopped_by_another_rule() -> None:
    case = problem([position("j", hours_per_week=20)], [partner("a", hours_per_week=10)])
    (left,) = solve(case).unfilled
    assert left.reason == "no_eligible_partner"
    assert "(hours)" in left.detail


def test_budget_too_small() -> None:
    case = problem(
        [position("a", priority=2), position("b")],
        [partner("p"), partner("q")],
        municipalities=[municipality(budget_yen=100_000)],  # one placement costs ¥80,000
    )
    result = solve(case)
    assert unfilled_reasons(result) == {"b": "budget"}
    assert result.unfilled[0].eligible_partners == 2


def test_outscored_elsewhere() -> None:
    """One partner who takes one position: the other position loses to the higher priority."""
    case = problem([position("a", priority=2), position("b")], [partner("p", max_assignments=1)])
    result = solve(case)
    assert result.pair_set() == {("p", "a")}
    assert unfilled_reasons(result) == {"b": "outscored"}
    assert "(count)" in result.unfilled[0].detail


def test_outscored_by_hours() -> None:
    case = problem(
        [position("a", hours_per_week=8, priority=2), position("b", hours_per_week=8)],
        [partner("p", hours_per_week=10)],
    )
    result = solve(case)
    assert unfilled_reasons(result) == {"b": "outscored"}
    assert "(hours)" in result.unfilled[0].detail


def test_not_worth_when_the_commute_outweighs_the_fit() -> None:
    """score = 2 - 100 x (1/5) x (60/60) < 0: nobody is worth placing."""
    case = problem(
        [position("j", onsite_days_per_week=1)],
        [partner("p", lat=TOKYO_LAT + 0.2)],
        weights={"commute": 100.0},
        commute_minutes=[{"partner": "p", "municipality": "m1", "minutes": 60}],
    )
    result = solve(case)
    assert result.assignments == []
    (left,) = result.unfilled
    assert (left.reason, left.eligible_partners) == ("not_worth", 1)
    assert "score <= 0" in left.detail
    assert result.objective == 0


def test_filled_positions_are_not_listed() -> None:
    assert solve(example()).unfilled == []


# ------------------------------------------------------------------------------------------------ reproducibility


def reversed_keys(value: Any) -> Any:
    """The same JSON document with every object's keys in reverse order."""
    if isinstance(value, dict):
        return {k: reversed_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_keys(v) for v in value]
    return value


def test_input_digest_ignores_key_order_and_spelled_out_defaults() -> None:
    base = solve(example()).reproducibility.input_digest
    assert len(base) == 64
    assert solve(reversed_keys(example())).reproducibility.input_digest == base
    explicit = example()
    explicit["positions"][1]["onsite_days_per_week"] = 0  # the default, now written out
    explicit["weights"] = {"fill": 1.0}
    assert solve(explicit).reproducibility.input_digest == base


def test_input_digest_changes_with_the_input() -> None:
    changed = example()
    changed["partners"][0]["hourly_rate_yen"] += 1
    assert solve(changed).reproducibility.input_digest != solve(example()).reproducibility.input_digest


def test_reproducibility_fields() -> None:
    highs = solve(example(), seed=7, engine="highs").reproducibility
    assert (highs.seed, highs.engine, highs.time_limit_seconds) == (7, "highs", None)
    assert "HiGHS" in highs.solver_version
    assert highs.enmusubi_version == version("enmusubi")
    cpsat = solve(example(), engine="cpsat").reproducibility
    assert (cpsat.seed, cpsat.engine) == (0, "cpsat")
    assert "CP-SAT" in cpsat.solver_version


def test_same_input_same_result() -> None:
    first = solve(example(), seed=3).model_dump(exclude={"stats"})
    again = solve(example(), seed=3).model_dump(exclude={"stats"})
    assert first == again
    assert solve(example(), seed=11).objective == pytest.approx(first["objective"], abs=1e-9)


# -------------------------------------------------------------------------------------------------------- misc


def test_accepts_a_dict_or_a_problem() -> None:
    assert solve(example()).objective == solve(parse_problem(example())).objective


def test_empty_problem() -> None:
    result = solve(problem([], []))
    assert (result.status, result.objective, result.assignments, result.unfilled) == ("optimal", 0, [], [])
    assert result.stats.pairs == 0


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="engine"):
        solve(example(), engine="gurobi")  # type: ignore[arg-type]


def test_busy_partners_need_the_engine() -> None:
    result = solve(busy_partners())
    assert result.status == "optimal"
    assert result.stats.components_by_engine >= 1
    assert result.objective == pytest.approx(16.0, abs=1e-9)


def test_other_highs_users_in_the_process_do_not_break_the_engine() -> None:
    """HiGHS keeps one thread scheduler per process. A HiGHS model run first with its default
    thread count (as tests/reference.py's MIP does) must not make the engine's later runs fail."""
    script = """
import json
from tests import reference as ref
from tests.core_builders import busy_partners, solver
ref.mip_optimum(busy_partners())
result = solver.solve(busy_partners())
print(json.dumps([result.status, result.objective, result.best_bound]))
"""
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    status, objective, bound = json.loads(run.stdout.strip().splitlines()[-1])
    assert bound >= 16.0 - 1e-9, "the reported bound is below the true optimum"
    assert (status, objective) == ("optimal", pytest.approx(16.0, abs=1e-9))


def test_constraints_package_imports_on_its_own() -> None:
    """`constraints` is public (first_failing_rule, ELIGIBILITY_RULES): importing it first must work."""
    run = subprocess.run(
        [sys.executable, "-c", "import constraints; print(constraints.ELIGIBILITY_RULE_NAMES)"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr.strip().splitlines()[-1]
    assert "skill" in run.stdout
