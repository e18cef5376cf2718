"""recommend() and explain() honour a StopFlag (the service sets it when the client goes away): no solve
starts once it is set, and what they return says it is not proven."""

from __future__ import annotations

from enmusubi.solver import StopFlag, parse_problem
from enmusubi.solver.explain import explain
from enmusubi.solver.recommend import recommend
from tests.core_builders import example


def _stopped() -> StopFlag:
    stop = StopFlag()
    stop.stop()
    return stop


def test_explain_skips_the_forcing_solve_once_stopped() -> None:
    problem = parse_problem(example())
    full = explain(problem, "p-pm", "tama-tool-training")
    assert full.eligible and not full.in_optimal and full.objective_change is not None
    stopped = explain(problem, "p-pm", "tama-tool-training", stop=_stopped())
    assert stopped.objective_change is None and stopped.eligible and not stopped.in_optimal


def test_recommend_stops_before_the_next_solve() -> None:
    problem = parse_problem(example())
    full = recommend(problem, position="tama-tool-training", k=3)
    assert [c.partner for c in full.candidates] == ["p-trainer", "p-remote", "p-pm"]
    stopped = recommend(problem, position="tama-tool-training", k=3, stop=_stopped())
    assert [c.partner for c in stopped.candidates] == ["p-trainer", "p-remote"]
    assert "not proven" in stopped.note
