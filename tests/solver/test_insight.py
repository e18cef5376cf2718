"""Insight: the objective change of forcing a pair, by repair, LP bound, neighbourhood and MIP,
checked against the engine's own solve with the pair locked; and the same answer whoever asks."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enmusubi.scenarios.generator import generate_problem
from enmusubi.solver import parse_problem, solve
from enmusubi.solver.explain import explain
from enmusubi.solver.highs_engine import solve_component
from enmusubi.solver.insight import Insight
from enmusubi.solver.lock_search import locked_optimum
from enmusubi.solver.neighbourhood import around, reoptimise
from enmusubi.solver.outcome import StopFlag
from enmusubi.solver.recommend import recommend
from enmusubi.solver.relaxation import Relaxation
from enmusubi.solver.repair import repair
from tests import reference


@pytest.fixture(scope="module")
def generated() -> Insight:
    """A generated Tokyo problem small enough to re-solve per pair, with budgets and hours binding."""
    problem = parse_problem(generate_problem(300, 50, seed=3))
    return Insight.of(problem, solve(problem))


def _hard_component(insight: Insight) -> int:
    sizes = [c.n_vars if c.n_rows else 0 for c in insight.model.components]
    return int(np.argmax(sizes))


def test_repair_holds_the_pair_and_fits(generated: Insight) -> None:
    c = _hard_component(generated)
    comp = generated.model.components[c]
    base = generated.base.chosen[comp.pairs]
    for v in np.flatnonzero(~base)[:30].tolist():
        fixed = repair(comp, generated.incidence(c), base, v)
        assert fixed[v] and comp.fits(fixed)


def test_lp_bound_with_a_pair_forced_bounds_the_mip(generated: Insight) -> None:
    c = _hard_component(generated)
    comp = generated.model.components[c]
    relaxed = Relaxation(comp)
    base = generated.base.chosen[comp.pairs]
    assert relaxed.value >= float(comp.score[base].sum()) - 1e-9
    for v in np.flatnonzero(~base)[:5].tolist():
        lower = np.zeros(comp.n_vars)
        lower[v] = 1.0
        start = repair(comp, generated.incidence(c), base, v)
        exact = solve_component(comp, start, None, 0, col_lower=lower)
        assert exact.optimal
        assert relaxed.forced_bound(v) >= exact.objective - 1e-6


def test_a_neighbourhood_moves_only_its_variables_and_never_loses(generated: Insight) -> None:
    c = _hard_component(generated)
    comp = generated.model.components[c]
    base = generated.base.chosen[comp.pairs]
    v = int(np.flatnonzero(~base)[0])
    start = repair(comp, generated.incidence(c), base, v)
    size = comp.n_vars // 2
    free = around(comp, generated.incidence(c), np.array([v]), size)
    assert v in free and len(free) <= size
    found = reoptimise(comp, start, free, np.array([v]))
    outside = np.ones(comp.n_vars, dtype=bool)
    outside[free] = False
    assert np.array_equal(found.chosen[outside], start[outside])
    assert found.chosen[v] and comp.fits(found.chosen)
    assert found.objective >= float(comp.score[start].sum()) - 1e-9
    assert not found.whole


def test_one_of_holds_one_and_bounds_each(generated: Insight) -> None:
    c = _hard_component(generated)
    comp = generated.model.components[c]
    base = generated.base.chosen[comp.pairs]
    asked = np.flatnonzero(~base)[:4]
    start = repair(comp, generated.incidence(c), base, int(asked[0]))
    best = reoptimise(comp, start, None, None, one_of=asked)
    assert best.optimal and best.whole and best.chosen[asked].any()
    for v in asked.tolist():
        lower = np.zeros(comp.n_vars)
        lower[v] = 1.0
        alone = solve_component(comp, repair(comp, generated.incidence(c), base, v), None, 0, col_lower=lower)
        assert alone.objective <= best.bound + 1e-6


@settings(max_examples=12, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_forced_change_is_the_locked_optimum_minus_the_optimum(generated: Insight, data: st.DataObject) -> None:
    outside = np.flatnonzero(~generated.base.chosen)
    k = int(data.draw(st.sampled_from(outside.tolist())))
    answer = generated.forced(k)
    truth = locked_optimum(generated.space, generated.problem, generated.base, k, None)
    assert answer.exact and truth.proven
    assert answer.change == pytest.approx(truth.value - generated.base.objective, abs=generated.tolerance)
    assert answer.chosen[k]
    assert answer.change <= answer.change_upper + 1e-12


def test_explain_and_recommend_agree_in_either_order() -> None:
    problem = parse_problem(generate_problem(300, 50, seed=4))
    result = solve(problem)
    position = problem.positions[3].id
    first = recommend(problem, position=position, k=5, result=result)
    fresh = {}
    for candidate in first.candidates:
        fresh[candidate.partner] = explain(problem, str(candidate.partner), position, result=result)
    # The other order, on one kept Insight: explain first, then recommend.
    kept = Insight.of(problem, result)
    explained = {p: explain(problem, str(p), position, insight=kept) for p in fresh}
    second = recommend(problem, position=position, k=5, insight=kept)
    assert [c.partner for c in second.candidates] == [c.partner for c in first.candidates]
    for a, b in zip(first.candidates, second.candidates, strict=True):
        for why in (fresh[a.partner], explained[a.partner]):
            if why.in_optimal:
                assert a.objective_change == 0.0 and a.displaces == []
                continue
            assert why.objective_change == a.objective_change == b.objective_change
            assert why.displaces == a.displaces == b.displaces
            assert why.exact and a.exact


def test_a_stop_gives_an_interval_marked_not_exact(generated: Insight) -> None:
    stop = StopFlag()
    stop.stop()
    fresh = Insight(generated.problem, generated.space, generated.base, generated.model)
    outside = [int(k) for k in np.flatnonzero(~generated.base.chosen) if fresh.comp_of[k] >= 0]
    answers = [fresh.forced(k, stop=stop) for k in outside[:20]]
    assert any(not a.exact for a in answers)
    for a in answers:
        assert a.change <= a.change_upper
        assert a.exact == (a.change_upper - a.change <= fresh.tolerance)


def test_with_equity_every_question_goes_to_the_engines_solve() -> None:
    """Equity's served binaries are not modelled by repair, LP or neighbourhoods: the exact solve answers."""
    document = generate_problem(300, 50, seed=3)
    document["weights"] = {**document.get("weights", {}), "equity": 0.5}
    problem = parse_problem(document)
    kept = Insight.of(problem, solve(problem))
    outside = [int(k) for k in np.flatnonzero(~kept.base.chosen)[:3]]
    for k in outside:
        answer = kept.forced(k)
        truth = locked_optimum(kept.space, problem, kept.base, k, None)
        assert answer.method == "solve" and answer.exact
        assert answer.change == pytest.approx(truth.value - kept.base.objective, abs=kept.tolerance)


