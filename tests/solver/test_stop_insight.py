"""recommend() and explain() honour a StopFlag (the service sets it when the client goes away): the exact
search does not run once it is set, and what they return says it is not proven."""

from __future__ import annotations

from enmusubi.solver import StopFlag, parse_problem
from enmusubi.solver.explain import explain
from enmusubi.solver.recommend import recommend
from tests.core_builders import example


def _stopped() -> StopFlag:
    stop = StopFlag()
    stop.stop()
    return stop


def test_explain_skips_the_exact_search_once_stopped() -> None:
    problem = parse_problem(example())
    full = explain(problem, "p-pm", "tama-tool-training")
    assert full.eligible and not full.in_optimal and full.exact
    stopped = explain(problem, "p-pm", "tama-tool-training", stop=_stopped())
    assert stopped.eligible and not stopped.in_optimal and not stopped.exact
    assert "not proven" in stopped.reason


def test_recommend_says_not_proven_once_stopped() -> None:
    problem = parse_problem(example())
    full = recommend(problem, position="tama-tool-training", k=3)
    assert [c.partner for c in full.candidates] == ["p-trainer", "p-remote", "p-pm"] and "not proven" not in full.note
    stopped = recommend(problem, position="tama-tool-training", k=3, stop=_stopped())
    assert "not proven" in stopped.note
