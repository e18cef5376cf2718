"""An engine's "optimal" is not believed on its word.

HiGHS 1.16, when its MIP presolve solves a component outright and a start was handed in with
setSolution, reports the better objective and Optimal while getSolution() still holds the start.
The problem in tests/data/regressions/highs-stale-start.json (80 x 25, a lock, forbidden pairs,
incumbents, tight budgets) made enmusubi answer "optimal" 1.47 below the true optimum.
"""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given

from enmusubi.solver import InputError, highs_engine, parse_problem, solve
from enmusubi.solver.data import compile_problem
from enmusubi.solver.explain import explain
from enmusubi.solver.greedy import greedy
from enmusubi.solver.model import build_model
from enmusubi.solver.outcome import ComponentOutcome
from enmusubi.solver.scoring import score_candidates
from tests import reference as ref
from tests.solver.test_properties import PROPERTY_SETTINGS, valid_problems

STALE = json.loads((Path(__file__).parents[1] / "data" / "regressions" / "highs-stale-start.json").read_text())


def _hard_components(problem: dict[str, Any]) -> list[Any]:
    data = compile_problem(parse_problem(problem))
    model = build_model(data, score_candidates(data))
    return [c for c in model.components if not (c.is_free() or c.is_unit_single_row())]


def test_the_stale_start_problem_solves_to_the_reference_optimum() -> None:
    optimum, _ = ref.mip_optimum(copy.deepcopy(STALE))
    result = solve(copy.deepcopy(STALE))
    assert result.status == "optimal"
    assert result.objective == pytest.approx(optimum, abs=1e-6)
    assert not ref.check_allocation(STALE, [(a.partner, a.position) for a in result.assignments])


def test_every_component_comes_back_with_columns_worth_what_highs_reports() -> None:
    for component in _hard_components(STALE):
        start = greedy(component, None)
        outcome = highs_engine.solve_component(component, start, None, 0)
        careful, reported = highs_engine._run(
            component, start, None, 0, None, None, 1e-6, highs_engine.START_HEURISTICS_OFF, careful=True
        )
        assert reported == pytest.approx(careful.objective, abs=1e-6)
        assert outcome.optimal
        assert outcome.objective == pytest.approx(careful.objective, abs=1e-6)
        assert float(component.score[outcome.chosen].sum()) == pytest.approx(outcome.objective, abs=1e-12)


def _stale_first_run(monkeypatch: pytest.MonkeyPatch, second_agrees: bool) -> list[bool]:
    """Make the first HiGHS run return its start with a better reported objective, as HiGHS 1.16 did."""
    real_run = highs_engine._run
    calls: list[bool] = []

    def run(component: Any, hint: np.ndarray, *args: Any, careful: bool) -> tuple[ComponentOutcome, float | None]:
        calls.append(careful)
        outcome, reported = real_run(component, hint, *args, careful=careful)
        if not careful:
            stale = float(component.score[hint].sum())
            # The first run's bound is off too (seen on Tokyo with a quarter of the hours, from a hint).
            return ComponentOutcome(hint.copy(), stale, outcome.bound + 0.2, True), outcome.objective
        return outcome, reported if second_agrees else (reported or 0.0) + 1.0

    monkeypatch.setattr(highs_engine, "_run", run)
    return calls


def test_a_disagreeing_answer_is_solved_again_without_presolve_and_start(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    component = max(_hard_components(STALE), key=lambda c: c.n_vars)
    start = np.zeros(component.n_vars, dtype=bool)
    truth, _ = highs_engine._run(component, start, None, 0, None, None, 1e-6, {}, careful=True)
    assert truth.objective > 0  # the empty start is worse than the optimum
    calls = _stale_first_run(monkeypatch, second_agrees=True)
    with caplog.at_level(logging.WARNING, logger="enmusubi.solver.highs_engine"):
        outcome = highs_engine.solve_component(component, start, None, 0)
    assert calls == [False, True]
    assert "solving the component again" in caplog.text
    assert outcome.optimal
    assert outcome.objective == pytest.approx(truth.objective, abs=1e-6)
    assert outcome.bound == pytest.approx(truth.objective, abs=1e-5)  # the careful run's bound, not the stale one


def test_an_answer_that_never_adds_up_is_not_called_optimal(monkeypatch: pytest.MonkeyPatch) -> None:
    component = max(_hard_components(STALE), key=lambda c: c.n_vars)
    start = np.zeros(component.n_vars, dtype=bool)
    _stale_first_run(monkeypatch, second_agrees=False)
    outcome = highs_engine.solve_component(component, start, None, 0)
    assert not outcome.optimal
    assert outcome.bound >= outcome.objective


def test_solve_reports_feasible_when_an_engine_claims_optimal_without_reaching_its_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An engine that returns its start as "optimal" with a better bound: the check says feasible, with the gap."""
    optimum, _ = ref.mip_optimum(copy.deepcopy(STALE))

    def lazy_engine(component: Any, hint: np.ndarray, *args: Any, **kwargs: Any) -> ComponentOutcome:
        value = float(component.score[hint].sum())
        return ComponentOutcome(hint.copy(), value, value + 1.0, True)

    monkeypatch.setattr(highs_engine, "solve_component", lazy_engine)
    result = solve(copy.deepcopy(STALE))
    assert result.status == "feasible"
    assert result.objective < optimum - 1e-3
    assert result.best_bound >= optimum - 1e-6
    assert result.gap > 0


@PROPERTY_SETTINGS
@given(valid_problems())
def test_no_single_lock_improves_an_optimal_result(problem: dict[str, Any]) -> None:
    """Forcing any eligible pair that is not chosen never raises the optimum: explain's objective change is at
    most the tolerance, and it is what a full solve with that lock gives."""
    result = solve(copy.deepcopy(problem))
    if result.status != "optimal":
        return
    chosen = {(a.partner, a.position) for a in result.assignments}
    tolerance = max(1e-3, 1e-6 * abs(result.objective))
    for partner_id, position_id in sorted(set(ref.reference_scores(problem)) - chosen)[:4]:
        explanation = explain(parse_problem(copy.deepcopy(problem)), partner_id, position_id, result=result)
        forced = copy.deepcopy(problem)
        forced["locks"] = [*forced.get("locks", []), {"partner": partner_id, "position": position_id}]
        try:
            locked = solve(forced)
        except InputError:  # the lock cannot hold together with the problem's own locks
            assert explanation.objective_change is None
            continue
        assert locked.objective <= result.objective + tolerance
        assert explanation.objective_change is not None
        assert explanation.objective_change <= tolerance
        assert explanation.objective_change == pytest.approx(locked.objective - result.objective, abs=tolerance)