def test_precompute_settles_every_pair_as_the_locked_solve_does() -> None:
    """Several components; afterwards every pair left out is answered from memory, exactly."""
    problem = parse_problem(generate_problem(120, 20, seed=3))
    kept = Insight.of(problem, solve(problem))
    assert len([c for c in kept.model.components if c.n_rows]) > 1
    kept.precompute(StopFlag())
    outside = np.flatnonzero(~kept.base.chosen & (kept.comp_of >= 0))
    for k in outside.tolist():
        answer = kept._exact[k]  # settled by the precompute, not by this question
        truth = locked_optimum(kept.space, problem, kept.base, k, None)
        assert answer.exact and truth.proven
        assert answer.change == pytest.approx(truth.value - kept.base.objective, abs=kept.tolerance)


def test_answers_do_not_depend_on_what_was_precomputed_or_asked_first() -> None:
    problem = parse_problem(generate_problem(120, 20, seed=3))
    result = solve(problem)
    warm = Insight.of(problem, result)
    warm.precompute(StopFlag())
    for position in [p.id for p in problem.positions]:
        asked = recommend(problem, position=position, k=3, insight=warm)
        fresh = recommend(problem, position=position, k=3, result=result)
        assert asked.model_dump() == fresh.model_dump()
    for partner in [p.id for p in problem.partners[::7]]:
        asked = recommend(problem, partner=partner, k=2, insight=warm)
        fresh = recommend(problem, partner=partner, k=2, result=result)
        assert asked.model_dump() == fresh.model_dump()
        for candidate in asked.candidates:
            why = explain(problem, partner, str(candidate.position), insight=warm)
            assert why.objective_change == candidate.objective_change and why.displaces == candidate.displaces


def test_precompute_yields_to_a_question_and_stops_when_asked(generated: Insight) -> None:
    kept = Insight(generated.problem, generated.space, generated.base, generated.model)
    stop = StopFlag()
    worker = threading.Thread(target=kept.precompute, args=(stop,))
    worker.start()
    try:
        outside = [int(k) for k in np.flatnonzero(~kept.base.chosen) if kept.comp_of[k] >= 0]
        k = outside[-1]  # the last pair the precompute would reach
        answer = kept.forced(k)
        assert worker.is_alive(), "the question was answered while the precompute still had work"
        alone = Insight(generated.problem, generated.space, generated.base, generated.model).forced(k)
        assert answer.exact and answer.change == alone.change and np.array_equal(answer.chosen, alone.chosen)
    finally:
        stop.stop()
        worker.join(timeout=60)
    assert not worker.is_alive()


def test_precompute_waits_while_other_work_is_busy(generated: Insight) -> None:
    kept = Insight(generated.problem, generated.space, generated.base, generated.model)
    stop, busy = StopFlag(), threading.Event()
    busy.set()
    worker = threading.Thread(target=kept.precompute, args=(stop,), kwargs={"busy": busy.is_set})
    worker.start()
    try:
        time.sleep(0.5)
        assert not kept._exact and not kept._kept_top, "nothing is settled while the cores are wanted"
        busy.clear()
        deadline = time.monotonic() + 60  # a guard against hangs, not a speed target
        while not kept._kept_top:
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        stop.stop()
        worker.join(timeout=60)
    assert not worker.is_alive()


def test_precomputed_changes_match_the_independent_reference_model() -> None:
    """tests/reference.py shares no code with the engine: its optimum with the lock added, minus its optimum."""
    document = generate_problem(120, 20, seed=3)
    problem = parse_problem(document)
    kept = Insight.of(problem, solve(problem))
    kept.precompute(StopFlag())
    base, _ = reference.mip_optimum(document)
    outside = np.flatnonzero(~kept.base.chosen & (kept.comp_of >= 0))
    for k in outside[:: max(1, len(outside) // 8)].tolist():
        partner_id, position_id = kept.space.ids(k)
        locked = {**document, "locks": [*document.get("locks", []), {"partner": partner_id, "position": position_id}]}
        value, _ = reference.mip_optimum(locked)
        assert kept._exact[k].change == pytest.approx(value - base, abs=kept.tolerance)
